package dev.evring.bench;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import dev.evring.examples.CommandLine;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.management.jfr.RemoteRecordingStream;

import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ./evring top --pid P}: a live view of the evring loops of a running JVM, from its JDK Flight Recorder events.
 * It attaches to the JVM (the Attach API, as jcmd does), starts the JVM's local JMX agent (loopback only, what jconsole
 * starts too), and streams a recording of evring's events through {@link RemoteRecordingStream}: each loop's
 * {@code dev.evring.LoopStatistics} once per interval, and every {@code dev.evring.SlowCallback},
 * {@code dev.evring.BufferPoolExhausted}, {@code dev.evring.AcceptPause}, {@code dev.evring.CqOverflow} and
 * {@code dev.evring.RingRebuild}. Every interval it prints, per loop, the rates between its last two statistics
 * events, and the events since the last table. The recording ends when top does; the JMX agent stays (as after
 * jconsole).
 */
final class TopCommand {
    private TopCommand() {}

    static final CommandLine COMMAND_LINE = new CommandLine("./evring top",
            "A live view of a running JVM's evring loops: iterations/s, wait %, CPU %, system calls, SQEs and CQEs per second,\n"
            + "overflows, slow callbacks, buffer pools run dry, accept pauses; one table per interval, from the JVM's\n"
            + "JFR events (attaches as jcmd does: a JVM of this user; its local JMX agent is started).");
    static final CommandLine.Option<Long> PID = COMMAND_LINE.longInteger("--pid", "P", 0, 1, Integer.MAX_VALUE,
            "the JVM to watch (jcmd lists them); required");
    static final CommandLine.Option<Integer> INTERVAL = COMMAND_LINE.integer("--interval", "SECONDS", 1, 1, 3600,
            "seconds between tables (default 1)");
    static final CommandLine.Option<Integer> COUNT = COMMAND_LINE.integer("--count", "N", 0, 0, Integer.MAX_VALUE,
            "tables to print, then exit (default 0: until Ctrl-C)");

    /** Without a single loop's statistics for this long, a counted run gives up (the JVM has no open loop). */
    static final Duration GIVE_UP = Duration.ofSeconds(15);

    static int run(CommandLine.Parsed options) throws Exception {
        if (!options.given(PID)) throw new CommandLine.UsageException("--pid: which JVM? give its pid (jcmd lists them)");
        return watch(options.get(PID), Duration.ofSeconds(options.get(INTERVAL)), options.get(COUNT), System.out);
    }

    /** Prints {@code count} tables (0: for ever) of JVM {@code pid}'s loops, one per {@code interval}; the exit status. */
    static int watch(long pid, Duration interval, int count, PrintStream out) throws Exception {
        String address = localJmxAgent(pid);
        try (JMXConnector jmx = JMXConnectorFactory.connect(new JMXServiceURL(address));
             RemoteRecordingStream rs = new RemoteRecordingStream(jmx.getMBeanServerConnection())) {
            // jdk.ThreadCPULoad is a share of all the CPUs the JVM may use: times their number, a share of one CPU
            int cpus = ManagementFactory.getPlatformMXBean(jmx.getMBeanServerConnection(), OperatingSystemMXBean.class)
                    .getAvailableProcessors();
            Model model = new Model(pid, cpus);
            rs.enable("dev.evring.LoopStatistics").withPeriod(interval);
            rs.enable("jdk.ThreadCPULoad").withPeriod(interval); // the loop threads' CPU use, beside their wait time
            for (String name : Model.COUNTED) rs.enable(name);
            rs.onEvent("dev.evring.LoopStatistics", model::statistics);
            for (String name : Model.COUNTED) rs.onEvent(name, model::counted);
            rs.onEvent("jdk.ThreadCPULoad", model::cpuLoad);
            rs.startAsync();
            long start = System.nanoTime();
            int printed = 0;
            boolean saidWaiting = false;
            while (count == 0 || printed < count) {
                Thread.sleep(interval.toMillis());
                if (model.print(out)) {
                    printed++;
                } else if (!saidWaiting) {
                    out.println("evring top: waiting for JVM " + pid + "'s loops (dev.evring.LoopStatistics events) ...");
                    saidWaiting = true;
                } else if (count > 0 && System.nanoTime() - start > GIVE_UP.toNanos() + 2 * interval.toNanos()) {
                    throw new IllegalStateException("JVM " + pid + " reported no evring loop in " + GIVE_UP.toSeconds()
                            + " s: does it have an open EventLoop (evring with dev.evring.LoopStatistics)?");
                }
            }
        }
        return 0;
    }

