package dev.evring.backend;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.evring.linux.IoUring.IORING_CQE_F_BUF_MORE;
import static dev.evring.linux.IoUring.IORING_FEAT_RECVSEND_BUNDLE;
import static dev.evring.linux.IoUring.IOU_PBUF_RING_INC;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Incrementally consumed buffer rings (IOU_PBUF_RING_INC, 6.12): a receive takes only the bytes it got from the
 * buffer at the ring's head and leaves the rest there for the next receive (IORING_CQE_F_BUF_MORE), so a few large
 * buffers serve many small receives and buffer memory tracks bytes received, not chunks. Checked the way a receive path
 * would use it ({@link RingStream}: 8 MiB into eight 64 KiB buffers): the data of each CQE is where the buffer's
 * previous CQE ended, every byte in its place, a buffer back in the ring once a CQE came without BUF_MORE. With bundles
 * too (liburing#1423: bundles over an incremental ring came back out of order until "io_uring/net: always use current
 * transfer count for buffer put", 6.16): a bundle starts in its first buffer where that buffer's last CQE ended, then
 * takes the ring's next buffers. Skips, saying so, where the kernel lacks the flag or bundles.
 */
class IncrementalBufferRingTest {
    final IoUringFixture fixture = new IoUringFixture();

    @AfterEach
    void close() {
        fixture.close();
    }

    @ParameterizedTest(name = "multishot {0}, bundles {1}")
    @CsvSource({"false,false", "true,false", "true,true"})
    void everyByteIsWhereTheBuffersPreviousReceiveEnded(boolean multishot, boolean bundles) throws Exception {
        Incremental s = new Incremental(fixture, multishot, bundles);
        s.run(f -> !bundles || (f & IORING_FEAT_RECVSEND_BUNDLE) != 0,
                bundles ? "no recv bundles (6.10) or incremental buffer rings (6.12)" : "no incremental buffer rings (6.12)",
                IOU_PBUF_RING_INC);
        assertTrue(s.partial > 0, "no CQE left its buffer partly consumed: incremental consumption never happened (" + s + ")");
        if (bundles) assertTrue(s.spanning > 0, "no bundle spanned buffers (" + s + ")");
        System.out.println("IncrementalBufferRingTest multishot " + multishot + ", bundles " + bundles + ": " + s);
    }

    /** Each buffer's data goes on where its previous CQE ended; a buffer goes back once the kernel let go of it. */
    static final class Incremental extends RingStream {
        /** Bytes of each buffer the kernel has consumed so far (where its next receive's data starts). */
        final int[] consumed = new int[8];
        final int[] bids = new int[8];
        long partial;
        long spanning;
        long recycled;

        Incremental(IoUringFixture fixture, boolean multishot, boolean bundles) {
            super(fixture, 8, 64 * 1024, multishot, bundles, 0);
        }

        @Override
        void consume(int first, int res, int flags) {
            boolean more = (flags & IORING_CQE_F_BUF_MORE) != 0;
            int n = 0; // the buffers the CQE covers, found before any goes back (giving one back moves it in the ring)
            for (int left = res; left > 0; n++) {
                int bid = n == 0 ? first : n < bids.length ? ring.bundleBid(first, n) : -1;
                if (bid < 0 || (n > 0 && consumed[bid] != 0)) {
                    broken("buffer " + n + " of a CQE from buffer " + first + " (" + res + " bytes) is not a fresh one the ring held");
                    return;
                }
                bids[n] = bid;
                left -= Math.min(size - (n == 0 ? consumed[first] : 0), left);
            }
            if (n > 1) spanning += n - 1;
            for (int k = 0, left = res; k < n; k++) {
                int bid = bids[k];
                int at = consumed[bid];
                int len = Math.min(size - at, left);
                if (!check(bid, at, len)) return;
                left -= len;
                consumed[bid] = at + len;
                if (k < n - 1 || !more) { // the kernel keeps only the last buffer it wrote, and only with BUF_MORE
                    consumed[bid] = 0;
                    recycled++;
                    ring.add(address(bid), size, bid, 0);
                    ring.advance(1);
                } else {
                    partial++;
                }
            }
        }

        @Override
        public String toString() {
            return offset + " bytes in " + cqes + " CQEs, " + partial + " leaving their buffer partly consumed, " + recycled
                    + " buffers given back, " + spanning + " bundle buffers after the first";
        }
    }
}
