package dev.evring.bench.echo;

import dev.evring.Backend;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.CpuWindow;
import dev.evring.bench.harness.DriverProcess;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ServerRounds;
import dev.evring.bench.harness.ServerRow;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;
import dev.evring.bench.report.RowKind;
import dev.evring.examples.EchoServer;
import org.HdrHistogram.Histogram;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

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
    static final int MESSAGE_SIZE = 64;

    /** A load: connections x messages in flight on each. */
    record Load(int connections, int inFlight) {
        String label() {
            return String.format(Locale.ROOT, "%,d x %d", connections, inFlight);
        }
    }

    static final List<Load> LOADS = List.of(new Load(1, 1), new Load(50, 8), new Load(1_000, 1));

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
    List<ServerRow> servers(BenchContext ctx) {
        List<ServerRow> s = new ArrayList<>();
        Map<Backend, Backend.Availability> availability = new EnumMap<>(Backend.class);
        for (Backend b : Backend.values()) availability.put(b, b.availability()); // each probe opens a loop: once per backend
        for (String mode : List.of("completion", "readiness")) {
            for (Backend b : Backend.values()) {
                boolean inQuick = b == Backend.IO_URING || (b == Backend.EPOLL && mode.equals("readiness"));
                if (ctx.quick() && !inQuick) continue;
                Backend.Availability av = availability.get(b);
                s.add(new ServerRow("evring " + b.id() + " (" + mode + ")", RowKind.EVRING,
                        launch -> ctx.java(0, SERVER_JVM, EchoServer.class.getName(),
                                List.of("--port", Integer.toString(launch.port()), "--backend", b.id(), "--mode", mode)),
                        av.available() ? null : "backend unavailable: " + av.reason(), ServerRow.LISTENING));
            }
        }
        for (String impl : List.of("netty-epoll", "netty-io_uring")) {
            s.add(new ServerRow("Netty 4.2 " + impl.substring(6), RowKind.PEER, launch -> peerServer(ctx, impl, launch), null,
                    ServerRow.LISTENING));
        }
        s.add(new ServerRow("JDK NIO Selector", RowKind.PEER, launch -> peerServer(ctx, "nio", launch), null, ServerRow.LISTENING));
        return s;
    }

    /** The same heap and flags for every server JVM (Netty's leak detector off, as its users run in production). */
    static final List<String> SERVER_JVM = List.of("-Xms512m", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled");

    private static List<String> peerServer(BenchContext ctx, String impl, ServerRow.Launch launch) {
        return ctx.java(0, SERVER_JVM, EchoServerMain.class.getName(), List.of(impl, Integer.toString(launch.port())));
    }

    @Override
    public String plan(BenchContext ctx) {
        Settings s = settings(ctx);
        return "echo: " + String.join(", ", LOADS.stream().map(Load::label).toList()) + " (connections x messages in flight), "
                + MESSAGE_SIZE + "-byte messages; " + s.repeats + " windows of " + s.windowMs + " ms per case\n"
                + "  rows: " + String.join(", ", servers(ctx).stream().map(ServerRow::name).toList());
    }

    /** Every server at once, warmed up at 50 x 8, then the loads repeat by repeat, the servers in turn (see ServerRounds). */
    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "TCP echo: 64-byte messages, server on one CPU",
                List.of(MSGS, P50, P99, P999, SERVER_CPU, CpuWindow.SERVER_CPU_PCT, CpuWindow.CLIENT_CPU_PCT, CpuWindow.OTHER_CPU_PCT));
        Settings set = settings(ctx);
        NativeTools.Binary client = ctx.tools().compile("echo_load", NativeTools.Needs.IO_URING_HEADER);
        if (!ctx.pinned()) results.addNote(ctx.unpinnedNote());
        ServerRounds.run(ctx, results, servers(ctx), client.ok() ? null : "load generator: " + client.missing(),
                new ServerRounds.Schedule<>(LOADS, Load::label, new Load(50, 8), set.repeats),
                (r, load, server, warmup) -> measure(ctx, r, client.path(), server, load,
                        warmup ? set.firstWarmupMs : set.warmupMs, warmup ? 200 : set.windowMs),
                r -> ServerRounds.progressLine(r, MSGS, P99, SERVER_CPU));
        CpuWindow.flag(results);
        barNote(results);
        return results;
    }

    /** One client run: a warm-up, then a measured window during which the server's CPU time is sampled. */
    private static void measure(BenchContext ctx, CaseResult r, Path client, ServerRounds.Server server, Load load,
                                long warmupMs, long windowMs) throws Exception {
        List<String> cmd = ctx.nativeCommand(1, client, List.of(Integer.toString(server.port()), Integer.toString(load.connections()),
                Integer.toString(load.inFlight()), Integer.toString(MESSAGE_SIZE), Long.toString(warmupMs), Long.toString(windowMs)));
        CpuWindow cpu = new CpuWindow(server.pid());
        double[] stats = new double[4]; // messages, seconds, client cpu seconds, errors
        boolean[] gotStats = {false};
        String[] error = {null};
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        Duration timeout = Duration.ofMillis(warmupMs + windowMs + 60_000);
        DriverProcess.Ending end = DriverProcess.run(cmd, server.log(), timeout, line -> {
            String t = line.text();
            if (t.equals("window-start")) {
                cpu.start();
            } else if (t.equals("window-end")) {
                cpu.end();
            } else if (t.startsWith("hist ")) {
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
        if (!Double.isNaN(cpu.serverSeconds())) r.add(SERVER_CPU.key(), cpu.serverSeconds() * 1e6 / messages);
        cpu.addShares(r, seconds, stats[2]);
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
