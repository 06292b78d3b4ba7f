package dev.evring.bench.memory;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.evring.Backend;
import dev.evring.bench.echo.EchoServers;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ServerRounds;
import dev.evring.bench.harness.ServerRow;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Memory per connection: N idle TCP connections (10,000 where the open-file limit allows) opened to each echo server,
 * which then sits with them; its memory is read before they open, once they are all accepted and have settled, and
 * again after one small message has been echoed on every connection (a receive that took a buffer and gave it back
 * must leave nothing behind). Per connection: the server's resident memory and live Java heap, and the kernel's
 * buffers for its sockets; the kernel's slab memory machine-wide, as a cross-check. How each is read: {@link MemoryProbe}.
 *
 * <p>The server JVMs run with {@code -XX:+AlwaysPreTouch}, so their whole heap is resident from the start: the RSS
 * delta is then the native memory connections take (direct buffers, buffer rings, native arenas, thread stacks; the
 * JIT's passing scratch memory left out), and the Java objects they keep are the live heap's delta after a full
 * collection. Their sum is the figure that ranks the rows.
 */
public final class MemoryBenchmark implements Benchmark {
    public static final Metric MEMORY = new Metric("memory_bytes_per_conn", "memory", "B/conn", false);
    public static final Metric RSS = new Metric("rss_bytes_per_conn", "RSS delta", "B/conn", false);
    public static final Metric HEAP = new Metric("heap_bytes_per_conn", "live heap delta", "B/conn", false);
    public static final Metric SOCKET_BUFFERS = new Metric("socket_buffer_bytes_per_conn", "kernel socket buffers", "B/conn", false);
    public static final Metric SLAB = new Metric("slab_bytes_per_conn", "kernel slab (machine, both ends)", "B/conn", false);
    public static final Metric SERVER_RSS = new Metric("server_rss_mb", "server RSS", "MB", false);

    /** The phases of one run, each a case of the table. */
    enum Phase {
        IDLE("idle"), AFTER_MESSAGE("after one message each");

        final String words;

        Phase(String words) {
            this.words = words;
        }

        String label(int connections) {
            return String.format(Locale.ROOT, "%,d connections, %s", connections, words);
        }

        /** The key of a metric of this phase in the one result a run fills before the phases are split. */
        String key(Metric m) {
            return name() + ":" + m.key();
        }
    }

    static final int WANTED = 10_000;
    /** Fds a server JVM or the load generator needs besides its connections. */
    static final int FD_RESERVE = 200;
    /** The message of the second phase. */
    static final int MESSAGE_SIZE = 64;

    /** How many connections a quick run opens: a fifth, which keeps the per-connection figures and saves a minute. */
    static final int QUICK = 2_000;

    record Settings(int connections, int repeats, long settleMs, int warmupConnections) {}

    static Settings settings(BenchContext ctx, long fdLimit) {
        int repeats = ctx.options().repeatsOr(1, 2);
        return ctx.quick() ? new Settings(connections(QUICK, fdLimit), repeats, 300, 500)
                : new Settings(connections(WANTED, fdLimit), repeats, 1_000, 1_000);
    }

    /** {@code wanted}, or as many as fit in the open-file limit of the server and of the load generator (each holds one end). */
    static int connections(int wanted, long fdLimit) {
        return (int) Math.max(100, Math.min(wanted, fdLimit - FD_RESERVE));
    }

    /**
     * The open-file limit both processes get: this JVM's, which HotSpot raised to the hard limit at start-up
     * (MaxFDLimit), as the server JVMs do and the load generator does by itself.
     */
    static long openFileLimit() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean u ? u.getMaxFileDescriptorCount() : 1024;
    }

    /** evring's rows: completion on io_uring, readiness on epoll, and completion on epoll (the emulation). */
    static final List<EchoServers.Evring> EVRING = List.of(new EchoServers.Evring("completion", Backend.IO_URING),
            new EchoServers.Evring("readiness", Backend.EPOLL), new EchoServers.Evring("completion", Backend.EPOLL));

    /**
     * The server JVMs' whole heap resident from the start, so that the RSS delta is native memory only; Native Memory
     * Tracking, so that the JIT's scratch memory can be told apart (see {@link MemoryProbe#jitScratchBytes}).
     */
    static final List<String> SERVER_JVM = List.of("-XX:+AlwaysPreTouch", "-XX:NativeMemoryTracking=summary");

    @Override
    public String id() {
        return "memory";
    }

    @Override
    public String plan(BenchContext ctx) {
        Settings s = settings(ctx, openFileLimit());
        return String.format(Locale.ROOT, "memory: %,d idle connections per server, then one %d-byte message echoed on each; "
                        + "%d run(s) per server, %d ms to settle%n  rows: %s", s.connections, MESSAGE_SIZE, s.repeats, s.settleMs,
                String.join(", ", ServerRounds.selected(ctx, EchoServers.rows(ctx, EVRING, SERVER_JVM)).stream().map(ServerRow::name).toList()));
    }

    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        long fdLimit = openFileLimit();
        Settings set = settings(ctx, fdLimit);
        List<Metric> metrics = List.of(MEMORY, RSS, HEAP, SOCKET_BUFFERS, SLAB, SERVER_RSS);
        BenchmarkResults results = new BenchmarkResults(id(), "Memory per connection: idle connections to an echo server", metrics);
        int wanted = ctx.quick() ? QUICK : WANTED;
        results.addNote(set.connections == wanted
                ? String.format(Locale.ROOT, "%,d connections fit: the open-file limit here is %,d for the server and for the load generator "
                + "(each holds one end of every connection)%s", wanted, fdLimit, ctx.quick() ? "; a full run opens 10,000" : "")
                : String.format(Locale.ROOT, "%,d connections ran as %,d: the open-file limit here is %,d for the server and for the load "
                + "generator, each of which holds one end of every connection", wanted, set.connections, fdLimit));
        results.addNote("memory = RSS delta + live heap delta (server JVMs pre-touch their heap, so RSS grows by native memory only; "
                + "the JIT's scratch arenas, NMT's Arena Chunk, are left out of RSS); "
                + "kernel socket buffers: ss -tm of the server's sockets (r + w + f + o); kernel slab: /proc/meminfo Slab, the whole "
                + "machine (the client's ends too, and whatever else runs)");
        NativeTools.Binary client = ctx.tools().compile("echo_load", NativeTools.Needs.IO_URING_HEADER);
        NativeTools.Binary ss = MemoryProbe.ss(ctx.tools());
        if (!ss.ok()) results.addNote("no kernel socket buffer figures: " + ss.missing());
        // ServerRounds fills one result per server and run with both phases' figures; they are split into a case each below
        BenchmarkResults runs = new BenchmarkResults(id(), results.title(), List.of(new Metric(Phase.IDLE.key(MEMORY), "", "", false)));
        String label = String.format(Locale.ROOT, "%,d connections", set.connections);
        ServerRounds.run(ctx, runs, EchoServers.rows(ctx, EVRING, SERVER_JVM), client.ok() ? null : "load generator: " + client.missing(),
                new ServerRounds.Schedule<>(List.of(label), c -> c, label, set.repeats),
                (r, c, server, warmup) -> measure(ctx, r, client.path(), ss.path(), server, warmup ? set.warmupConnections : set.connections,
                        set.settleMs, warmup),
                MemoryBenchmark::progressLine);
        split(runs, results, set.connections);
        runs.notes().forEach(results::addNote);
        return results;
    }

    /** What the server holds now: resident memory, live heap (after a full collection), socket buffers, and the machine's. */
    record Reading(double rss, double heap, MemoryProbe.SocketBuffers buffers, double slab, MemoryProbe.Sockstat sockstat) {}

    private static Reading read(ServerRounds.Server server, Path ss) throws InterruptedException {
        double heap, jit;
        try {
            heap = MemoryProbe.liveHeapBytes(server.pid()); // first: the full collection settles what the RSS then shows
            jit = MemoryProbe.jitScratchBytes(server.pid());
        } catch (IOException e) {
            heap = Double.NaN; // not a JVM, or it does not answer: RSS as it is
            jit = 0;
        }
        MemoryProbe.SocketBuffers buffers = null;
        if (ss != null) {
            try {
                buffers = MemoryProbe.socketBuffers(ss, server.port());
            } catch (IOException e) {
                // no figure; said once in the notes when ss is missing, and in the row's log otherwise
            }
        }
        return new Reading(MemoryProbe.treeRssBytes(server.pid()) - jit, heap, buffers, MemoryProbe.slabBytes(), MemoryProbe.sockstat());
    }

    /**
     * One run against a server: its memory read, {@code n} connections opened and accepted, settled, read again,
     * one message echoed on each, settled, read again, the connections closed. A warm-up run (fewer connections,
     * so the server has loaded and compiled its accept and echo paths before anything is read) records nothing.
     */
    private static void measure(BenchContext ctx, CaseResult r, Path client, Path ss, ServerRounds.Server server, int n,
                                long settleMs, boolean warmup) throws Exception {
        Reading before = warmup ? null : read(server, ss);
        Duration limit = Duration.ofSeconds(60);
        try (IdleClient c = IdleClient.start(ctx.nativeCommand(1, client,
                List.of("idle", Integer.toString(server.port()), Integer.toString(n), Integer.toString(MESSAGE_SIZE))), server.log())) {
            c.awaitConnected(limit);
            String notAccepted = awaitAccepted(ss, server.port(), n, limit);
            if (notAccepted != null) {
                r.fail(Outcome.FAILED, notAccepted);
                return;
            }
            Thread.sleep(settleMs);
            Reading idle = warmup ? null : read(server, ss);
            c.ping(limit);
            Thread.sleep(settleMs);
            if (warmup) return;
            Reading after = read(server, ss);
            if (!r.has(Phase.IDLE.key(SERVER_RSS))) r.note(sockstatNote(before, idle, n)); // the first run's: one is enough
            add(r, Phase.IDLE, before, idle, n);
            add(r, Phase.AFTER_MESSAGE, before, after, n);
        } catch (IOException e) {
            r.fail(Outcome.FAILED, e.getMessage());
        } finally {
            awaitClosed(ss, server.port(), Duration.ofSeconds(30)); // the next run starts from a server without connections
        }
    }

    /** Null once the server has accepted all {@code n} connections (none waiting in its accept queue), else why not. */
    private static String awaitAccepted(Path ss, int port, int n, Duration limit) throws IOException, InterruptedException {
        if (ss == null) return null; // cannot tell: the settle time has to do
        long deadline = System.nanoTime() + limit.toNanos();
        int established = 0, queued = 0;
        while (System.nanoTime() < deadline) {
            established = MemoryProbe.socketBuffers(ss, port).sockets();
            queued = MemoryProbe.acceptQueue(ss, port);
            if (established >= n && queued == 0) return null;
            Thread.sleep(100);
        }
        return String.format(Locale.ROOT, "the server had not accepted every connection after %d s: %,d of %,d established, %,d in its accept queue",
                limit.toSeconds(), established, n, queued);
    }

    private static void awaitClosed(Path ss, int port, Duration limit) throws IOException, InterruptedException {
        if (ss == null) return;
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline && MemoryProbe.socketBuffers(ss, port).sockets() > 0) Thread.sleep(100);
    }

    private static void add(CaseResult r, Phase phase, Reading before, Reading now, int n) {
        double rss = (now.rss() - before.rss()) / n, heap = (now.heap() - before.heap()) / n;
        if (!Double.isNaN(rss)) r.add(phase.key(RSS), rss);
        if (!Double.isNaN(heap)) r.add(phase.key(HEAP), heap);
        if (!Double.isNaN(rss) && !Double.isNaN(heap)) r.add(phase.key(MEMORY), rss + heap);
        if (now.buffers() != null && before.buffers() != null) {
            r.add(phase.key(SOCKET_BUFFERS), (now.buffers().bytes() - before.buffers().bytes()) / (double) n);
        }
        if (!Double.isNaN(now.slab()) && !Double.isNaN(before.slab())) r.add(phase.key(SLAB), (now.slab() - before.slab()) / n);
        if (!Double.isNaN(now.rss())) r.add(phase.key(SERVER_RSS), now.rss() / 1e6);
    }

    /** What /proc/net/sockstat saw change when the connections opened: both ends, the whole machine. */
    static String sockstatNote(Reading before, Reading idle, int n) {
        if (before.sockstat() == null || idle.sockstat() == null) return null;
        return String.format(Locale.ROOT, "sockstat with the connections open: sockets %+,d, TCP in use %+,d, TCP mem %+,d pages (2 x %,d ends)",
                idle.sockstat().sockets() - before.sockstat().sockets(), idle.sockstat().tcpInUse() - before.sockstat().tcpInUse(),
                idle.sockstat().tcpMemPages() - before.sockstat().tcpMemPages(), n);
    }

    /** Splits each run's result (both phases' figures under phase-qualified keys) into a result per phase. */
    static void split(BenchmarkResults runs, BenchmarkResults into, int n) {
        for (Phase phase : Phase.values()) {
            for (CaseResult r : runs.results()) {
                CaseResult p = new CaseResult(into.id(), phase.label(n), r.row(), r.kind());
                if (r.outcome() != Outcome.OK) p.fail(r.outcome(), r.notes());
                else if (!r.notes().isEmpty() && phase == Phase.IDLE) p.note(r.notes());
                for (Metric m : into.metrics()) for (double v : r.samples(phase.key(m))) p.add(m.key(), v);
                into.add(p);
            }
        }
    }

    private static String progressLine(CaseResult r) {
        String what;
        if (r.outcome() != Outcome.OK) {
            what = r.outcome().word() + ": " + r.notes();
        } else {
            List<String> parts = new ArrayList<>();
            for (Phase p : Phase.values()) {
                parts.add(p.words + " " + Format.human(r.stats(p.key(MEMORY)).median()) + " B/conn (socket buffers "
                        + Format.human(r.stats(p.key(SOCKET_BUFFERS)).median()) + ")");
            }
            what = String.join(", ", parts);
        }
        return String.format("  %-7s %-34s %s", r.benchmark(), r.row(), what);
    }
}
