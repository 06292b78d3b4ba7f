package dev.evring.bench.echo;

import dev.evring.Backend;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.DriverProcess;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ProcStat;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;
import dev.evring.bench.report.RowKind;
import dev.evring.bench.report.Stats;
import dev.evring.examples.EchoServer;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * TCP echo: each server in a JVM of its own pinned to CPU 0, the C load generator (native/echo_load.c) pinned to
 * CPU 1, 64-byte messages at 1 x 1, 50 x 8 and 1,000 x 1 (connections x messages in flight). Reports messages/s,
 * latency percentiles (HdrHistogram), the server's CPU time per message (/proc/PID/stat across the measured window)
 * and the client's CPU use, which says whether the figure is the server's limit or the client's.
 */
public final class EchoBenchmark implements Benchmark {
    public static final Metric MSGS = new Metric("msgs_per_s", "throughput", "msg/s", true);
    public static final Metric P50 = new Metric("p50_us", "p50", "us", false);
    public static final Metric P99 = new Metric("p99_us", "p99", "us", false);
    public static final Metric P999 = new Metric("p999_us", "p99.9", "us", false);
    public static final Metric SERVER_CPU = new Metric("server_cpu_us_per_msg", "server CPU", "us/msg", false);
    public static final Metric SERVER_CPU_PCT = new Metric("server_cpu_pct", "server CPU use", "%", false);
    public static final Metric CLIENT_CPU_PCT = new Metric("client_cpu_pct", "client CPU use", "%", false);
    public static final Metric OTHER_CPU_PCT = new Metric("other_cpu_pct", "other load", "% of a CPU", false);

    /** Above this share of its CPU the client, not the server, sets the pace. */
    static final double CLIENT_BOUND_PCT = 90;
    static final int MESSAGE_SIZE = 64;

    /** A load: connections x messages in flight on each. */
    record Load(int connections, int inFlight) {
        String label() {
            return String.format(Locale.ROOT, "%,d x %d", connections, inFlight);
        }
    }

    static final List<Load> LOADS = List.of(new Load(1, 1), new Load(50, 8), new Load(1_000, 1));

    /** A server row: how to start it on a given port, or why it cannot run here. */
    record Server(String name, RowKind kind, IntFunction<List<String>> command, String skip) {}

    record Settings(int repeats, long firstWarmupMs, long warmupMs, long windowMs) {}

    static Settings settings(BenchContext ctx) {
        int repeats = ctx.options().repeatsOr(3, 5);
        return ctx.quick() ? new Settings(repeats, 1_500, 100, 400) : new Settings(repeats, 5_000, 300, 2_000);
    }

    @Override
    public String id() {
        return "echo";
    }

    /**
     * The rows: evring's echo server (evring-examples' EchoServer, as {@code ./evring echo-server} runs it) in both
     * modes on each backend, then the peers. A quick run keeps evring to io_uring in both modes and epoll readiness.
     */
    List<Server> servers(BenchContext ctx) {
        List<Server> s = new ArrayList<>();
        Map<Backend, Backend.Availability> availability = new EnumMap<>(Backend.class);
        for (Backend b : Backend.values()) availability.put(b, b.availability()); // each probe opens a loop: once per backend
        for (String mode : List.of("completion", "readiness")) {
            for (Backend b : Backend.values()) {
                boolean inQuick = b == Backend.IO_URING || (b == Backend.EPOLL && mode.equals("readiness"));
                if (ctx.quick() && !inQuick) continue;
                Backend.Availability av = availability.get(b);
                s.add(new Server("evring " + b.id() + " (" + mode + ")", RowKind.EVRING,
                        port -> ctx.java(0, SERVER_JVM, EchoServer.class.getName(),
                                List.of("--port", Integer.toString(port), "--backend", b.id(), "--mode", mode)),
                        av.available() ? null : "backend unavailable: " + av.reason()));
            }
        }
        for (String impl : List.of("netty-epoll", "netty-io_uring")) {
            s.add(new Server("Netty 4.2 " + impl.substring(6), RowKind.PEER, port -> peerServer(ctx, impl, port), null));
        }
        s.add(new Server("JDK NIO Selector", RowKind.PEER, port -> peerServer(ctx, "nio", port), null));
        return s;
    }

