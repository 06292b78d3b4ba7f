package dev.evring.net;

import dev.evring.Backend;
import dev.evring.uring.RingFaults;
import dev.evring.EventLoop;
import dev.evring.LoopTestBase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * When the io_uring backend loses completions (kernels without IORING_FEAT_NODROP; forced here by RingFaults and a tiny
 * CQ) it rebuilds its ring, or at its size limit moves to epoll, and tells the Net: accepts start
 * again, on the new ring or on the readiness emulation; everything else in flight ends with ECANCELED (a receive whose
 * data may have gone with a lost completion must not go on as if nothing happened). The server keeps serving.
 */
class RingResetTest {

    @org.junit.jupiter.api.AfterEach
    void clearFaults() {
        RingFaults.clear();
    }

    /**
     * A loop on io_uring that loses completions (the backend's no-NODROP test path): SQ and CQ of the given sizes,
     * and at {@code maxEntries} CQ entries it moves to epoll. Skips where io_uring is not available.
     */
    private static EventLoop losingLoop(int sq, int cq, int maxEntries, List<Throwable> errors) {
        return losingLoop(sq, cq, maxEntries, errors, "none");
    }

    /**
     * As above, with one net feature on ({@code net.<feature>=true}: {@code recv_incremental}, the receives' incremental
     * buffers; {@code direct_descriptors}, whose slots of the old ring's file table go with it while the connections go
     * on with their real fds), or {@code none}.
     */
    private static EventLoop losingLoop(int sq, int cq, int maxEntries, List<Throwable> errors, String feature) {
        RingFaults.withoutNodrop(); // as on a kernel without IORING_FEAT_NODROP (cleared after each test)
        RingFaults.maxCqEntries(maxEntries); // the kernel's ring size limit
        EventLoop.Builder b = EventLoop.builder().backend(Backend.IO_URING)
                .option("io_uring.sq_entries", Integer.toString(sq))
                .option("io_uring.cq_entries", Integer.toString(cq));
        if (!feature.equals("none")) b.option("net." + feature, "true");
        b.exceptionHandler((w, e) -> errors.add(e));
        try {
            return b.open();
        } catch (IllegalStateException e) {
            assumeTrue(false, "io_uring is not available here: " + e.getMessage());
            return null;
        }
    }

    /** Connects through {@code net}, sends one byte and returns the echo; a failure ends the test, naming its status. */
    private static byte echoOnce(EventLoop loop, Net net, SocketAddress addr, byte k) {
        byte[][] echoed = new byte[1][];
        int[] failed = {0};
        net.connect(addr, (s, st) -> {
            assertEquals(0, st, Status.describe(st));
            s.recv((sock, d, n) -> {
                if (n > 0) {
                    echoed[0] = d.toArray();
                    d.release();
                    sock.close();
                } else if (n < 0 && echoed[0] == null) {
                    failed[0] = n;
                }
            });
            s.send(new byte[] {k}, 0, 1, null);
        });
        LoopTestBase.runUntil(loop, () -> echoed[0] != null || failed[0] != 0);
        assertEquals(0, failed[0], Status.describe(failed[0]));
        return echoed[0][0];
    }

    /** An echo server that closes a connection when its receive ends (end of stream, or a reset's ECANCELED). */
    private static StreamListener echoServer(Net net) {
        StreamListener l = net.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        l.accept((lis, s, st) -> {
            if (s != null) s.recv((sock, d, n) -> {
                if (n > 0) sock.send(d, null);
                else if (sock.isOpen()) sock.close();
            });
        });
        return l;
    }

