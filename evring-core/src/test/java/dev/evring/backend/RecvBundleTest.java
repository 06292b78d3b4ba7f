package dev.evring.backend;

import dev.evring.EventLoop;
import dev.evring.LoopVariants;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Errno;
import dev.evring.linux.Libc;
import dev.evring.linux.SysSocket;
import dev.evring.uring.BufferRing;
import dev.evring.uring.CompletionHandler;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import static dev.evring.linux.IoUring.IORING_CQE_BUFFER_SHIFT;
import static dev.evring.linux.IoUring.IORING_CQE_F_BUFFER;
import static dev.evring.linux.IoUring.IORING_CQE_F_MORE;
import static dev.evring.linux.IoUring.IORING_FEAT_RECVSEND_BUNDLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
 * same fix). This test is that reader: a peer thread writes a long stream whose every byte is a function of its
 * offset, in writes of random sizes, so that short transfers and retries happen, and each CQE's bytes are checked
 * where the mapping puts them. It fails on a kernel with the bug, and it skips, saying so, on one without bundles.
 */
class RecvBundleTest {
    static final int BUFFERS = 64;
    static final int BUFFER_SIZE = 256;
    static final long TOTAL = 8L << 20;

    final IoUringFixture fixture = new IoUringFixture();

    @AfterEach
    void close() {
        fixture.close();
    }

    /** The stream's byte at {@code offset}: not periodic in any buffer size, so a misplaced buffer cannot match. */
    static byte expected(long offset) {
        long x = offset * 0x9E3779B97F4A7C15L;
        return (byte) (x >>> 56 ^ x >>> 29);
    }