    /** The same heap and flags for every server JVM (Netty's leak detector off, as its users run in production). */
    static final List<String> SERVER_JVM = List.of("-Xms512m", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled");

    private static List<String> peerServer(BenchContext ctx, String impl, int port) {
        return ctx.java(0, SERVER_JVM, EchoServerMain.class.getName(), List.of(impl, Integer.toString(port)));
    }

    @Override
    public String plan(BenchContext ctx) {
        Settings s = settings(ctx);
        return "echo: " + String.join(", ", LOADS.stream().map(Load::label).toList()) + " (connections x messages in flight), "
                + MESSAGE_SIZE + "-byte messages; " + s.repeats + " windows of " + s.windowMs + " ms per case\n"
                + "  rows: " + String.join(", ", servers(ctx).stream().map(Server::name).toList());
    }

    /** A server process of a row, and what became of it. */
    private static final class Running {
        final Server server;
        final Process process;
        final int port;
        final Path log;
        String down;    // why it serves no more (never came up, died): the cases left get this
        String diedIn;  // the case it died in, if it died

        Running(Server server, Process process, int port, Path log) {
            this.server = server;
            this.process = process;
            this.port = port;
            this.log = log;
        }
    }

    /**
     * Starts every server at once (each pinned to CPU 0, idle until its turn), warms each up, then goes through the
     * cases repeat by repeat, taking the servers in turn within each repeat: whatever else the machine is doing meanwhile
     * spreads over all rows alike instead of spoiling one.
     */
    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "TCP echo: 64-byte messages, server on one CPU",
                List.of(MSGS, P50, P99, P999, SERVER_CPU, SERVER_CPU_PCT, CLIENT_CPU_PCT, OTHER_CPU_PCT));
        Settings set = settings(ctx);
        NativeTools.Binary client = ctx.tools().compile("echo_load", NativeTools.Needs.IO_URING_HEADER);
        boolean pinned = ctx.cpus() >= 2 && ctx.tools().hasTaskset();
        if (!pinned) {
            results.addNote("server and client not pinned to separate CPUs (" + (ctx.cpus() < 2 ? "one CPU" : "no taskset")
                    + "): they share the machine's CPUs and the figures say less");
        }
        List<Running> running = new ArrayList<>();
        Map<Server, String> skipped = new LinkedHashMap<>();
        try {
            for (Server s : servers(ctx)) {
                if (!ctx.options().wantsRow(s.name())) continue;
                String skip = s.skip() != null ? s.skip() : client.ok() ? null : "load generator: " + client.missing();
                if (skip != null) {
                    skipped.put(s, skip);
                    ctx.progress(String.format("  %-7s %-34s skipped: %s", id(), s.name(), skip));
                    continue;
                }
                int port = freePort();
                Path log = ctx.log(id(), s.name());
                Process p = new ProcessBuilder(s.command().apply(port)).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
                running.add(new Running(s, p, port, log));
            }
            for (Running r : running) {
                r.down = awaitListening(r.process, r.port, Duration.ofSeconds(30));
                if (r.down == null) {
                    // warm the server's JIT up under the heaviest load before anything is measured; figures discarded
                    measure(ctx, new CaseResult(id(), "warm-up", r.server.name(), r.server.kind()), client.path(), r.port,
                            new Load(50, 8), set.firstWarmupMs, 200, r.process.pid(), r.log);
                    checkAlive(r, "the warm-up");
                }
            }
            for (Load load : LOADS) {
                Map<Running, CaseResult> byServer = new LinkedHashMap<>();
                for (Running r : running) byServer.put(r, new CaseResult(id(), load.label(), r.server.name(), r.server.kind()));
                for (int rep = 0; rep < set.repeats; rep++) {
                    for (Running r : running) {
                        CaseResult c = byServer.get(r);
                        if (r.down != null || c.outcome() != Outcome.OK) continue;
                        measure(ctx, c, client.path(), r.port, load, set.warmupMs, set.windowMs, r.process.pid(), r.log);
                        if (checkAlive(r, load.label()) != null) {
                            c.fail(r.process.exitValue() > 128 ? Outcome.CRASHED : Outcome.FAILED, r.down); // it just died
                        }
                    }
                }
                skipped.forEach((s, why) -> results.add(CaseResult.without(id(), load.label(), s.name(), s.kind(), Outcome.SKIPPED, why)));
                for (Running r : running) {
                    CaseResult c = byServer.get(r);
                    if (c.outcome() == Outcome.OK && r.down != null && !c.has(MSGS.key())) {
                        c.fail(Outcome.FAILED, r.diedIn != null && !r.diedIn.equals(load.label()) ? "not run: the server died in " + r.diedIn : r.down);
                    }
                    results.add(c);
                    ctx.progress(progressLine(c));
                }
            }
        } finally {
            for (Running r : running) stop(r.process);
        }
        clientBoundNotes(results);
        return results;
    }

    /** Null while the server lives; once it has died, records where and why, and returns the reason. */
    private static String checkAlive(Running r, String during) throws InterruptedException {
        if (r.down != null || r.process.isAlive()) return r.down;
        int code = r.process.waitFor();
        r.diedIn = during;
        r.down = "the server " + (code > 128 ? "was killed by " + DriverProcess.signalName(code - 128) : "exited with status " + code)
                + " during " + during + " (see " + r.log.getFileName() + ")";
        return r.down;
    }

    /** One client run: a warm-up, then a measured window during which the server's CPU time is sampled. */
    private void measure(BenchContext ctx, CaseResult r, Path client, int port, Load load, long warmupMs, long windowMs,
                         long serverPid, Path log) throws Exception {
        List<String> cmd = ctx.nativeCommand(1, client, List.of(Integer.toString(port), Integer.toString(load.connections()),
                Integer.toString(load.inFlight()), Integer.toString(MESSAGE_SIZE), Long.toString(warmupMs), Long.toString(windowMs)));
        double[] serverCpu = {Double.NaN, Double.NaN};
        double[] machineCpu = {Double.NaN, Double.NaN};
        double[] stats = new double[4]; // messages, seconds, client cpu seconds, errors
        boolean[] gotStats = {false};
        String[] error = {null};
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        Duration timeout = Duration.ofMillis(warmupMs + windowMs + 60_000);
        DriverProcess.Ending end = DriverProcess.run(cmd, log, timeout, line -> {
            String t = line.text();
            if (t.equals("window-start")) {
                serverCpu[0] = ProcStat.cpuSeconds(serverPid);
                machineCpu[0] = ProcStat.machineBusySeconds();
            } else if (t.equals("window-end")) {
                serverCpu[1] = ProcStat.cpuSeconds(serverPid);
                machineCpu[1] = ProcStat.machineBusySeconds();
            }
            else if (t.startsWith("hist ")) {
                String[] f = t.split(" ");
                h.recordValueWithCount(Math.max(1, Long.parseLong(f[1])), Long.parseLong(f[2]));
            } else if (t.startsWith("stats ")) {
                for (String kv : t.substring(6).split(" ")) {
                    String[] p = kv.split("=");
                    int i = switch (p[0]) {
                        case "messages" -> 0;
                        case "seconds" -> 1;
                        case "client_cpu_seconds" -> 2;
                        case "errors" -> 3;
                        default -> -1;
                    };
                    if (i >= 0) stats[i] = Double.parseDouble(p[1]);
                }
                gotStats[0] = true;
            } else if (t.startsWith("error ")) {
                error[0] = t.substring(6);
            }
        });
        if (!end.ok() || !gotStats[0] || stats[0] == 0) {
            String why = error[0] != null ? "load generator: " + error[0]
                    : !end.ok() ? "load generator " + end.describe(timeout) : "no message came back in the window";
            r.fail(Outcome.FAILED, why);
            return;
        }
        double messages = stats[0], seconds = stats[1];
        r.add(MSGS.key(), messages / seconds);
        r.add(P50.key(), h.getValueAtPercentile(50) / 1000.0);
        r.add(P99.key(), h.getValueAtPercentile(99) / 1000.0);
        r.add(P999.key(), h.getValueAtPercentile(99.9) / 1000.0);
        double serverSeconds = serverCpu[1] - serverCpu[0];
        if (!Double.isNaN(serverSeconds)) {
            r.add(SERVER_CPU.key(), serverSeconds * 1e6 / messages);
            r.add(SERVER_CPU_PCT.key(), serverSeconds / seconds * 100);
        }
        r.add(CLIENT_CPU_PCT.key(), stats[2] / seconds * 100);
        double other = machineCpu[1] - machineCpu[0] - serverSeconds - stats[2];
        if (!Double.isNaN(other)) r.add(OTHER_CPU_PCT.key(), Math.max(0, other / seconds * 100));
    }

    /** Above this share of a CPU used by other processes during a window, the figure is flagged as disturbed. */
    static final double OTHER_LOAD_PCT = 25;

    /**
     * Marks the results where the client used (nearly) all of its CPU (the figure is then a client limit), and those
     * measured while other processes took a fair share of the machine; then checks the bar.
     */
    static void clientBoundNotes(BenchmarkResults b) {
        for (CaseResult r : b.results()) {
            if (r.usable(OTHER_CPU_PCT.key()) && r.stats(OTHER_CPU_PCT.key()).max() >= OTHER_LOAD_PCT) {
                r.note(String.format(Locale.ROOT, "BUSY MACHINE: other processes used up to %.0f%% of a CPU during a window",
                        r.stats(OTHER_CPU_PCT.key()).max()));
            }
            if (!r.usable(CLIENT_CPU_PCT.key())) continue;
            double c = r.stats(CLIENT_CPU_PCT.key()).median();
            if (c >= CLIENT_BOUND_PCT) {
                r.note(String.format(Locale.ROOT, "CLIENT-BOUND: the load generator used %.0f%% of its CPU, so this is the client's limit, not the server's", c));
            }
        }
        for (String row : b.rows()) {
            if (!row.startsWith("evring") || !row.endsWith("(completion)")) continue;
            Optional<CaseResult> e = b.find(new Load(50, 8).label(), row);
            if (e.isEmpty() || !e.get().usable(MSGS.key())) continue;
            CaseResult best = null;
            for (String peer : b.rows()) {
                if (!peer.startsWith("Netty")) continue;
                Optional<CaseResult> p = b.find(new Load(50, 8).label(), peer);
                if (p.isPresent() && p.get().usable(MSGS.key())
                        && (best == null || p.get().stats(MSGS.key()).median() > best.stats(MSGS.key()).median())) best = p.get();
            }
            if (best == null) continue;
            double ratio = e.get().stats(MSGS.key()).median() / best.stats(MSGS.key()).median();
            double cpuE = e.get().stats(SERVER_CPU.key()).median(), cpuN = best.stats(SERVER_CPU.key()).median();
            b.addNote(String.format(Locale.ROOT, "bar (%s at 50 x 8: >= 1.30x the msg/s of the best Netty, with less server CPU per message): "
                            + "%.2fx %s, %s us/msg vs %s us/msg: %s", row, ratio, best.row(), Format.human(cpuE), Format.human(cpuN),
                    ratio >= 1.3 && cpuE < cpuN ? "met" : "missed"));
        }
    }

    static String progressLine(CaseResult r) {
        String what;
        if (r.outcome() != Outcome.OK) {
            what = r.outcome().word() + ": " + r.notes();
        } else {
            Stats m = r.stats(MSGS.key());
            what = String.format(Locale.ROOT, "%s msg/s (%s-%s)  p99 %s us  server %s us/msg  client CPU %.0f%%",
                    Format.human(m.median()), Format.human(m.min()), Format.human(m.max()),
                    Format.human(r.stats(P99.key()).median()), Format.human(r.stats(SERVER_CPU.key()).median()),
                    r.stats(CLIENT_CPU_PCT.key()).median());
        }
        return String.format("  %-7s %-34s %-12s %s", "echo", r.row(), r.caseName(), what);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    /** Waits until the port accepts connections; returns null when it does, else why not. */
    static String awaitListening(Process server, int port, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) return "the server exited with status " + server.exitValue() + " before listening";
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return null;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        return "the server did not listen on port " + port + " within " + limit.toSeconds() + " s";
    }

    static void stop(Process p) throws InterruptedException {
        if (!p.isAlive()) return;
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
