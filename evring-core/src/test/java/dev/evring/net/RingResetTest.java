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

    @ParameterizedTest(name = "ring rebuilt: {0}")
    @CsvSource({"true, 4096", "false, 8"})
    void aRingResetKeepsTheServerServing(boolean grows, int maxEntries) {
        RingFaults.withoutNodrop(); // as on a kernel without IORING_FEAT_NODROP
        RingFaults.maxCqEntries(maxEntries); // the kernel's ring size limit
        EventLoop.Builder b = EventLoop.builder().backend(Backend.IO_URING)
                .option("io_uring.sq_entries", "4")
                .option("io_uring.cq_entries", "8");
        List<Throwable> errors = new ArrayList<>();
        b.exceptionHandler((w, e) -> errors.add(e));
        EventLoop loop;
        try {
            loop = b.open();
        } catch (IllegalStateException e) {
            assumeTrue(false, "io_uring is not available here: " + e.getMessage());
            return;
        }
        try (loop) {
            Net net = Net.open(loop);
            StreamListener l = net.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            l.accept((lis, s, st) -> {
                if (s != null) s.recv((sock, d, n) -> {
                    if (n > 0) sock.send(d, null);
                    else if (sock.isOpen()) sock.close();
                });
            });
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

            // whatever was lost with the old ring, the listener still accepts and serves, connection after connection
            for (int i = 0; i < 10; i++) {
                byte k = (byte) i;
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
                assertEquals(0, failed[0], "connection " + i + " after the reset: " + Status.describe(failed[0]));
                assertEquals(k, echoed[0][0]);
            }
            assertTrue(errors.isEmpty(), "callbacks threw: " + errors);
        }
    }
}