    /** Attaches to {@code pid} and starts its local JMX agent; returns the agent's address. */
    private static String localJmxAgent(long pid) throws IOException {
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (AttachNotSupportedException | IOException e) {
            throw new IllegalStateException("cannot attach to JVM " + pid + " (" + e.getMessage() + "): it must be a"
                    + " running JVM of this user, started without -XX:+DisableAttachMechanism");
        }
        try {
            return vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
    }

    /** What the stream told so far, and the table made of it. Stream thread and printing thread: synchronized. */
    static final class Model {
        static final List<String> COUNTED = List.of("dev.evring.SlowCallback", "dev.evring.BufferPoolExhausted",
                "dev.evring.AcceptPause", "dev.evring.CqOverflow", "dev.evring.RingRebuild");

        /** One loop's cumulative figures at one statistics event. */
        record Sample(Instant at, String thread, long threadId, String backend, long iterations, long waitNanos,
                      long workNanos, long callbacks, long tasks, long systemCalls, long enters, long sqes, long cqes,
                      long cqOverflows, long rebuilds) {}

        /** Events of one loop thread since the last table. */
        static final class Counts {
            int slow;
            Duration slowest = Duration.ZERO;
            String slowestSource;
            int poolDry;
            int acceptPauses;
            int overflows;
            int rebuilds;
        }

        private final long pid;
        private final int cpus;
        private final Map<Integer, Sample> last = new TreeMap<>();
        private final Map<Integer, Sample> previous = new HashMap<>();
        private final Map<Long, Counts> counts = new HashMap<>();
        /** Each thread's CPU use since the last table (user + system, a share of all the JVM's CPUs), by thread id. */
        private final Map<Long, Double> cpu = new HashMap<>();

        Model(long pid, int cpus) {
            this.pid = pid;
            this.cpus = cpus;
        }

        synchronized void statistics(RecordedEvent e) {
            int loop = e.getInt("loop");
            RecordedThread t = e.getThread("loopThread");
            Sample s = new Sample(e.getStartTime(), t == null ? "?" : t.getJavaName(), t == null ? -1 : t.getJavaThreadId(),
                    e.getString("backend"), e.getLong("iterations"), e.getDuration("waitTime").toNanos(),
                    e.getDuration("workTime").toNanos(), e.getLong("callbacks"), e.getLong("tasksExecuted"),
                    e.getLong("systemCalls"), e.getLong("enterWait") + e.getLong("enterSubmit"), e.getLong("sqesSubmitted"),
                    e.getLong("cqesReaped"), e.getLong("cqOverflows"), e.getLong("ringRebuilds"));
            Sample old = last.put(loop, s);
            if (old != null) previous.put(loop, old);
        }

        synchronized void cpuLoad(RecordedEvent e) {
            RecordedThread t = e.getThread();
            if (t != null) cpu.put(t.getJavaThreadId(), (double) e.getFloat("user") + e.getFloat("system"));
        }

        synchronized void counted(RecordedEvent e) {
            RecordedThread t = e.getThread();
            Counts c = counts.computeIfAbsent(t == null ? -1L : t.getJavaThreadId(), k -> new Counts());
            switch (e.getEventType().getName()) {
                case "dev.evring.SlowCallback" -> {
                    c.slow++;
                    Duration d = e.getDuration("callbackTime");
                    if (d.compareTo(c.slowest) > 0) {
                        c.slowest = d;
                        Object cls = e.getValue("callbackClass");
                        c.slowestSource = e.getString("source")
                                + (cls instanceof jdk.jfr.consumer.RecordedClass rc ? " (" + rc.getName() + ")" : "");
                    }
                }
                case "dev.evring.BufferPoolExhausted" -> c.poolDry++;
                case "dev.evring.AcceptPause" -> c.acceptPauses++;
                case "dev.evring.CqOverflow" -> c.overflows++;
                default -> c.rebuilds++;
            }
        }

        /** Prints a table if some loop has two statistics events; returns whether it did. */
        synchronized boolean print(PrintStream out) {
            List<Integer> ready = new ArrayList<>();
            for (Integer loop : last.keySet()) if (previous.containsKey(loop)) ready.add(loop);
            if (ready.isEmpty()) return false;
            out.printf("evring top: JVM %d, %s, %d loop%s%n", pid, LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")),
                    ready.size(), ready.size() == 1 ? "" : "s");
            out.printf("%4s %-16s %-8s %9s %6s %5s %11s %9s %10s %9s %9s %7s %5s %4s %8s %6s%n", "LOOP", "THREAD", "BACKEND",
                    "ITER/S", "WAIT%", "CPU%", "CALLBACKS/S", "TASKS/S", "SYSCALLS/S", "SQES/S", "CQES/S", "CQE/ENT", "OVFL",
                    "SLOW", "POOL-DRY", "ACCEPT");
            List<String> slowLines = new ArrayList<>();
            for (int loop : ready) {
                Sample a = previous.get(loop);
                Sample b = last.get(loop);
                double secs = Math.max(1e-9, Duration.between(a.at(), b.at()).toNanos() / 1e9);
                long wait = b.waitNanos() - a.waitNanos();
                long work = b.workNanos() - a.workNanos();
                long enters = b.enters() - a.enters();
                long cqes = b.cqes() - a.cqes();
                Counts c = counts.getOrDefault(b.threadId(), new Counts());
                Double load = cpu.remove(b.threadId()); // none: the thread used less than 1 ms of CPU (JFR's threshold)
                out.printf("%4d %-16s %-8s %9s %6s %5s %11s %9s %10s %9s %9s %7s %5d %4d %8d %6d%n", loop, clip(b.thread(), 16),
                        b.backend(), rate(b.iterations() - a.iterations(), secs),
                        wait + work > 0 ? String.format("%.1f", 100.0 * wait / (wait + work)) : "-",
                        String.format("%.0f", load == null ? 0 : 100 * load * cpus),
                        rate(b.callbacks() - a.callbacks(), secs), rate(b.tasks() - a.tasks(), secs),
                        rate(b.systemCalls() - a.systemCalls(), secs), rate(b.sqes() - a.sqes(), secs), rate(cqes, secs),
                        enters > 0 ? String.format("%.1f", (double) cqes / enters) : "-",
                        Math.max(b.cqOverflows() - a.cqOverflows(), c.overflows) + Math.max(b.rebuilds() - a.rebuilds(), c.rebuilds),
                        c.slow, c.poolDry, c.acceptPauses);
                if (c.slow > 0) {
                    slowLines.add(String.format("  loop %d: %d slow callback%s, the slowest %d ms: %s", loop, c.slow,
                            c.slow == 1 ? "" : "s", c.slowest.toMillis(), c.slowestSource));
                }
                previous.remove(loop); // the next table needs a new event
                counts.remove(b.threadId());
            }
            slowLines.forEach(out::println);
            out.println();
            out.flush();
            return true;
        }

        private static String rate(long delta, double secs) {
            return String.format("%,d", Math.round(Math.max(0, delta) / secs));
        }

        private static String clip(String s, int n) {
            return s.length() <= n ? s : s.substring(0, n - 1) + "~";
        }
    }
}
