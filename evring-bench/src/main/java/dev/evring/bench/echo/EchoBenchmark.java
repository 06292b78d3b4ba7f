package dev.evring.bench.echo;

import dev.evring.Backend;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.CpuWindow;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ServerRounds;
import dev.evring.bench.harness.ServerRow;
import dev.evring.bench.harness.VirtualThreadRows;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * TCP echo: each server in a JVM of its own pinned to CPU 0, the C load generator (native/echo_load.c) pinned to
 * CPU 1, 64-byte messages at 1 x 1, 50 x 8 and 1,000 x 1 (connections x messages in flight), and 10,000 x 1 idle
 * mostly (each connection rests {@value #IDLE_PAUSE_MS} ms between its round trips: issue 12's many parked threads).
 * Reports messages/s, latency percentiles (HdrHistogram), the server's CPU time per message (/proc/PID/stat across
 * the measured window), its RSS, and the client's CPU use, which says whether the figure is the server's limit or the
 * client's.
 */
public final class EchoBenchmark implements Benchmark {
    public static final Metric MSGS = new Metric("msgs_per_s", "throughput", "msg/s", true);
    public static final Metric P50 = new Metric("p50_us", "p50", "us", false);
    public static final Metric P99 = new Metric("p99_us", "p99", "us", false);
    public static final Metric P999 = new Metric("p999_us", "p99.9", "us", false);
    public static final Metric SERVER_CPU = new Metric("server_cpu_us_per_msg", "server CPU", "us/msg", false);
    static final int MESSAGE_SIZE = 64;

    /**
     * A load: connections x messages in flight on each; with {@code pauseMs}, each connection rests that long after
     * its echoes came back before it sends again, so it is idle most of the time.
     */
    record Load(int connections, int inFlight, int pauseMs) {
        Load(int connections, int inFlight) {
            this(connections, inFlight, 0);
        }

        String label() {
            String l = String.format(Locale.ROOT, "%,d x %d", connections, inFlight);
            return pauseMs == 0 ? l : l + " idle-mostly";
        }
    }

    static final List<Load> LOADS = List.of(new Load(1, 1), new Load(50, 8), new Load(1_000, 1));
    /** The idle-mostly load: this many connections (as many as the open-file limit lets both ends hold), one message each. */
    static final int IDLE_CONNECTIONS = 10_000;
    /** How long each connection of the idle-mostly load rests between round trips. */
    static final int IDLE_PAUSE_MS = 1_000;

    /**
     * The loads; a quick run leaves out 1,000 x 1 and the idle-mostly 10,000 (many connections: the memory benchmark
     * opens 2,000 in a quick run).
     */
    static List<Load> loads(BenchContext ctx) {
        if (ctx.quick()) return LOADS.subList(0, 2);
        List<Load> all = new java.util.ArrayList<>(LOADS);
        all.add(new Load(BenchContext.connectionsThatFit(IDLE_CONNECTIONS, BenchContext.openFileLimit()), 1, IDLE_PAUSE_MS));
        return all;
    }

    record Settings(int repeats, long firstWarmupMs, long warmupMs, long windowMs) {}

    static Settings settings(BenchContext ctx) {
        int repeats = ctx.options().repeatsOr(2, 5);
        return ctx.quick() ? new Settings(repeats, 1_000, 100, 300) : new Settings(repeats, 5_000, 300, 2_000);
    }

    @Override
    public String id() {
        return "echo";
    }

    /**
     * The rows: evring's echo server in both modes on each backend, then the peers, then the echo server on virtual
     * threads on each socket factory (see {@link EchoServers}). A quick run keeps evring to io_uring in both modes and
     * epoll readiness.
     */
    static List<ServerRow> servers(BenchContext ctx) {
        List<EchoServers.Evring> evring = EchoServers.ALL_EVRING.stream()
                .filter(e -> !ctx.quick() || e.backend() == Backend.IO_URING || (e.backend() == Backend.EPOLL && e.mode().equals("readiness")))
                .toList();
        return EchoServers.rows(ctx, evring, List.of(), true);
    }

    @Override
    public String plan(BenchContext ctx) {
        Settings s = settings(ctx);
        return "echo: " + String.join(", ", loads(ctx).stream().map(Load::label).toList()) + " (connections x messages in flight), "
                + MESSAGE_SIZE + "-byte messages; " + s.repeats + " windows of " + s.windowMs + " ms per case\n"
                + ServerRounds.rowsLine(ctx, servers(ctx), ctx.options().loops());
    }

    /** Every server at once, warmed up at 50 x 8, then the loads repeat by repeat, the servers in turn (see ServerRounds). */
    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "TCP echo: 64-byte messages, server on one CPU",
                CpuWindow.withWindowMetrics(MSGS, P50, P99, P999, SERVER_CPU));
        Settings set = settings(ctx);
        NativeTools.Binary client = ctx.tools().compile("echo_load", NativeTools.Needs.IO_URING_HEADER);
        if (!ctx.pinned()) results.addNote(ctx.unpinnedNote());
        List<Load> loads = loads(ctx);
        for (Load l : loads) {
            if (l.pauseMs() == 0) continue;
            results.addNote(String.format(Locale.ROOT, "%s: each connection sends one message, and once it is back rests %,d ms before the "
                    + "next; their first messages spread over the first pause; latency is a message's round trip%s", l.label(), l.pauseMs(),
                    l.connections() < IDLE_CONNECTIONS ? String.format(Locale.ROOT, "; %,d connections ran as %,d: the open-file limit here is %,d",
                            IDLE_CONNECTIONS, l.connections(), BenchContext.openFileLimit()) : ""));
        }
        String loopsNote = ServerRounds.loopsNote(ctx, ctx.options().loops());
        if (loopsNote != null) results.addNote(loopsNote);
        ServerRounds.run(ctx, results, servers(ctx), client.ok() ? null : "load generator: " + client.missing(),
                new ServerRounds.Schedule<>(loads, Load::label, new Load(50, 8), set.repeats, ctx.options().loops()),
                (r, load, server, warmup) -> measure(ctx, r, client.path(), server, load,
                        warmup ? set.firstWarmupMs : Math.max(set.warmupMs, load.pauseMs() + 500L),
                        warmup ? 200 : Math.max(set.windowMs, 2L * load.pauseMs())),
                r -> ServerRounds.progressLine(r, MSGS, P99, SERVER_CPU));
        CpuWindow.flag(results);
        barNote(results);
        VirtualThreadRows.barNote(results, List.of(new Load(50, 8).label(), new Load(1_000, 1).label()), SERVER_CPU, P99);
        return results;
    }

    /** One client run: a warm-up, then a measured window during which the server's CPU time is sampled. */
    private static void measure(BenchContext ctx, CaseResult r, Path client, ServerRounds.Server server, Load load,
                                long warmupMs, long windowMs) throws Exception {
        EchoLoad.Window w = EchoLoad.run(ctx, r, client, server,
                EchoLoad.Shape.echo(load.connections(), load.inFlight(), MESSAGE_SIZE, load.pauseMs()), warmupMs, windowMs);
        if (w != null) addFigures(r, w);
    }

    /** A window's figures: messages/s, latency percentiles, the server's CPU per message, the CPU shares. */
    static void addFigures(CaseResult r, EchoLoad.Window w) {
        r.add(MSGS.key(), w.messages() / w.seconds());
        r.add(P50.key(), w.latency().getValueAtPercentile(50) / 1000.0);
        r.add(P99.key(), w.latency().getValueAtPercentile(99) / 1000.0);
        r.add(P999.key(), w.latency().getValueAtPercentile(99.9) / 1000.0);
        if (!Double.isNaN(w.cpu().serverSeconds())) r.add(SERVER_CPU.key(), w.cpu().serverSeconds() * 1e6 / w.messages());
        w.cpu().addShares(r, w.seconds(), w.clientCpuSeconds());
    }

    /** The bar: evring's completion server against the best Netty at 50 x 8. */
    static void barNote(BenchmarkResults b) {
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
}
