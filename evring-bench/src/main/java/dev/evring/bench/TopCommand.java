package dev.evring.bench;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import dev.evring.examples.CommandLine;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import jdk.management.jfr.RemoteRecordingStream;

import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ./evring top}: the evring loops of a running JVM, live, from their JDK Flight Recorder events; or the same
 * table and the distributions behind it for a recording file.
 *
 * <p>Live ({@code --pid P}): attaches to the JVM (the Attach API, as jcmd does), starts its local JMX agent (loopback
 * only, what jconsole starts too) and streams a recording of evring's events through {@link RemoteRecordingStream}:
 * each loop's {@code dev.evring.LoopStatistics} once per interval, {@code jdk.ThreadCPULoad}, and every
 * {@code dev.evring.SlowCallback}, {@code BufferPoolExhausted}, {@code AcceptPause}, {@code CqOverflow} and
 * {@code RingRebuild}. Every interval it prints, per loop, the rates between its last two statistics events and the
 * events since the last table. The recording ends with top; the JMX agent stays (as after jconsole).
 *
 * <p>From a file ({@code --file F}, a recording made with {@code jcmd PID JFR.start ...}): the rates between each
 * loop's first and last statistics event, every evring event's count, and the percentiles of the per-iteration and
 * per-poll events ({@code dev.evring.LoopIteration}, {@code dev.evring.RingBatch}).
 */
final class TopCommand {
    private TopCommand() {}

    static final CommandLine COMMAND_LINE = new CommandLine("./evring top",
            "A live view of a running JVM's evring loops: iterations/s, wait %, CPU %, system calls, SQEs and CQEs per second,\n"
            + "overflows, slow callbacks, buffer pools run dry, accept pauses; one table per interval, from the JVM's\n"
            + "JFR events (attaches as jcmd does: a JVM of this user; its local JMX agent is started). With --file, the\n"
            + "same figures and their distributions for a JFR recording (jcmd PID JFR.start ... filename=F).");
    static final CommandLine.Option<Long> PID = COMMAND_LINE.longInteger("--pid", "P", 0, 1, Integer.MAX_VALUE,
            "the JVM to watch (jcmd lists them)");
    static final CommandLine.Option<String> FILE = COMMAND_LINE.string("--file", "F", null,
            "a JFR recording to summarize instead");
    static final CommandLine.Option<Integer> INTERVAL = COMMAND_LINE.integer("--interval", "SECONDS", 1, 1, 3600,
            "seconds between tables (default 1)");
    static final CommandLine.Option<Integer> COUNT = COMMAND_LINE.integer("--count", "N", 0, 0, Integer.MAX_VALUE,
            "tables to print, then exit (default 0: until Ctrl-C)");

    /** Without a single loop's statistics for this long, a counted run gives up (the JVM has no open loop). */
    static final Duration GIVE_UP = Duration.ofSeconds(15);

    static final List<String> COUNTED = List.of("dev.evring.SlowCallback", "dev.evring.BufferPoolExhausted",
            "dev.evring.AcceptPause", "dev.evring.CqOverflow", "dev.evring.RingRebuild");

