package dev.evring.net;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.TestLoops;
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
 * When the io_uring backend loses completions (kernels without IORING_FEAT_NODROP; forced here by the backend's test
 * switch and a tiny CQ) it rebuilds its ring, or at its size limit moves to epoll, and tells the Net: accepts start
 * again, on the new ring or on the readiness emulation; everything else in flight ends with ECANCELED (a receive whose
 * data may have gone with a lost completion must not go on as if nothing happened). The server keeps serving.
 */
class RingResetTest {

    @ParameterizedTest(name = "ring rebuilt: {0}")
    @CsvSource({"true, 4096", "false, 8"})
    void aRingResetKeepsTheServerServing(boolean grows, int maxEntries) {
        EventLoop.Builder b = EventLoop.builder().backend(Backend.IO_URING)
                .option("io_uring.test.no_nodrop", "true")
                .option("io_uring.sq_entries", "4")
                .option("io_uring.cq_entries", "8")
                .option("io_uring.test.max_entries", Integer.toString(maxEntries));
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
            // forty connections talking at once: far more completions in one iteration than an 8-entry CQ holds
            int[] ends = {0};
            for (int i = 0; i < 40; i++) {
                net.connect(addr, (s, st) -> {
                    if (st != 0) {
                        ends[0]++;
                        return;
                    }
                    s.recv((sock, d, n) -> {
                        if (d != null) d.release();
                        if (n > 0) sock.close(); // one echo is enough; a reset may also end it (ECANCELED)
                        if (n <= 0 || !sock.isOpen()) ends[0]++;
                    });
                    s.send(new byte[32], 0, 32, null);
                });
            }
            TestLoops.runUntil(loop, () -> ends[0] == 40); // every client echoed, or ended by the reset
            String driver = net.stats().driver();
            assertEquals(grows ? "io_uring" : "readiness", driver, net.stats().features() + " / " + loop.backendDetails());

            // whatever was lost with the old ring, the server serves new connections, to the end
            byte[][] echoed = new byte[10][];
            for (int i = 0; i < 10; i++) {
                int k = i;
                net.connect(addr, (s, st) -> {
                    assertEquals(0, st);
                    s.recv((sock, d, n) -> {
                        if (n > 0) {
                            echoed[k] = d.toArray();
                            d.release();
                            sock.close();
                        }
                    });
                    s.send(new byte[] {(byte) k}, 0, 1, null);
                });
            }
            TestLoops.runUntil(loop, () -> {
                for (byte[] e : echoed) if (e == null) return false;
                return true;
            });
            for (int i = 0; i < 10; i++) assertEquals(i, echoed[i][0]);
            assertTrue(errors.isEmpty(), "callbacks threw: " + errors);
        }
    }
}
