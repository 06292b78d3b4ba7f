package dev.evring.bench.http;

import dev.evring.Backend;
import dev.evring.bench.Main;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.CpuWindow;
import dev.evring.bench.harness.DriverProcess;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ServerRounds;
import dev.evring.bench.harness.ServerRow;
import dev.evring.bench.harness.VirtualThreadRows;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;
import dev.evring.bench.report.RowKind;
import dev.evring.examples.VirtualThreadHttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.1 plaintext (TechEmpower's test) measured with wrk: each server in a process of its own pinned to CPU 0, wrk
 * (one thread) pinned to CPU 1, at 50, 256 and 1,000 keep-alive connections, one request at a time or 16 pipelined.
 * Reports requests/s, wrk's p50 and p99 latency, the server's CPU time per request (its process tree's utime + stime
 * from /proc across the wrk run) and the CPU shares of server, client and the rest of the machine. A server is first
 * checked to answer right (see {@link HttpProbe}); a window in which wrk saw an error fails the row for that case.
 */
public final class HttpBenchmark implements Benchmark {
    public static final Metric REQUESTS = new Metric("requests_per_s", "throughput", "req/s", true);
    public static final Metric P50 = new Metric("p50_us", "p50", "us", false);
    public static final Metric P99 = new Metric("p99_us", "p99", "us", false);
    public static final Metric P999 = new Metric("p999_us", "p99.9", "us", false);
    public static final Metric SERVER_CPU = new Metric("server_cpu_us_per_req", "server CPU", "us/req", false);

    /**
     * Why the pipelined cases have no p50/p99. wrk 4 times a pipelined batch as one sample (first request written to
     * last answer read), and then applies its coordinated-omission correction with the interval of one request,
     * which adds about depth synthetic samples below each real one (and makes its percentiles read 0 when they fall
     * under the recorded minimum): what it prints there is not a latency of anything.
     */
    static final String LATENCY_NOTE = "p50/p99/p99.9 are wrk's (--latency, with its coordinated-omission correction) at 1 request "
            + "at a time; with 16 pipelined wrk times whole batches and its correction invents samples, so none are shown";

    /** A load: keep-alive connections x requests written at once on each (the pipelining depth). */
    record Load(int connections, int depth) {
        String label() {
            return String.format(Locale.ROOT, "%,d x %d", connections, depth);
        }
    }

    static final List<Load> LOADS = List.of(new Load(50, 1), new Load(50, 16), new Load(256, 1), new Load(256, 16),
            new Load(1_000, 1), new Load(1_000, 16));

    /** A quick run keeps one load per connection count: 50 x 1, 256 x 16, 1,000 x 1. */
    static List<Load> loads(BenchContext ctx) {
        return ctx.quick() ? List.of(LOADS.get(0), LOADS.get(3), LOADS.get(4)) : LOADS;
    }

    /** wrk runs whole seconds: a window is at least 1 s. */
    record Settings(int repeats, int warmupSeconds, int windowSeconds) {}

    static Settings settings(BenchContext ctx) {
        int repeats = ctx.options().repeatsOr(1, 3);
        return ctx.quick() ? new Settings(repeats, 1, 1) : new Settings(repeats, 3, 3);
    }

    @Override
    public String id() {
        return "http";
    }

    /**
     * The rows: evring's HTTP servers when {@code ./evring http-server} exists, then nginx, Netty 4.2's HTTP codec on
     * its two native transports, the JDK's HttpServer on virtual threads, and evring-examples' HTTP server on virtual
     * threads on each socket factory ({@link VirtualThreadRows}). A new row is a name, a command line for a
     * {@link ServerRow.Launch}, and {@link HttpProbe#check} as its ready check.
     */
    static List<ServerRow> rows(BenchContext ctx, NativeTools.Binary nginx) throws InterruptedException {
        List<ServerRow> rows = new ArrayList<>();
        if (Main.hasCommand("http-server")) {
            rows.add(evring(ctx, "completion", Backend.IO_URING));
            rows.add(evring(ctx, "readiness", Backend.EPOLL));
        }
        String nginxName = "nginx" + (nginx.ok() ? " " + nginxVersion(nginx.path()) : "");
        rows.add(new ServerRow(nginxName, RowKind.PEER, launch -> Nginx.command(ctx, nginx.path(), ctx.workDir("http"), launch),
                nginx.missing(), HttpProbe::check));
        for (String transport : List.of("epoll", "io_uring")) {
            rows.add(peer(ctx, "Netty 4.2 " + transport, "netty-" + transport));
        }
        rows.add(peer(ctx, "JDK HttpServer (virtual threads)", "jdk"));
        rows.addAll(VirtualThreadRows.rows(ctx, VirtualThreadHttpServer.class, VirtualThreadHttpServer.COMMAND_LINE, List.of(), HttpProbe::check));
        return rows;
    }

    /**
     * evring's HTTP server (evring-examples), started as {@code ./evring http-server --port P --mode M --backend B}
     * would start it, with {@code --loops N} once its {@code --help} lists it (until then the row runs one loop
     * only); skipped, saying why, where the backend does not open.
     */
    static ServerRow evring(BenchContext ctx, String mode, Backend backend) {
        Backend.Availability av = backend.availability();
        dev.evring.examples.CommandLine program = Main.commandLine("http-server");
        boolean takesLoops = program != null && ServerRow.takes(program, "--loops");
        return new ServerRow("evring " + backend.id() + " (" + mode + ")", RowKind.EVRING, launch -> {
            List<String> args = new ArrayList<>(List.of("http-server", "--port", Integer.toString(launch.port()), "--mode", mode, "--backend", backend.id()));
            if (takesLoops) args.addAll(List.of("--loops", Integer.toString(launch.loops())));
            return ctx.serverJava(launch, List.of(), Main.class.getName(), args);
        }, av.available() ? null : "backend unavailable: " + av.reason(), HttpProbe::check, 1,
                takesLoops ? null : "./evring http-server takes no --loops yet (loop groups, issue 13)");
    }

    /**
     * A peer started by {@link HttpServerMain} with its loop count (Netty's group size; the JDK HttpServer gets as
     * many carrier threads for its virtual threads).
     */
    private static ServerRow peer(BenchContext ctx, String name, String impl) {
        return new ServerRow(name, RowKind.PEER, launch -> ctx.serverJava(launch,
                impl.equals("jdk") ? List.of("-Djdk.virtualThreadScheduler.parallelism=" + launch.loops()) : List.of(),
                HttpServerMain.class.getName(), List.of(impl, Integer.toString(launch.port()), Integer.toString(launch.loops()))),
                null, HttpProbe::check);
    }

    /** "1.22.1" from "nginx version: nginx/1.22.1". */
    private static String nginxVersion(Path nginx) throws InterruptedException {
        String v = NativeTools.versionLine(nginx, "-v");
        int slash = v.lastIndexOf('/');
        return slash < 0 ? "" : v.substring(slash + 1).strip();
    }

    @Override
    public String plan(BenchContext ctx) throws Exception {
        Settings s = settings(ctx);
        return "http: " + String.join(", ", loads(ctx).stream().map(Load::label).toList()) + " (connections x pipelined requests), "
                + "wrk -t1; " + s.repeats + " windows of " + s.windowSeconds + " s per case\n"
                + ServerRounds.rowsLine(ctx, rows(ctx, ctx.tools().program("nginx", "nginx")), ctx.options().loops());
    }

    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "HTTP/1.1 plaintext (TechEmpower), server on one CPU, wrk on another",
                CpuWindow.withWindowMetrics(REQUESTS, P50, P99, P999, SERVER_CPU));
        Settings set = settings(ctx);
        NativeTools.Binary wrk = ctx.tools().program("wrk", "wrk");
        NativeTools.Binary nginx = ctx.tools().program("nginx", "nginx");
        if (!ctx.pinned()) results.addNote(ctx.unpinnedNote());
        if (wrk.ok()) {
            results.addNote("load: " + NativeTools.versionLine(wrk.path(), "-v").replaceAll("\\s*Copyright.*", "")
                    + ", 1 thread, --timeout " + Wrk.TIMEOUT);
        }
        results.addNote(LATENCY_NOTE);
        String loopsNote = ServerRounds.loopsNote(ctx, ctx.options().loops());
        if (loopsNote != null) results.addNote(loopsNote);
        Path script = writeScript(ctx.workDir(id()));
        ServerRounds.run(ctx, results, rows(ctx, nginx), wrk.missing(),
                new ServerRounds.Schedule<>(loads(ctx), Load::label, new Load(256, 16), set.repeats, ctx.options().loops()),
                (r, load, server, warmup) -> measure(ctx, r, wrk.path(), script, server, load, warmup ? set.warmupSeconds : set.windowSeconds),
                r -> ServerRounds.progressLine(r, REQUESTS, P99, SERVER_CPU));
        CpuWindow.flag(results);
        return results;
    }

    private static Path writeScript(Path dir) throws IOException {
        Path script = dir.resolve("wrk_plaintext.lua");
        try (InputStream in = HttpBenchmark.class.getResourceAsStream("/http/wrk_plaintext.lua")) {
            if (in == null) throw new IOException("resource http/wrk_plaintext.lua is missing from the class path");
            Files.write(script, in.readAllBytes());
        }
        return script;
    }

    /** One wrk run: the server's CPU sampled around it, its figures added to {@code r} or, with any error, {@code r} failed. */
    private static void measure(BenchContext ctx, CaseResult r, Path wrk, Path script, ServerRounds.Server server, Load load,
                                int seconds) throws Exception {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Duration timeout = Duration.ofSeconds(seconds + 60);
        CpuWindow cpu = new CpuWindow(server.pid());
        cpu.start();
        long t0 = System.nanoTime();
        DriverProcess.Ending end = DriverProcess.run(Wrk.command(ctx, wrk, script, server.port(), load, seconds), server.log(),
                timeout, line -> lines.add(line.text()));
        double wall = (System.nanoTime() - t0) / 1e9;
        cpu.end();
        Wrk.Result w = Wrk.parse(lines);
        if (!end.ok() || w == null) {
            r.fail(Outcome.FAILED, "wrk " + (end.ok() ? "printed no figures" : end.describe(timeout)));
        } else if (w.requests() == 0) {
            r.fail(Outcome.FAILED, "no answer in the window");
        } else if (w.errors() > 0) {
            r.fail(Outcome.FAILED, String.format(Locale.ROOT, "wrk saw errors: %s (of %,d answers; %s req/s with them)",
                    w.describeErrors(), w.requests(), Format.human(w.requestsPerSecond())));
        } else {
            r.add(REQUESTS.key(), w.requestsPerSecond());
            if (load.depth() == 1) { // see LATENCY_NOTE
                r.add(P50.key(), w.p50Us());
                r.add(P99.key(), w.p99Us());
                r.add(P999.key(), w.p999Us());
            }
            if (!Double.isNaN(cpu.serverSeconds())) r.add(SERVER_CPU.key(), cpu.serverSeconds() * 1e6 / w.requests());
            cpu.addShares(r, wall, w.clientCpuSeconds());
        }
    }
}