    static int run(CommandLine.Parsed options) throws Exception {
        if (options.given(PID) == options.given(FILE)) {
            throw new CommandLine.UsageException("--pid: give the JVM to watch (jcmd lists them), or --file and a recording, one of the two");
        }
        if (options.given(FILE)) return summarize(Path.of(options.get(FILE)), System.out);
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
            Model model = new Model(cpus);
            rs.enable("dev.evring.LoopStatistics").withPeriod(interval);
            rs.enable("jdk.ThreadCPULoad").withPeriod(interval); // the loop threads' CPU use, beside their wait time
            for (String name : COUNTED) rs.enable(name);
            rs.onEvent("dev.evring.LoopStatistics", model::statistics);
            for (String name : COUNTED) rs.onEvent(name, model::counted);
            rs.onEvent("jdk.ThreadCPULoad", model::cpuLoad);
            rs.startAsync();
            long start = System.nanoTime();
            int printed = 0;
            boolean saidWaiting = false;
            while (count == 0 || printed < count) {
                Thread.sleep(interval.toMillis());
                if (model.printLive(pid, out)) {
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

    /** Prints the summary of recording {@code file}; the exit status. */
    static int summarize(Path file, PrintStream out) throws IOException {
        Model model = new Model(0);
        Map<String, Long> counts = new TreeMap<>();
        try (RecordingFile r = new RecordingFile(file)) {
            while (r.hasMoreEvents()) {
                RecordedEvent e = r.readEvent();
                String name = e.getEventType().getName();
                if (!name.startsWith("dev.evring.")) continue;
                counts.merge(name, 1L, Long::sum);
                switch (name) {
                    case "dev.evring.LoopStatistics" -> model.statistics(e);
                    case "dev.evring.LoopIteration" -> model.iteration(e);
                    case "dev.evring.RingBatch" -> model.batch(e);
                    default -> {
                        if (COUNTED.contains(name)) model.counted(e);
                    }
                }
            }
        }
        if (!model.printSummary(file, counts, out)) {
            throw new IllegalStateException(file + " holds no dev.evring.LoopStatistics event of any loop: was it recorded"
                    + " from a JVM with an open evring loop, for at least two periods?");
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

    /** What the events told so far, and the tables made of it. Stream thread and printing thread: synchronized. */
    static final class Model {
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

        /** A growing list of longs, for percentiles. */
        static final class Values {
            long[] v = new long[64];
            int n;

            void add(long x) {
                if (n == v.length) v = Arrays.copyOf(v, n * 2);
                v[n++] = x;
            }

            String describe(boolean nanos) {
                long[] s = Arrays.copyOf(v, n);
                Arrays.sort(s);
                return "p50 " + show(s[(int) Math.min(n - 1, Math.ceil(0.50 * n) - 1)], nanos)
                        + ", p99 " + show(s[(int) Math.min(n - 1, Math.ceil(0.99 * n) - 1)], nanos)
                        + ", max " + show(s[n - 1], nanos);
            }

            private static String show(long x, boolean nanos) {
                if (!nanos) return String.format("%,d", x);
                if (x < 10_000) return x + " ns";
                if (x < 10_000_000) return String.format("%.1f us", x / 1e3);
                return String.format("%.1f ms", x / 1e6);
            }
        }

        private final int cpus;
        private final Map<Integer, Sample> first = new TreeMap<>();
        private final Map<Integer, Sample> last = new TreeMap<>();
        private final Map<Integer, Sample> previous = new HashMap<>();
        private final Map<Long, Counts> counts = new HashMap<>();
        /** Each thread's CPU use since the last table (user + system, a share of all the JVM's CPUs), by thread id. */
        private final Map<Long, Double> cpu = new HashMap<>();
        /** Per loop: LoopIteration's wait and work times and callbacks; per thread: RingBatch's SQEs, CQEs, enters. */
        private final Map<Integer, Values[]> iterations = new TreeMap<>();
        private final Map<Long, Values[]> batches = new HashMap<>();

        Model(int cpus) {
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
            first.putIfAbsent(loop, s);
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
                        RecordedClass cls = e.getClass("callbackClass");
                        c.slowestSource = e.getString("source") + (cls == null ? "" : " (" + cls.getName() + ")");
                    }
                }
                case "dev.evring.BufferPoolExhausted" -> c.poolDry++;
                case "dev.evring.AcceptPause" -> c.acceptPauses++;
                case "dev.evring.CqOverflow" -> c.overflows++;
                default -> c.rebuilds++;
            }
        }

        void iteration(RecordedEvent e) {
            Values[] v = iterations.computeIfAbsent(e.getInt("loop"), k -> new Values[] {new Values(), new Values(), new Values()});
            v[0].add(e.getDuration("waitTime").toNanos());
            v[1].add(e.getDuration("workTime").toNanos());
            v[2].add(e.getInt("callbacks"));
        }

        void batch(RecordedEvent e) {
            RecordedThread t = e.getThread();
            Values[] v = batches.computeIfAbsent(t == null ? -1L : t.getJavaThreadId(), k -> new Values[] {new Values(), new Values(), new Values()});
            v[0].add(e.getLong("sqes"));
            v[1].add(e.getLong("cqes"));
            v[2].add(e.getLong("enters"));
        }

        /** Prints a live table if some loop has two statistics events; returns whether it did. */
        synchronized boolean printLive(long pid, PrintStream out) {
            List<Integer> ready = new ArrayList<>();
            for (Integer loop : last.keySet()) if (previous.containsKey(loop)) ready.add(loop);
            if (ready.isEmpty()) return false;
            out.printf("evring top: JVM %d, %s, %d loop%s%n", pid, LocalTime.now().format(HMS), ready.size(), ready.size() == 1 ? "" : "s");
            header(out);
            List<String> slowLines = new ArrayList<>();
            for (int loop : ready) {
                Sample b = last.get(loop);
                Counts c = counts.getOrDefault(b.threadId(), new Counts());
                Double load = cpu.remove(b.threadId()); // none: the thread used less than 1 ms of CPU (JFR's threshold)
                row(out, loop, previous.get(loop), b, c, String.format("%.0f", load == null ? 0 : 100 * load * cpus));
                slowLine(slowLines, "loop " + loop, c);
                previous.remove(loop); // the next table needs a new event
                counts.remove(b.threadId());
            }
            slowLines.forEach(out::println);
            out.println();
            out.flush();
            return true;
        }

        /** Prints a recording's summary; false if no loop has two statistics events in it. */
        synchronized boolean printSummary(Path file, Map<String, Long> eventCounts, PrintStream out) {
            List<Integer> ready = new ArrayList<>();
            for (Integer loop : last.keySet()) if (first.get(loop) != last.get(loop)) ready.add(loop);
            if (ready.isEmpty()) return false;
            Instant from = ready.stream().map(first::get).map(Sample::at).min(Instant::compareTo).orElseThrow();
            Instant to = ready.stream().map(last::get).map(Sample::at).max(Instant::compareTo).orElseThrow();
            out.printf("evring top: recording %s, loop statistics over %.1f s (%s to %s)%n", file.getFileName(),
                    Duration.between(from, to).toMillis() / 1e3, HMS.format(from.atZone(ZoneId.systemDefault())),
                    HMS.format(to.atZone(ZoneId.systemDefault())));
            header(out);
            List<String> lines = new ArrayList<>();
            for (int loop : ready) {
                Sample b = last.get(loop);
                Counts c = counts.getOrDefault(b.threadId(), new Counts());
                row(out, loop, first.get(loop), b, c, "-");
                Values[] it = iterations.get(loop);
                if (it != null) {
                    lines.add(String.format("  loop %d per iteration (dev.evring.LoopIteration, %,d events): wait %s; work %s;"
                            + " callbacks %s", loop, it[0].n, it[0].describe(true), it[1].describe(true), it[2].describe(false)));
                }
                Values[] bt = batches.get(b.threadId());
                if (bt != null) {
                    lines.add(String.format("  loop %d per poll (dev.evring.RingBatch, %,d events): SQEs %s; CQEs %s;"
                            + " io_uring_enter calls %s", loop, bt[0].n, bt[0].describe(false), bt[1].describe(false), bt[2].describe(false)));
                }
                slowLine(lines, "  loop " + loop, c);
            }
            lines.forEach(out::println);
            out.println("  events: " + String.join(", ", eventCounts.entrySet().stream()
                    .map(en -> en.getKey() + " " + String.format("%,d", en.getValue())).toList()));
            out.flush();
            return true;
        }

        private static final DateTimeFormatter HMS = DateTimeFormatter.ofPattern("HH:mm:ss");

        private static void header(PrintStream out) {
            out.printf("%4s %-16s %-8s %9s %6s %5s %11s %9s %10s %9s %9s %7s %5s %4s %8s %6s%n", "LOOP", "THREAD", "BACKEND",
                    "ITER/S", "WAIT%", "CPU%", "CALLBACKS/S", "TASKS/S", "SYSCALLS/S", "SQES/S", "CQES/S", "CQE/ENT", "OVFL",
                    "SLOW", "POOL-DRY", "ACCEPT");
        }

        /** One loop's row: the rates from {@code a} to {@code b}, and the events counted meanwhile. */
        private static void row(PrintStream out, int loop, Sample a, Sample b, Counts c, String cpuPercent) {
            double secs = Math.max(1e-9, Duration.between(a.at(), b.at()).toNanos() / 1e9);
            long wait = b.waitNanos() - a.waitNanos();
            long work = b.workNanos() - a.workNanos();
            long enters = b.enters() - a.enters();
            long cqes = b.cqes() - a.cqes();
            out.printf("%4d %-16s %-8s %9s %6s %5s %11s %9s %10s %9s %9s %7s %5d %4d %8d %6d%n", loop, clip(b.thread(), 16),
                    b.backend(), rate(b.iterations() - a.iterations(), secs),
                    wait + work > 0 ? String.format("%.1f", 100.0 * wait / (wait + work)) : "-", cpuPercent,
                    rate(b.callbacks() - a.callbacks(), secs), rate(b.tasks() - a.tasks(), secs),
                    rate(b.systemCalls() - a.systemCalls(), secs), rate(b.sqes() - a.sqes(), secs), rate(cqes, secs),
                    enters > 0 ? String.format("%.1f", (double) cqes / enters) : "-",
                    Math.max(b.cqOverflows() - a.cqOverflows(), c.overflows) + Math.max(b.rebuilds() - a.rebuilds(), c.rebuilds),
                    c.slow, c.poolDry, c.acceptPauses);
        }

        private static void slowLine(List<String> lines, String who, Counts c) {
            if (c.slow == 0) return;
            lines.add(String.format("%s: %d slow callback%s, the slowest %d ms: %s", who, c.slow, c.slow == 1 ? "" : "s",
                    c.slowest.toMillis(), c.slowestSource));
        }

        private static String rate(long delta, double secs) {
            return String.format("%,d", Math.round(Math.max(0, delta) / secs));
        }

        private static String clip(String s, int n) {
            return s.length() <= n ? s : s.substring(0, n - 1) + "~";
        }
    }
}
