package dev.evring.bench.echo;

import dev.evring.Backend;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.CpuWindow;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ServerRounds;
import dev.evring.bench.harness.ServerRow;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.RowKind;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * UDP echo: each server in a JVM of its own pinned to CPU 0, one thread, the C load generator (native/echo_load.c,
 * udp mode) pinned to CPU 1: clients (connected UDP sockets) x datagrams in flight, 64-byte and 1,400-byte datagrams.
 * Reports datagrams/s, latency percentiles, the server's CPU time per datagram and the share of datagrams lost (no
 * echo within 200 ms: the client counts it and sends the next, so a loss never stalls the run). Rows: evring's
 * completion API ({@code UdpSocket.recvFrom} + {@code reply}) on io_uring and on epoll (the readiness emulation),
 * Netty 4.2's epoll and io_uring datagram channels, the JDK's DatagramChannel on a Selector.
 */
public final class UdpBenchmark implements Benchmark {
    public static final Metric LOST = new Metric("lost_pct", "lost", "%", false);
    /** Echoes that came after their datagram was counted lost: a stall of the server or of the machine, not a loss. */
    public static final Metric LATE = new Metric("late_pct", "late", "%", false);
    static final int SMALL = 64;
    static final int LARGE = 1_400;

    /** A load: clients x datagrams in flight on each, of {@code size} bytes. */
    record Load(int clients, int inFlight, int size) {
        String label() {
            return String.format(Locale.ROOT, "%,d x %d of %,d B", clients, inFlight, size);
        }
    }

    static final List<Load> LOADS = List.of(new Load(1, 1, SMALL), new Load(50, 8, SMALL), new Load(1_000, 1, SMALL),
            new Load(1, 1, LARGE), new Load(50, 8, LARGE));

    static List<Load> loads(BenchContext ctx) {
        return ctx.quick() ? List.of(LOADS.get(0), LOADS.get(1)) : LOADS;
    }

    @Override
    public String id() {
        return "udp";
    }

    /** evring on io_uring and on epoll (a quick run: io_uring only), then the peers. */
    static List<ServerRow> servers(BenchContext ctx) {
        List<ServerRow> s = new ArrayList<>();
        for (Backend b : ctx.quick() ? List.of(Backend.IO_URING) : List.of(Backend.IO_URING, Backend.EPOLL)) {
            Backend.Availability av = b.availability();
            s.add(row(ctx, "evring " + b.id() + " (completion)", RowKind.EVRING, "evring-" + b.id(),
                    av.available() ? null : "backend unavailable: " + av.reason()));
        }
        s.add(row(ctx, "Netty 4.2 epoll", RowKind.PEER, "netty-epoll", null));
        s.add(row(ctx, "Netty 4.2 io_uring", RowKind.PEER, "netty-io_uring", null));
        s.add(row(ctx, "JDK NIO DatagramChannel", RowKind.PEER, "nio", null));
        return s;
    }

    private static ServerRow row(BenchContext ctx, String name, RowKind kind, String impl, String skip) {
        return new ServerRow(name, kind, launch -> ctx.serverJava(launch, List.of(), UdpEchoServerMain.class.getName(),
                List.of(impl, Integer.toString(launch.port()))), skip, ECHOING);
    }

    /** Ready once a datagram sent to the port comes back the same within 200 ms. */
    static final ServerRow.ReadyCheck ECHOING = port -> {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(200);
            byte[] m = "ready?".getBytes(StandardCharsets.US_ASCII);
            s.send(new DatagramPacket(m, m.length, InetAddress.getByName("127.0.0.1"), port));
            DatagramPacket p = new DatagramPacket(new byte[64], 64);
            s.receive(p); // (a timeout is an IOException: asked again)
            return Arrays.equals(Arrays.copyOf(p.getData(), p.getLength()), m) ? null : "the echo differs from the datagram sent";
        }
    };

    @Override
    public String plan(BenchContext ctx) {
        EchoBenchmark.Settings s = EchoBenchmark.settings(ctx);
        return "udp: " + String.join(", ", loads(ctx).stream().map(Load::label).toList())
                + " (clients x datagrams in flight of a size); " + s.repeats() + " windows of " + s.windowMs() + " ms per case\n"
                + ServerRounds.rowsLine(ctx, servers(ctx), List.of(1));
    }

    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "UDP echo: datagrams echoed to their sender, server on one CPU",
                CpuWindow.withWindowMetrics(EchoBenchmark.MSGS, EchoBenchmark.P50, EchoBenchmark.P99, EchoBenchmark.P999,
                        EchoBenchmark.SERVER_CPU, LOST, LATE));
        EchoBenchmark.Settings set = EchoBenchmark.settings(ctx);
        NativeTools.Binary client = ctx.tools().compile("echo_load", NativeTools.Needs.IO_URING_HEADER);
        if (!ctx.pinned()) results.addNote(ctx.unpinnedNote());
        results.addNote("a datagram (message) with no echo within 200 ms is counted lost and the next one sent in its place; "
                + "lost is their share of the datagrams sent in the window, late the share of echoes that came after that "
                + "(a stall, not a loss); every server asks SO_RCVBUF "
                + UdpEchoServerMain.RECEIVE_BUFFER + " (the kernel caps it at twice net.core.rmem_max)");
        ServerRounds.run(ctx, results, servers(ctx), client.ok() ? null : "load generator: " + client.missing(),
                new ServerRounds.Schedule<>(loads(ctx), Load::label, new Load(50, 8, SMALL), set.repeats(), List.of(1)),
                (r, load, server, warmup) -> measure(ctx, r, client.path(), server, load,
                        warmup ? set.firstWarmupMs() : set.warmupMs(), warmup ? 200 : set.windowMs()),
                r -> ServerRounds.progressLine(r, EchoBenchmark.MSGS, EchoBenchmark.P99, EchoBenchmark.SERVER_CPU));
        CpuWindow.flag(results);
        return results;
    }

    private static void measure(BenchContext ctx, CaseResult r, Path client, ServerRounds.Server server, Load load,
                                long warmupMs, long windowMs) throws Exception {
        EchoLoad.Window w = EchoLoad.run(ctx, r, client, server, EchoLoad.Shape.udp(load.clients(), load.inFlight(), load.size()),
                warmupMs, windowMs);
        if (w == null) return;
        EchoBenchmark.addFigures(r, w);
        r.add(LOST.key(), 100.0 * w.lost() / Math.max(1, w.messages() + w.lost()));
        r.add(LATE.key(), 100.0 * w.late() / Math.max(1, w.messages() + w.lost()));
    }
}