    @ParameterizedTest(name = "ring rebuilt: {0}, net feature: {2}")
    @CsvSource({"true, 4096, none", "false, 8, none", "true, 4096, recv_incremental", "false, 8, recv_incremental",
            "true, 4096, direct_descriptors", "false, 8, direct_descriptors"})
    void aRingResetKeepsTheServerServing(boolean grows, int maxEntries, String feature) {
        List<Throwable> errors = new ArrayList<>();
        EventLoop loop = losingLoop(4, 8, maxEntries, errors, feature);
        try (loop) {
            Net net = Net.open(loop);
            StreamListener l = echoServer(net);
            SocketAddress addr = l.localAddress();
            // forty connections talking at once: far more completions in one iteration than an 8-entry CQ holds.
            // Some of them may be stranded by the reset (an accept whose completion was lost): the test does not wait
            // for them, only for the reset, and then a moment for the ring to settle at its new size.
            for (int i = 0; i < 40; i++) {
                net.connect(addr, (s, st) -> {
                    if (st != 0) return;
                    s.recv((sock, d, n) -> {
                        if (d != null) d.release();
                    });
                    s.send(new byte[32], 0, 32, null);
                });
            }
            LoopTestBase.runUntil(loop, () -> loop.backendDetails().contains(grows ? "rebuilt" : "moved to epoll"));
            long settle = System.nanoTime() + 50_000_000L;
            LoopTestBase.runUntil(loop, () -> System.nanoTime() > settle);
            assertEquals(grows ? "io_uring" : "readiness", net.stats().driver(), net.stats().features() + " / " + loop.backendDetails());
            if (feature.equals("direct_descriptors") && grows) { // the rebuilt ring got a table of its own
                assertTrue(net.stats().features().contains("direct descriptors (table"), net.stats().features());
            }

            // whatever was lost with the old ring, the listener still accepts and serves, connection after connection
            for (int i = 0; i < 10; i++) {
                assertEquals((byte) i, echoOnce(loop, net, addr, (byte) i), "connection " + i + " after the reset");
            }
            assertTrue(errors.isEmpty(), "callbacks threw: " + errors);
        }
    }

    /**
     * Issue 9 defect 10: Net.open on a loop that moved from io_uring to epoll found the backend still an io_uring
     * backend, took a handler tag and a cleanup watcher, then failed in the ring lookup; closing the loop then failed
     * too. The loop now says there is no ring, and the new Net runs on the readiness emulation.
     */
    @org.junit.jupiter.api.Test
    void aNetOpenedAfterTheMoveToEpollRunsOnReadinessAndTheLoopClosesCleanly() {
        List<Throwable> errors = new ArrayList<>();
        EventLoop loop = losingLoop(4, 8, 8, errors);
        try {
            Net first = Net.open(loop);
            StreamListener l = echoServer(first);
            for (int i = 0; i < 40; i++) {
                first.connect(l.localAddress(), (s, st) -> {
                    if (st != 0) return;
                    s.recv((sock, d, n) -> {
                        if (d != null) d.release();
                    });
                    s.send(new byte[32], 0, 32, null);
                });
            }
            LoopTestBase.runUntil(loop, () -> loop.backendDetails().contains("moved to epoll"), "the move to epoll");

            Net second = Net.open(loop);
            assertEquals("readiness", second.stats().driver(), second.stats().features());
            assertEquals(42, echoOnce(loop, second, l.localAddress(), (byte) 42), "an echo through the Net opened after the move");
        } finally {
            loop.close(); // closes both Nets: neither may throw
        }
        assertTrue(errors.isEmpty(), "callbacks threw: " + errors);
    }

