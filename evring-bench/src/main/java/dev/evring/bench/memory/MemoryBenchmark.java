package dev.evring.bench.memory;

import dev.evring.Backend;
import dev.evring.bench.echo.EchoServers;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.CpuWindow;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ProcStat;
import dev.evring.bench.harness.ServerRounds;
import dev.evring.bench.harness.ServerRow;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    public static final Metric SERVER_RSS = CpuWindow.SERVER_RSS;

    /**
     * The phases of one run, each a case of the table: the connections open and idle, after one message echoed on
     * each (a receive that took a buffer and gave it back must leave nothing behind), and after they have all
     * closed (what the server keeps of them, per connection it had: tables grown, pools filled).
     */
    enum Phase {
        IDLE("idle"), AFTER_MESSAGE("after one message each"), CLOSED("after they closed");

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
    /** How long every echo of a ping may take: well under a second for 10,000 connections on a server that serves. */
    static final Duration PING_LIMIT = Duration.ofSeconds(20);
    /** The message of the second phase. */
    static final int MESSAGE_SIZE = 64;

    /** How many connections a quick run opens: a fifth, which keeps the per-connection figures and saves a minute. */
    static final int QUICK = 2_000;

    /**
     * @param settleMs  how long the server sits with its connections before a reading
     * @param jitWaitMs how long a reading may wait for the JIT to give its scratch memory back (see
     *                  {@link MemoryProbe#jitScratchBytes}); what is left is taken off the RSS
     */
    record Settings(int connections, int repeats, long settleMs, long jitWaitMs, int warmupConnections) {}

    static Settings settings(BenchContext ctx, long fdLimit) {
        int repeats = ctx.options().repeatsOr(1, 1); // a second run starts where the first left the server: see CLOSED
        return ctx.quick() ? new Settings(BenchContext.connectionsThatFit(QUICK, fdLimit), repeats, 200, 0, 300)
                : new Settings(BenchContext.connectionsThatFit(WANTED, fdLimit), repeats, 1_000, 6_000, 1_000);
    }

    /**
     * evring's rows: completion on io_uring, readiness on epoll, and completion on epoll (the emulation); a quick run
     * keeps completion on io_uring, the one the issue compares with Netty.
     */
    static List<EchoServers.Evring> evring(BenchContext ctx) {
        List<EchoServers.Evring> all = List.of(new EchoServers.Evring("completion", Backend.IO_URING),
                new EchoServers.Evring("readiness", Backend.EPOLL), new EchoServers.Evring("completion", Backend.EPOLL));
        return ctx.quick() ? all.subList(0, 1) : all;
    }

    /**
     * The rows: evring's ({@link #evring}), the peers, and the echo server on virtual threads on each socket factory
     * (issue 12 asks for their memory per connection; a quick run leaves them out, as it leaves out most of evring's).
     */
    static List<ServerRow> servers(BenchContext ctx) {
        return EchoServers.rows(ctx, evring(ctx), SERVER_JVM, !ctx.quick());
    }

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
        Settings s = settings(ctx, BenchContext.openFileLimit());
        return String.format(Locale.ROOT, "memory: %,d idle connections per server, then one %d-byte message echoed on each, then "
                        + "closed; %d run(s) per server, %d ms to settle%n", s.connections, MESSAGE_SIZE, s.repeats, s.settleMs)
                + ServerRounds.rowsLine(ctx, servers(ctx), List.of(1));
    }

    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        long fdLimit = BenchContext.openFileLimit();
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
        ServerRounds.run(ctx, runs, servers(ctx), client.ok() ? null : "load generator: " + client.missing(),
                new ServerRounds.Schedule<>(List.of(label), c -> c, label, set.repeats),
                (r, c, server, warmup) -> measure(ctx, r, client.path(), ss.path(), server, warmup ? set.warmupConnections : set.connections,
                        set.settleMs, set.jitWaitMs, warmup),
                MemoryBenchmark::progressLine);
        split(runs, results, set.connections);
        runs.notes().forEach(results::addNote);
        return results;
    }

    /** What the server holds now: resident memory, live heap (after a full collection), socket buffers, and the machine's. */
    record Reading(double rss, double heap, MemoryProbe.SocketBuffers buffers, double slab, MemoryProbe.Sockstat sockstat) {}

    /** Reads the server's memory now (see {@link Reading}), and writes what it read to the row's log. */
    private static Reading read(ServerRounds.Server server, Path ss, Duration jitWait, String when) throws InterruptedException {
        long t0 = System.nanoTime();
        double heap, jit;
        String why = "";
        try {
            heap = MemoryProbe.liveHeapBytes(server.pid()); // first: the full collection settles what the RSS then shows
            jit = MemoryProbe.jitScratchBytes(server.pid(), jitWait);
        } catch (IOException e) {
            heap = Double.NaN; // not a JVM, or it does not answer: RSS as it is
            jit = 0;
            why = " (no heap: " + e.getMessage() + ")";
        }
        MemoryProbe.SocketBuffers buffers = null;
        if (ss != null) {
            try {
                buffers = MemoryProbe.socketBuffers(ss, server.port());
            } catch (IOException e) {
                why += " (no socket buffers: " + e.getMessage() + ")";
            }
        }
        double rss = ProcStat.treeRssBytes(server.pid());
        Reading r = new Reading(rss - jit, heap, buffers, MemoryProbe.slabBytes(), MemoryProbe.sockstat());
        log(server.log(), String.format(Locale.ROOT, "memory %s: VmRSS %,.0f B less JIT scratch %,.0f B, live heap %,.0f B, %s, slab %,.0f B, %s; "
                + "read in %d ms%s", when, rss, jit, heap, buffers, r.slab(), r.sockstat(), (System.nanoTime() - t0) / 1_000_000, why));
        return r;
    }

    private static void log(Path log, String line) {
        try {
            Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // a log we cannot write does not stop the benchmark
        }
    }

    /**
     * One run against a server: its memory read, {@code n} connections opened and accepted, settled, read again,
     * one message echoed on each, settled, read again, the connections closed, read once more. A warm-up run (fewer
     * connections, so the server has loaded and compiled its accept and echo paths before anything is read) records
     * nothing.
     */
    private static void measure(BenchContext ctx, CaseResult r, Path client, Path ss, ServerRounds.Server server, int n,
                                long settleMs, long jitWaitMs, boolean warmup) throws Exception {
        Duration jitWait = Duration.ofMillis(jitWaitMs), limit = Duration.ofSeconds(60);
        if (!warmup) Thread.sleep(settleMs); // after the warm-up's connections, as after the measured ones
        Reading before = warmup ? null : read(server, ss, jitWait, "before");
        Reading idle, after;
        IdleClient c = IdleClient.start(ctx.nativeCommand(1, client,
                List.of("idle", Integer.toString(server.port()), Integer.toString(n), Integer.toString(MESSAGE_SIZE))), server.log());
        try {
            c.awaitConnected(limit);
            String notAccepted = awaitAccepted(ss, server.port(), n, limit);
            if (notAccepted != null) {
                r.fail(Outcome.FAILED, notAccepted);
                return;
            }
            Thread.sleep(settleMs);
            idle = warmup ? null : read(server, ss, jitWait, "idle");
            try {
                c.ping(PING_LIMIT);
            } catch (IOException e) {
                throw new IOException(e.getMessage() + unread(ss, server.port(), n), e);
            }
            Thread.sleep(settleMs);
            after = warmup ? null : read(server, ss, jitWait, "after one message each");
        } catch (IOException e) {
            r.fail(Outcome.FAILED, e.getMessage());
            return;
        } finally {
            c.close();
            awaitClosed(ss, server.port(), limit); // the next reading, and the next run, start from a server without connections
        }
        if (warmup) return;
        Thread.sleep(settleMs);
        Reading closed = read(server, ss, jitWait, "after they closed");
        r.note(sockstatNote(before, idle, n));
        add(r, Phase.IDLE, before, idle, n);
        add(r, Phase.AFTER_MESSAGE, before, after, n);
        add(r, Phase.CLOSED, before, closed, n);
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

    /** ", with 3,743 of 4,000 of the server's sockets holding bytes it has not read", or nothing when ss cannot say. */
    private static String unread(Path ss, int port, int n) throws InterruptedException {
        if (ss == null) return "";
        try {
            return String.format(Locale.ROOT, ", with %,d of the server's %,d sockets holding bytes it has not read",
                    MemoryProbe.unreadSockets(ss, port), n);
        } catch (IOException e) {
            return "";
        }
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
            for (Phase p : Phase.values()) parts.add(p.words + " " + Format.human(r.stats(p.key(MEMORY)).median()));
            what = "memory " + String.join(", ", parts) + " B/conn";
        }
        return String.format("  %-7s %-34s %s", r.benchmark(), r.row(), what);
    }
}
