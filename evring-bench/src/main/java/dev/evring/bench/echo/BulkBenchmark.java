package dev.evring.bench.echo;

import dev.evring.Backend;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.CpuWindow;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ServerRounds;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Metric;

import java.nio.file.Path;
import java.util.List;

/**
 * Large messages through the echo servers, where bytes rather than messages cost: 64 KiB messages echoed, a 1 MiB
 * stream (the client writes 1 MiB writes back to back and drains the echo, never waiting for it), and 1 MiB blocks
 * echoed whole one at a time. Each server in a JVM of its own pinned to CPU 0, the C load generator
 * (native/echo_load.c) on CPU 1. Reports MB/s, the latency of a message or block where there is one, the server's
 * CPU time per KiB echoed (each byte received and sent once), and the CPU shares that say whether the client set the
 * pace (CLIENT-BOUND).
 */
public final class BulkBenchmark implements Benchmark {
    public static final Metric MBPS = new Metric("mb_per_s", "throughput", "MB/s", true);
    public static final Metric P50 = new Metric("p50_us", "p50", "us", false);
    public static final Metric P99 = new Metric("p99_us", "p99", "us", false);
    public static final Metric SERVER_CPU = new Metric("server_cpu_ns_per_kib", "server CPU", "ns/KiB", false);

    static final int KIB_64 = 64 * 1024, MIB = 1024 * 1024;

    /** A case: its table label and what the load generator does. */
    record Load(String label, EchoLoad.Shape shape) {}

    static final Load ECHO_64K_1 = new Load("64 KiB echo, 1 x 1", EchoLoad.Shape.echo(1, 1, KIB_64));
    static final Load ECHO_64K_50 = new Load("64 KiB echo, 50 x 1", EchoLoad.Shape.echo(50, 1, KIB_64));
    static final Load STREAM_1M = new Load("1 MiB stream, 1 conn", EchoLoad.Shape.stream(1, MIB));
    static final Load BLOCKS_1M = new Load("1 MiB blocks, 1 x 1", EchoLoad.Shape.echo(1, 1, MIB));

    /** The cases: a quick run leaves out 64 KiB at 1 x 1 (the latency of one message, which 50 x 1 also shows). */
    static List<Load> loads(BenchContext ctx) {
        return ctx.quick() ? List.of(ECHO_64K_50, STREAM_1M, BLOCKS_1M) : List.of(ECHO_64K_1, ECHO_64K_50, STREAM_1M, BLOCKS_1M);
    }

    record Settings(int repeats, long firstWarmupMs, long warmupMs, long windowMs) {}

    static Settings settings(BenchContext ctx) {
        int repeats = ctx.options().repeatsOr(2, 3);
        return ctx.quick() ? new Settings(repeats, 500, 100, 250) : new Settings(repeats, 3_000, 300, 1_000);
    }

    /**
     * evring's rows: completion on io_uring, readiness on epoll, and completion on epoll (the emulation, which a quick
     * run leaves out).
     */
    static List<EchoServers.Evring> evring(BenchContext ctx) {
        List<EchoServers.Evring> all = List.of(new EchoServers.Evring("completion", Backend.IO_URING),
                new EchoServers.Evring("readiness", Backend.EPOLL), new EchoServers.Evring("completion", Backend.EPOLL));
        return ctx.quick() ? all.subList(0, 2) : all;
    }

    @Override
    public String id() {
        return "bulk";
    }

    @Override
    public String plan(BenchContext ctx) {
        Settings s = settings(ctx);
        return "bulk: " + String.join(", ", loads(ctx).stream().map(Load::label).toList()) + "; "
                + s.repeats + " windows of " + s.windowMs + " ms per case\n"
                + ServerRounds.rowsLine(ctx, EchoServers.rows(ctx, evring(ctx), List.of(), false), List.of(1));
    }

    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "TCP echo of large messages: 64 KiB, 1 MiB stream and blocks, server on one CPU",
                CpuWindow.withWindowMetrics(MBPS, P50, P99, SERVER_CPU));
        Settings set = settings(ctx);
        NativeTools.Binary client = ctx.tools().compile("echo_load", NativeTools.Needs.IO_URING_HEADER);
        if (!ctx.pinned()) results.addNote(ctx.unpinnedNote());
        results.addNote("MB/s counts each byte once (it also came back); server CPU per KiB covers its receive and its send; "
                + "the stream has no latency (no message to time)");
        ServerRounds.run(ctx, results, EchoServers.rows(ctx, evring(ctx), List.of(), false), client.ok() ? null : "load generator: " + client.missing(),
                new ServerRounds.Schedule<>(loads(ctx), Load::label, ECHO_64K_50, set.repeats),
                (r, load, server, warmup) -> measure(ctx, r, client.path(), server, load,
                        warmup ? set.firstWarmupMs : set.warmupMs, warmup ? 200 : set.windowMs),
                r -> ServerRounds.progressLine(r, MBPS, P99, SERVER_CPU));
        CpuWindow.flag(results);
        return results;
    }

    private static void measure(BenchContext ctx, CaseResult r, Path client, ServerRounds.Server server, Load load,
                                long warmupMs, long windowMs) throws Exception {
        EchoLoad.Window w = EchoLoad.run(ctx, r, client, server, load.shape(), warmupMs, windowMs);
        if (w == null) return;
        r.add(MBPS.key(), w.bytes() / w.seconds() / 1e6);
        if (w.messages() > 0) {
            r.add(P50.key(), w.latency().getValueAtPercentile(50) / 1000.0);
            r.add(P99.key(), w.latency().getValueAtPercentile(99) / 1000.0);
        }
        if (!Double.isNaN(w.cpu().serverSeconds())) r.add(SERVER_CPU.key(), w.cpu().serverSeconds() * 1e9 / (w.bytes() / 1024.0));
        w.cpu().addShares(r, w.seconds(), w.clientCpuSeconds());
    }
}
