package dev.evring.bench.harness;

import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;
import dev.evring.bench.report.RowKind;
import dev.evring.bench.report.Stats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The run of a server benchmark (echo, http): every server row started at once in a process of its own (each pinned
 * to CPU 0 by its command and idle until its turn), each checked ready and warmed up, then the cases one after the
 * other, repeat by repeat, taking the servers in turn within each repeat, so whatever else the machine does meanwhile
 * spreads over all rows alike instead of spoiling one. A server that dies is reported in the case it died in, and the
 * cases after it say so; one that never comes up fails every case with the reason.
 */
public final class ServerRounds {
    private ServerRounds() {}

    /** A started server of a row, and what became of it. */
    public static final class Server {
        private final ServerRow row;
        private final Process process;
        private final int port;
        private final Path log;
        private String down;    // why it serves no more (never came up, died): the cases left get this
        private String diedIn;  // the case it died in, if it died

        Server(ServerRow row, Process process, int port, Path log) {
            this.row = row;
            this.process = process;
            this.port = port;
            this.log = log;
        }

        public ServerRow row() {
            return row;
        }

        public int port() {
            return port;
        }

        /** The server process (the root of its tree: CPU is counted over the tree). */
        public long pid() {
            return process.pid();
        }

        /** The row's log, which also takes the load generator's output. */
        public Path log() {
            return log;
        }
    }

    /** One measurement: runs case {@code c} against {@code server}, adding one repeat's figures to (or failing) {@code into}. */
    @FunctionalInterface
    public interface Measure<C> {
        /** @param warmup a warm-up run: its figures are thrown away */
        void run(CaseResult into, C c, Server server, boolean warmup) throws Exception;
    }

    /**
     * What to run: the cases in order with their table labels, the case a warm-up runs, the measured repeats of each
     * case, and the event-loop counts every row runs with, each as a row of its own ({@link ServerRow#withLoops}).
     */
    public record Schedule<C>(List<C> cases, Function<C, String> label, C warmup, int repeats, List<Integer> loops) {
        public Schedule {
            loops = List.copyOf(loops);
            if (loops.isEmpty()) throw new IllegalArgumentException("no loop count");
        }

        /** Every row with one loop. */
        public Schedule(List<C> cases, Function<C, String> label, C warmup, int repeats) {
            this(cases, label, warmup, repeats, List.of(1));
        }
    }

    /**
     * How long a server may take from its start to serving: every row's JVM starts at once, and six of them touching
     * their whole heap (the memory benchmark's) on a busy 2-CPU machine took over 30 s.
     */
    static final Duration START_LIMIT = Duration.ofSeconds(90);

    /**
     * Runs {@code rows} (those {@code --rows} selects) through {@code schedule}, adding one result per case and row to
     * {@code results} and printing {@code progress} of each as it is complete. {@code skipAll}, when not null, is why
     * no row can run (the load generator is missing); every row is then reported skipped with it.
     */
    public static <C> void run(BenchContext ctx, BenchmarkResults results, List<ServerRow> rows, String skipAll,
                               Schedule<C> schedule, Measure<C> measure, Function<CaseResult, String> progress)
            throws Exception {
        String bench = results.id();
        List<Server> running = new ArrayList<>();
        Map<ServerRow, String> skipped = new LinkedHashMap<>();
        List<ServerRow> order = selected(ctx, rows, schedule.loops()); // the table's, skipped rows in their place
        try {
            for (ServerRow row : order) {
                String skip = row.skip() != null ? row.skip() : skipAll;
                if (skip != null) {
                    skipped.put(row, skip);
                    ctx.progress(String.format("  %-7s %-34s skipped: %s", bench, row.name(), skip));
                    continue;
                }
                int port = freePort();
                Path log = ctx.log(bench, row.name());
                Process p = new ProcessBuilder(row.command().apply(new ServerRow.Launch(port, row.loops()))).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
                running.add(new Server(row, p, port, log));
            }
            for (Server s : running) {
                s.down = awaitReady(s, START_LIMIT);
                if (s.down == null && s.row.kind() == RowKind.EVRING) {
                    String said = startLine(s.log);
                    if (said != null) results.addNote(s.row.name() + " ran as: " + said);
                }
                if (s.down == null) {
                    // warm the server up (its JIT, its caches) before anything is measured; the figures are discarded
                    measure.run(new CaseResult(bench, "warm-up", s.row.name(), s.row.kind()), schedule.warmup(), s, true);
                    checkAlive(s, "the warm-up");
                }
            }
            for (C c : schedule.cases()) {
                String label = schedule.label().apply(c);
                Map<Server, CaseResult> byServer = new LinkedHashMap<>();
                for (Server s : running) byServer.put(s, new CaseResult(bench, label, s.row.name(), s.row.kind()));
                for (int rep = 0; rep < schedule.repeats(); rep++) {
                    for (Server s : running) {
                        CaseResult r = byServer.get(s);
                        if (s.down != null || r.outcome() != Outcome.OK) continue;
                        measure.run(r, c, s, false);
                        if (checkAlive(s, label) != null) {
                            r.fail(s.process.exitValue() > 128 ? Outcome.CRASHED : Outcome.FAILED, s.down); // it just died
                        }
                    }
                }
                Map<ServerRow, Server> serverOf = new LinkedHashMap<>();
                for (Server s : running) serverOf.put(s.row, s);
                for (ServerRow row : order) {
                    Server s = serverOf.get(row);
                    if (s == null) {
                        results.add(CaseResult.without(bench, label, row.name(), row.kind(), Outcome.SKIPPED, skipped.get(row)));
                        continue;
                    }
                    CaseResult r = byServer.get(s);
                    if (r.outcome() == Outcome.OK && s.down != null && !r.has(results.primary().key())) {
                        r.fail(Outcome.FAILED, s.diedIn != null && !s.diedIn.equals(label) ? "not run: the server died in " + s.diedIn : s.down);
                    }
                    results.add(r);
                    ctx.progress(progress.apply(r));
                }
            }
        } finally {
            stop(running.stream().map(s -> s.process).toList());
        }
    }