    @ParameterizedTest(name = "multishot {0}")
    @ValueSource(booleans = {false, true})
    void aStreamArrivesInOrderThroughBundles(boolean multishot) throws Exception {
        EventLoop loop = fixture.open(LoopVariants.ioUring().getFirst());
        RingOps ring = LoopAccess.get().backend(loop).ringOps();
        assumeTrue(ring != null, "the loop did not open on io_uring");
        assumeTrue((ring.features() & IORING_FEAT_RECVSEND_BUNDLE) != 0,
                "the kernel has no recv bundles (IORING_FEAT_RECVSEND_BUNDLE, 6.10)");
        int[] tcp = tcpPair();
        Arena arena = Arena.ofConfined();
        try {
            MemorySegment memory = arena.allocate((long) BUFFERS * BUFFER_SIZE, 64);
            Reader reader = new Reader(ring, memory, tcp[0], multishot);
            BufferRing br = new BufferRing(arena, BUFFERS, reader.tag);
            assertEquals(0, br.register(ring), "IORING_REGISTER_PBUF_RING");
            reader.ring = br;
            for (int i = 0; i < BUFFERS; i++) br.add(memory.address() + (long) i * BUFFER_SIZE, BUFFER_SIZE, i, i);
            br.advance(BUFFERS);
            loop.timer(Duration.ofSeconds(1), Duration.ofSeconds(1), (w, ev) -> { }).start(); // keeps run() waiting
            Thread writer = Thread.ofPlatform().name("bundle writer").start(() -> write(tcp[1]));
            reader.arm();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!reader.ended && System.nanoTime() < deadline) loop.runOnce();
            writer.join(10_000);
            if (reader.mismatch >= 0) {
                fail("byte " + reader.mismatch + " of the stream was not where the bundle's mapping put it (" + reader
                        + "): the kernel's recv bundle bug (netty#15104, fixed by 3a08988123c8) bites this kernel");
            }
            assertEquals(null, reader.error, reader.toString());
            assertEquals(TOTAL, reader.offset, "the whole stream, then its end (" + reader + ")");
            assertTrue(reader.bundles > 0, "no CQE carried more than one buffer: bundles never formed (" + reader + ")");
            System.out.println("RecvBundleTest " + (multishot ? "multishot" : "single-shot") + ": " + reader);
            br.unregister(ring);
        } finally {
            loop.close();
            arena.close();
        }
    }

    /** The receiving side: bundles re-armed until the end of the stream, each CQE's bytes checked, its buffers given back. */
    final class Reader implements CompletionHandler {
        final RingOps ops;
        final MemorySegment memory;
        final int fd;
        final boolean multishot;
        final int tag;
        BufferRing ring;
        long offset;
        long mismatch = -1;
        long cqes;
        long bundles;
        int maxBuffers;
        long enobufs;
        String error;
        boolean ended;

        Reader(RingOps ops, MemorySegment memory, int fd, boolean multishot) {
            this.ops = ops;
            this.memory = memory;
            this.fd = fd;
            this.multishot = multishot;
            this.tag = ops.registerHandler(this);
        }

        void arm() {
            // single-shot: at most 16 buffers a bundle, a whole number of them; multishot: as the kernel sees fit
            Sqe.prepRecvSelect(ops.sqes(), ops.nextSqe(), fd, tag, 0, multishot, false, true,
                    multishot ? 0 : 16 * BUFFER_SIZE, UserData.pack(tag, 1));
        }

        @Override
        public void onCompletion(long userData, int res, int flags) {
            cqes++;
            if (res == -Errno.ENOBUFS) {
                enobufs++;
            } else if (res < 0) {
                error = "recv bundle failed: " + Errno.name(-res);
                ended = true;
                return;
            } else if (res == 0) {
                ended = true;
                return;
            } else if ((flags & IORING_CQE_F_BUFFER) == 0) {
                error = "a CQE of " + res + " bytes without a buffer";
                ended = true;
                return;
            } else {
                consume(flags >>> IORING_CQE_BUFFER_SHIFT, res);
            }
            if ((flags & IORING_CQE_F_MORE) == 0 && !ended) arm();
        }

        private void consume(int first, int res) {
            int n = (res + BUFFER_SIZE - 1) / BUFFER_SIZE;
            if (n > 1) bundles++;
            maxBuffers = Math.max(maxBuffers, n);
            int[] bids = new int[n];
            for (int k = 0; k < n; k++) {
                bids[k] = ring.bundleBid(first, k);
                if (bids[k] < 0) {
                    error = "buffer " + k + " of a bundle starting at buffer " + first + " (" + res + " bytes) is not one the ring held";
                    ended = true;
                    return;
                }
            }
            int left = res;
            for (int k = 0; k < n; k++) {
                int len = Math.min(BUFFER_SIZE, left);
                long base = (long) bids[k] * BUFFER_SIZE;
                for (int i = 0; i < len && mismatch < 0; i++) {
                    if (memory.get(ValueLayout.JAVA_BYTE, base + i) != expected(offset + i)) mismatch = offset + i;
                }
                offset += len;
                left -= len;
            }
            for (int k = 0; k < n; k++) ring.add(memory.address() + (long) bids[k] * BUFFER_SIZE, BUFFER_SIZE, bids[k], k);
            ring.advance(n);
            if (mismatch >= 0) ended = true;
        }

        @Override
        public String toString() {
            return offset + " bytes in " + cqes + " CQEs, " + bundles + " of them bundles (up to " + maxBuffers
                    + " buffers), " + enobufs + " ENOBUFS";
        }
    }

    /** The peer: the whole stream in writes of 1 to 3,000 bytes, then the end of it. */
    static void write(int fd) {
        MemorySegment cs = Libc.threadCallState();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(3000);
            ThreadLocalRandom random = ThreadLocalRandom.current();
            long offset = 0;
            while (offset < TOTAL) {
                int len = (int) Math.min(TOTAL - offset, 1 + random.nextInt(3000));
                for (int i = 0; i < len; i++) buf.set(ValueLayout.JAVA_BYTE, i, expected(offset + i));
                int done = 0;
                while (done < len) {
                    long w = SysSocket.send(cs, fd, buf.asSlice(done), len - done, SysSocket.MSG_NOSIGNAL);
                    if (w < 0) throw new IllegalStateException("send: " + Errno.name((int) -w));
                    done += (int) w;
                }
                offset += len;
            }
            SysSocket.shutdown(cs, fd, SysSocket.SHUT_WR);
        }
    }

    /** A connected TCP pair on loopback: {receiving end (non-blocking), sending end (blocking)}, closed after the test. */
    int[] tcpPair() {
        MemorySegment cs = Libc.threadCallState();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(16);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) SysSocket.AF_INET);
            addr.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, 0x7F000001);
            MemorySegment len = a.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 16);
            int listener = check("socket", SysSocket.socket(cs, SysSocket.AF_INET, SysSocket.SOCK_STREAM, 0));
            fixture.fds.add(listener);
            check("bind", SysSocket.bind(cs, listener, addr, 16));
            check("listen", SysSocket.listen(cs, listener, 1));
            check("getsockname", SysSocket.getsockname(cs, listener, addr, len));
            int client = check("socket", SysSocket.socket(cs, SysSocket.AF_INET, SysSocket.SOCK_STREAM, 0));
            fixture.fds.add(client);
            check("connect", SysSocket.connect(cs, client, addr, 16));
            int server = check("accept4", SysSocket.accept4(cs, listener, MemorySegment.NULL, MemorySegment.NULL,
                    SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC));
            fixture.fds.add(server);
            return new int[] {server, client};
        }
    }

    static int check(String call, int r) {
        if (r < 0) throw new IllegalStateException(call + ": " + Errno.name(-r));
        return r;
    }
}