    /**
     * A Net.open that fails (a bad option here) changes nothing of the loop: it takes no ring handler tag (the ring has
     * 240) and leaves no cleanup watcher behind, so closing the loop afterwards runs no half-made Net.
     */
    @org.junit.jupiter.api.Test
    void aFailedNetOpenLeavesNothingBehind() {
        EventLoop loop;
        try {
            loop = EventLoop.builder().backend(Backend.IO_URING).option("net.buffer_ring", "sometimes").open();
        } catch (IllegalStateException e) {
            assumeTrue(false, "io_uring is not available here: " + e.getMessage());
            return;
        }
        try {
            for (int i = 0; i < 300; i++) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> Net.open(loop), "open " + i);
                assertTrue(e.getMessage().contains("net.buffer_ring=sometimes"), e.getMessage());
            }
        } finally {
            loop.close();
        }
        assertTrue(loop.isClosed());
    }

    /**
     * Issue 9 defect 17: a ring rebuilt under load may cancel operations, never deliver a wrong byte. An echo server
     * whose ring loses completions (a tiny CQ, the no-NODROP path) while hundreds of outside clients run rounds of
     * messages: every byte a client gets back must be the next byte it sent; a connection the reset ended (closed by
     * the server on its recv's ECANCELED) is allowed, a wrong or extra byte is not.
     */
    @ParameterizedTest(name = "ring rebuilt under load, moving to epoll: {0}, net feature: {1}")
    @CsvSource({"false, none", "true, none", "false, recv_incremental", "true, recv_incremental",
            "false, direct_descriptors", "true, direct_descriptors"})
    void aRingResetUnderLoadNeverDeliversAWrongByte(boolean toEpoll, String feature) throws Exception {
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        EventLoop loop = losingLoop(32, 64, toEpoll ? 64 : 65536, errors, feature); // 64: the first loss cannot grow the CQ
        int clients = 400;
        int rounds = 20;
        int size = 8000;
        java.util.concurrent.ConcurrentLinkedQueue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger cut = new java.util.concurrent.atomic.AtomicInteger();
        try (loop) {
            Net net = Net.builder(loop).recvBuffers(1024, 4096).open();
            assumeTrue(!feature.equals("recv_incremental") || net.stats().features().contains("incremental buffer ring"),
                    "no incremental buffer rings: " + net.stats().features());
            StreamListener l = echoServer(net);
            InetSocketAddress addr = (InetSocketAddress) l.localAddress();
            for (int c = 0; c < clients; c++) {
                int id = c;
                Thread.ofVirtual().start(() -> {
                    try {
                        int r = 0;
                        // a connection the reset ended is allowed (and reconnected: new connections reuse the closed
                        // ones' fd numbers at once, where a wrong byte would show); a wrong or extra byte is not
                        for (int attempt = 0; attempt < 10 && r < rounds; attempt++) {
                            r = echoRounds(addr, id, r, rounds, size, wrong);
                            if (r < rounds) cut.incrementAndGet();
                        }
                    } finally {
                        finished.incrementAndGet();
                    }
                });
            }
            dev.evring.TimerWatcher guard = loop.timer(5_000_000L, 5_000_000L, (w, ev) -> {});
            guard.start();
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (finished.get() < clients && System.nanoTime() < deadline) loop.runOnce();
            guard.stop();
            assertEquals(clients, finished.get(), "every client finished (" + wrong + ")");
            assertTrue(loop.backendDetails().contains(toEpoll ? "moved to epoll" : "rebuilt"), loop.backendDetails());
            assertTrue(wrong.isEmpty(), wrong.size() + " clients got wrong bytes (" + cut.get() + " cut): " + wrong);
        }
    }

    /**
     * Rounds {@code from..rounds} of echoed messages on one connection: returns the round reached (all done, or where
     * the connection ended); a byte that is not the one sent is recorded in {@code wrong}.
     */
    private static int echoRounds(InetSocketAddress addr, int id, int from, int rounds, int size,
                                  java.util.Collection<String> wrong) {
        int r = from;
        try (java.net.Socket sock = new java.net.Socket()) {
            sock.connect(addr, 10_000);
            sock.setSoTimeout(20_000);
            java.io.InputStream in = sock.getInputStream();
            java.io.OutputStream out = sock.getOutputStream();
            byte[] msg = new byte[size];
            byte[] back = new byte[size];
            for (; r < rounds; r++) {
                for (int i = 0; i < size; i++) msg[i] = (byte) (id * 31 + r * 7 + i);
                out.write(msg);
                int got = 0;
                while (got < size) {
                    int n = in.read(back, got, size - got);
                    if (n < 0) {
                        if (got > 0 && java.util.Arrays.mismatch(msg, 0, got, back, 0, got) >= 0) {
                            wrong.add("client " + id + " round " + r + ": wrong bytes before the end");
                        }
                        return r;
                    }
                    got += n;
                }
                if (!java.util.Arrays.equals(msg, back)) {
                    int at = java.util.Arrays.mismatch(msg, back);
                    wrong.add("client " + id + " round " + r + ": byte " + at + " is " + back[at] + ", sent " + msg[at]);
                    return rounds;
                }
            }
            sock.shutdownOutput();
            int extra = in.read(back);
            if (extra > 0) wrong.add("client " + id + ": " + extra + "+ bytes it never sent");
            return rounds;
        } catch (java.net.SocketException | java.net.SocketTimeoutException cutOff) {
            return r;
        } catch (java.io.IOException e) {
            wrong.add("client " + id + ": " + e);
            return rounds;
        }
    }
}