    /**
     * The rows of {@code rows} that {@code --rows} selects, each followed by the variants asked for it (see
     * {@link RowSelection}), each of those once per loop count in {@code loops}, in that order; says which variants
     * apply to no row here.
     */
    public static List<ServerRow> selected(BenchContext ctx, List<ServerRow> rows, List<Integer> loops) {
        List<ServerRow> out = new ArrayList<>();
        for (ServerRow r : ctx.selectRows(rows, ServerRow::name, ServerRow::kind, ServerRow::withOptions)) {
            for (int n : loops) out.add(r.withLoops(n));
        }
        return out;
    }

    /** The plan's line of rows ({@code --list}): {@code "  rows: a, b, c"}, as {@link #selected} picks them. */
    public static String rowsLine(BenchContext ctx, List<ServerRow> rows, List<Integer> loops) {
        return "  rows: " + String.join(", ", selected(ctx, rows, loops).stream().map(ServerRow::name).toList());
    }

    /**
     * The note of a run with more than one loop count: where the servers ran, and what two CPUs can show. Null when
     * every row ran one loop.
     */
    public static String loopsNote(BenchContext ctx, List<Integer> loops) {
        if (loops.equals(List.of(1))) return null;
        return "rows named \", N loops\" ran their server with N event loops (evring's --loops N, Netty's group size, nginx's "
                + "worker_processes, N carrier threads for virtual threads, N selector threads for NIO) on CPUs 0 to N-1 (as many as "
                + "there are: " + ctx.cpus() + "); the load generator keeps CPU 1, so where a server's CPUs include it they share it: "
                + "compare server CPU per operation there, not throughput";
    }

    /**
     * A server benchmark's progress line for a result: the primary metric's median and noise, p99, the server's CPU
     * per operation and the client's CPU use, or why there are no figures.
     */
    public static String progressLine(CaseResult r, Metric primary, Metric p99, Metric serverCpu) {
        String what;
        if (r.outcome() != Outcome.OK) {
            what = r.outcome().word() + ": " + r.notes();
        } else {
            Stats m = r.stats(primary.key());
            String latency = r.usable(p99.key()) ? "  p99 " + Format.human(r.stats(p99.key()).median()) + " " + p99.unit() : "";
            what = String.format(Locale.ROOT, "%s %s (%s-%s)%s  server %s %s  client CPU %.0f%%",
                    Format.human(m.median()), primary.unit(), Format.human(m.min()), Format.human(m.max()), latency,
                    Format.human(r.stats(serverCpu.key()).median()), serverCpu.unit(), r.stats(CpuWindow.CLIENT_CPU_PCT.key()).median());
        }
        return String.format("  %-7s %-34s %-12s %s", r.benchmark(), r.row(), r.caseName(), what);
    }

    /**
     * What an evring server said of itself when it started, shortened to its backend, mode and features ({@code
     * echo server on port 4321, io_uring, completion mode (multishot accept, buffer ring); Ctrl-C stops it} becomes
     * {@code io_uring, completion mode (multishot accept, buffer ring)}): the proof that a variant's options took.
     * Null when it said nothing yet.
     */
    static String startLine(Path log) throws InterruptedException {
        long deadline = System.nanoTime() + STARTED_WAIT.toNanos(); // it may print just after its port first answers
        do {
            try {
                for (String l : Files.readAllLines(log)) {
                    if (l.isBlank() || l.startsWith("$ ")) continue;
                    Matcher m = STARTED.matcher(l.strip());
                    return m.matches() ? m.group(1) : l.strip();
                }
            } catch (IOException | UncheckedIOException e) {
                // not there yet
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return null;
    }

    private static final Duration STARTED_WAIT = Duration.ofSeconds(2);
    private static final Pattern STARTED = Pattern.compile(".*? on port \\d+, (.*?)(;.*)?");

    /** Null while the server lives; once it has died, records where and why, and returns the reason. */
    private static String checkAlive(Server s, String during) throws InterruptedException {
        if (s.down != null || s.process.isAlive()) return s.down;
        int code = s.process.waitFor();
        s.diedIn = during;
        s.down = "the server " + (code > 128 ? "was killed by " + DriverProcess.signalName(code - 128) : "exited with status " + code)
                + " during " + during + " (see " + s.log.getFileName() + ")";
        return s.down;
    }

    /** Asks the row's ready check until it says yes or no; returns null when the server serves, else why not. */
    static String awaitReady(Server s, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        String notYet = "it did not answer";
        while (System.nanoTime() < deadline) {
            if (!s.process.isAlive()) {
                return "the server exited with status " + s.process.exitValue() + " before serving (see " + s.log.getFileName() + ")";
            }
            try {
                String wrong = s.row.ready().check(s.port);
                return wrong == null ? null : "wrong answer: " + wrong;
            } catch (IOException e) {
                notYet = e.toString();
                Thread.sleep(50);
            }
        }
        return "the server did not serve on port " + s.port + " within " + limit.toSeconds() + " s (" + notYet + ")";
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    /** Asks every server to end at once (a JVM's shutdown takes a moment), then kills what has not after 5 s. */
    static void stop(List<Process> processes) throws InterruptedException {
        for (Process p : processes) if (p.isAlive()) p.destroy();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Process p : processes) {
            if (p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) continue;
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
