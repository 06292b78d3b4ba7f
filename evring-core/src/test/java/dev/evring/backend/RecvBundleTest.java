package dev.evring.backend;

import dev.evring.uring.BufferRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.evring.linux.IoUring.IORING_FEAT_RECVSEND_BUNDLE;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recv bundles (IORING_RECVSEND_BUNDLE, 6.10) deliver a TCP stream in order, every buffer of a bundle full but the
 * last, in the ring's order: the promise evring's receive path builds on (it names only the first buffer of each CQE
 * and finds the others by their ring positions, {@link BufferRing#bundleBid}).
 *
 * <p>Netty turned bundles off (netty#15104) after its CI saw streams arrive corrupted, then left them off by default
 * (netty#15135) because the cause was a kernel bug: a bundle receive that got less than its buffers could hold was
 * retried and appended more data after a partly filled buffer, so a buffer in the middle of a bundle was not full and
 * every byte after it landed in the wrong place for a reader that maps the byte count onto the buffers (fixed by
 * "io_uring/net: only retry recv bundle for a full transfer", 3a08988123c8, 6.15; liburing#1409 is the multishot form,
 * same fix). This test is that reader ({@link RingStream}: 8 MiB in writes of random sizes, so that short transfers
 * and retries happen, into 256-byte buffers), checking each CQE's bytes where the mapping puts them. It fails on a
 * kernel with the bug, and skips, saying so, on one without bundles. The single-shot form asks for 16 buffers at most
 * and shows the kernel takes more (it appends while the socket has data): why net bundles only multishot receives.
 */
class RecvBundleTest {
    final IoUringFixture fixture = new IoUringFixture();

    @AfterEach
    void close() {
        fixture.close();
    }

    @ParameterizedTest(name = "multishot {0}")
    @ValueSource(booleans = {false, true})
    void aStreamArrivesInOrderThroughBundles(boolean multishot) throws Exception {
        Bundles s = new Bundles(fixture, multishot);
        s.run(f -> (f & IORING_FEAT_RECVSEND_BUNDLE) != 0, "the kernel has no recv bundles (IORING_FEAT_RECVSEND_BUNDLE, 6.10)", 0);
        assertTrue(s.bundles > 0, "no CQE carried more than one buffer: bundles never formed (" + s + ")");
        System.out.println("RecvBundleTest " + (multishot ? "multishot" : "single-shot") + ": " + s);
    }

    /** Each CQE: its first buffer and the ring's next ones, all full but the last; all given back at once. */
    static final class Bundles extends RingStream {
        final int[] bids = new int[64];
        long bundles;
        int maxBuffers;

        Bundles(IoUringFixture fixture, boolean multishot) {
            super(fixture, 64, 256, multishot, true, 16 * 256);
        }

        @Override
        void consume(int first, int res, int flags) {
            int n = (res + size - 1) / size;
            if (n > 1) bundles++;
            maxBuffers = Math.max(maxBuffers, n);
            for (int k = 0; k < n; k++) { // all found before any goes back: giving one back moves it in the ring
                bids[k] = k < bids.length ? ring.bundleBid(first, k) : -1;
                if (bids[k] < 0) {
                    broken("buffer " + k + " of a bundle from buffer " + first + " (" + res + " bytes) is not one the ring held");
                    return;
                }
            }
            for (int k = 0, left = res; k < n; k++) {
                int len = Math.min(size, left);
                if (!check(bids[k], 0, len)) return;
                left -= len;
            }
            for (int k = 0; k < n; k++) ring.add(address(bids[k]), size, bids[k], k);
            ring.advance(n);
        }

        @Override
        public String toString() {
            return offset + " bytes in " + cqes + " CQEs, " + bundles + " of them bundles (up to " + maxBuffers + " buffers)";
        }
    }
}
