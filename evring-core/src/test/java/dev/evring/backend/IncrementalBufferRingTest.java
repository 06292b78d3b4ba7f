package dev.evring.backend;

import dev.evring.EventLoop;
import dev.evring.LoopVariants;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Errno;
import dev.evring.uring.BufferRing;
import dev.evring.uring.CompletionHandler;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import static dev.evring.backend.RecvBundleTest.TOTAL;
import static dev.evring.backend.RecvBundleTest.expected;
import static dev.evring.linux.IoUring.IORING_CQE_BUFFER_SHIFT;
import static dev.evring.linux.IoUring.IORING_CQE_F_BUFFER;
import static dev.evring.linux.IoUring.IORING_CQE_F_BUF_MORE;
import static dev.evring.linux.IoUring.IORING_CQE_F_MORE;
import static dev.evring.linux.IoUring.IORING_FEAT_RECVSEND_BUNDLE;
import static dev.evring.linux.IoUring.IOU_PBUF_RING_INC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Incrementally consumed buffer rings (IOU_PBUF_RING_INC, 6.12): a receive takes only the bytes it got from the
 * buffer at the ring's head and leaves the rest there for the next receive (IORING_CQE_F_BUF_MORE), so a few large
 * buffers serve many small receives and buffer memory tracks bytes received, not chunks. Checked the way a receive path
 * would use it: the data of each CQE is where the buffer's previous CQE ended, every byte of an 8 MiB TCP stream
 * (random-sized writes) in its place, a buffer back in the ring once a CQE came without BUF_MORE. With bundles too
 * (liburing#1423: bundles over an incremental ring came back out of order until "io_uring/net: always use current
 * transfer count for buffer put", 6.16): a bundle starts in its first buffer where that buffer's last CQE ended, then
 * takes the ring's next buffers. Skips, saying so, where the kernel lacks the flag or bundles.
 */
class IncrementalBufferRingTest {
    static final int BUFFERS = 8;
    static final int BUFFER_SIZE = 64 * 1024;

    final IoUringFixture fixture = new IoUringFixture();

    @AfterEach
    void close() {
        fixture.close();
    }

    @ParameterizedTest(name = "multishot {0}, bundles {1}")
    @CsvSource({"false,false", "true,false", "true,true"})
    void everyByteIsWhereTheBuffersPreviousReceiveEnded(boolean multishot, boolean bundles) throws Exception {
        EventLoop loop = fixture.open(LoopVariants.ioUring().getFirst());
        RingOps ring = LoopAccess.get().backend(loop).ringOps();
        assumeTrue(ring != null, "the loop did not open on io_uring");
        assumeTrue(!bundles || (ring.features() & IORING_FEAT_RECVSEND_BUNDLE) != 0,
                "the kernel has no recv bundles (IORING_FEAT_RECVSEND_BUNDLE, 6.10)");
        int[] tcp = RecvBundleTest.tcpPair(fixture);
        Arena arena = Arena.ofConfined();
        try {
            MemorySegment memory = arena.allocate((long) BUFFERS * BUFFER_SIZE, 4096);
            Reader reader = new Reader(ring, memory, tcp[0], multishot, bundles);
            BufferRing br = new BufferRing(arena, BUFFERS, reader.tag);
            int r = br.register(ring, IOU_PBUF_RING_INC);
            assumeTrue(r != -Errno.EINVAL, "the kernel refuses IOU_PBUF_RING_INC (6.12)");
            assertEquals(0, r, "IORING_REGISTER_PBUF_RING with IOU_PBUF_RING_INC: " + Errno.name(-r));
            reader.ring = br;
            for (int i = 0; i < BUFFERS; i++) br.add(memory.address() + (long) i * BUFFER_SIZE, BUFFER_SIZE, i, i);
            br.advance(BUFFERS);
            loop.timer(Duration.ofSeconds(1), Duration.ofSeconds(1), (w, ev) -> { }).start(); // keeps run() waiting
            Thread writer = Thread.ofPlatform().name("incremental writer").start(() -> RecvBundleTest.write(tcp[1]));
            reader.arm();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!reader.ended && System.nanoTime() < deadline) loop.runOnce();
            writer.join(10_000);
            if (reader.mismatch >= 0) {
                fail("byte " + reader.mismatch + " of the stream was not where the buffer's previous receive ended (" + reader + ")");
            }
            assertEquals(null, reader.error, reader.toString());
            assertEquals(TOTAL, reader.offset, "the whole stream, then its end (" + reader + ")");
            assertTrue(reader.partial > 0, "no CQE left its buffer partly consumed: incremental consumption never happened (" + reader + ")");
            if (bundles) assertTrue(reader.spanning > 0, "no bundle spanned buffers (" + reader + ")");
            System.out.println("IncrementalBufferRingTest multishot " + multishot + ", bundles " + bundles + ": " + reader);
            br.unregister(ring);
        } finally {
            loop.close();
            arena.close();
        }
    }

    final class Reader implements CompletionHandler {
        final RingOps ops;
        final MemorySegment memory;
        final int fd;
        final boolean multishot;
        final boolean bundles;
        final int tag;
        /** Bytes of each buffer the kernel has consumed so far (where its next receive's data starts). */
        final int[] consumed = new int[BUFFERS];
        BufferRing ring;
        long offset;
        long mismatch = -1;
        long cqes;
        long partial;
        long spanning;
        long recycled;
        String error;
        boolean ended;

        Reader(RingOps ops, MemorySegment memory, int fd, boolean multishot, boolean bundles) {
            this.ops = ops;
            this.memory = memory;
            this.fd = fd;
            this.multishot = multishot;
            this.bundles = bundles;
            this.tag = ops.registerHandler(this);
        }

        void arm() {
            Sqe.prepRecvSelect(ops.sqes(), ops.nextSqe(), fd, tag, 0, multishot, false, bundles, 0, UserData.pack(tag, 1));
        }

        @Override
        public void onCompletion(long userData, int res, int flags) {
            cqes++;
            if (res < 0 && res != -Errno.ENOBUFS) {
                error = "recv failed: " + Errno.name(-res);
                ended = true;
                return;
            } else if (res == 0) {
                ended = true;
                return;
            } else if (res > 0) {
                if ((flags & IORING_CQE_F_BUFFER) == 0) {
                    error = "a CQE of " + res + " bytes without a buffer";
                    ended = true;
                    return;
                }
                consume(flags >>> IORING_CQE_BUFFER_SHIFT, res, (flags & IORING_CQE_F_BUF_MORE) != 0);
            }
            if ((flags & IORING_CQE_F_MORE) == 0 && !ended) arm();
        }

        private void consume(int first, int res, boolean more) {
            if (first >= BUFFERS) {
                error = "buffer id " + first + " was never given";
                ended = true;
                return;
            }
            // the buffers the CQE covers, found before any is given back (giving one back moves it in the ring)
            int[] bids = new int[BUFFERS];
            int n = 0;
            for (int left = res, at = consumed[first]; left > 0; n++) {
                int bid = n == 0 ? first : ring.bundleBid(first, n);
                if (n >= BUFFERS || bid < 0 || (n > 0 && consumed[bid] != 0)) {
                    error = "buffer " + n + " of a CQE from buffer " + first + " (" + res + " bytes) is not a fresh one the ring held";
                    ended = true;
                    return;
                }
                bids[n] = bid;
                left -= Math.min(BUFFER_SIZE - (n == 0 ? at : 0), left);
            }
            if (n > 1) spanning += n - 1;
            int left = res;
            for (int k = 0; k < n; k++) {
                int bid = bids[k];
                int at = consumed[bid];
                int len = Math.min(BUFFER_SIZE - at, left);
                long base = (long) bid * BUFFER_SIZE + at;
                for (int i = 0; i < len && mismatch < 0; i++) {
                    if (memory.get(ValueLayout.JAVA_BYTE, base + i) != expected(offset + i)) mismatch = offset + i;
                }
                if (mismatch >= 0) {
                    ended = true;
                    return;
                }
                offset += len;
                left -= len;
                consumed[bid] = at + len;
                // the kernel keeps the last buffer it wrote when the CQE says BUF_MORE; every other one it let go
                if (k < n - 1 || !more) {
                    consumed[bid] = 0;
                    recycled++;
                    ring.add(memory.address() + (long) bid * BUFFER_SIZE, BUFFER_SIZE, bid, 0);
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
