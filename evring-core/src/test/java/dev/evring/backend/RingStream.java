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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import static dev.evring.linux.IoUring.IORING_CQE_BUFFER_SHIFT;
import static dev.evring.linux.IoUring.IORING_CQE_F_BUFFER;
import static dev.evring.linux.IoUring.IORING_CQE_F_MORE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An 8 MiB TCP stream whose every byte is a function of its offset, written by a peer thread in writes of 1 to 3,000
 * bytes, received on a loop's ring through buffer-select receives from a {@link BufferRing} of {@code buffers} x
 * {@code size} bytes: what the recv bundle and incremental buffer tests share. A subclass maps each CQE onto the
 * buffers ({@link #consume}), checks the bytes with {@link #check} and gives buffers back.
 */
abstract class RingStream implements CompletionHandler {
    static final long TOTAL = 8L << 20;

    final IoUringFixture fixture;
    final int buffers;
    final int size;
    final boolean multishot;
    final boolean bundles;
    /** The bundle's byte limit of a single-shot receive (0: the kernel's choice). */
    final int maxBytes;
    RingOps ops;
    int tag;
    int fd;
    MemorySegment memory;
    BufferRing ring;
    long offset;
    long mismatch = -1;
    long cqes;
    String error;
    boolean ended;

    RingStream(IoUringFixture fixture, int buffers, int size, boolean multishot, boolean bundles, int maxBytes) {
        this.fixture = fixture;
        this.buffers = buffers;
        this.size = size;
        this.multishot = multishot;
        this.bundles = bundles;
        this.maxBytes = maxBytes;
    }

    /** The stream's byte at {@code offset}: not periodic in any buffer size, so a misplaced buffer cannot match. */
    static byte expected(long offset) {
        long x = offset * 0x9E3779B97F4A7C15L;
        return (byte) (x >>> 56 ^ x >>> 29);
    }

    /** The data of a CQE with a buffer: {@code res} bytes from buffer {@code bid} on. */
    abstract void consume(int bid, int res, int flags);

    /**
     * Runs the whole stream on the default io_uring variant, the ring registered with {@code ringFlags}, and checks it
     * arrived whole; skips (saying {@code whyNot}) where {@code supported} says the kernel lacks what is tested, and
     * where registering the ring is refused with EINVAL.
     */
    void run(java.util.function.IntPredicate supported, String whyNot, int ringFlags) throws Exception {
        EventLoop loop = fixture.open(LoopVariants.ioUring().getFirst());
        ops = LoopAccess.get().backend(loop).ringOps();
        assumeTrue(ops != null, "the loop did not open on io_uring");
        assumeTrue(supported.test(ops.features()), whyNot);
        int[] tcp = tcpPair(fixture);
        fd = tcp[0];
        Arena arena = Arena.ofConfined();
        try {
            memory = arena.allocate((long) buffers * size, 4096);
            tag = ops.registerHandler(this);
            ring = new BufferRing(arena, buffers, tag);
            int r = ring.register(ops, ringFlags);
            assumeTrue(r != -Errno.EINVAL, "the kernel refuses buffer ring flags " + ringFlags + ": " + whyNot);
            assertEquals(0, r, "IORING_REGISTER_PBUF_RING: " + Errno.name(-r));
            for (int i = 0; i < buffers; i++) ring.add(address(i), size, i, i);
            ring.advance(buffers);
            loop.timer(Duration.ofSeconds(1), Duration.ofSeconds(1), (w, ev) -> { }).start(); // keeps run() waiting
            Thread writer = Thread.ofPlatform().name("stream writer").start(() -> write(tcp[1]));
            arm();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!ended && System.nanoTime() < deadline) loop.runOnce();
            writer.join(10_000);
            if (mismatch >= 0) fail("byte " + mismatch + " of the stream was not where the CQEs put it (" + this + ")");
            assertEquals(null, error, toString());
            assertEquals(TOTAL, offset, "the whole stream, then its end (" + this + ")");
            ring.unregister(ops);
        } finally {
            loop.close();
            arena.close();
        }
    }

    long address(int bid) {
        return memory.address() + (long) bid * size;
    }

    void arm() {
        Sqe.prepRecvSelect(ops.sqes(), ops.nextSqe(), fd, tag, 0, multishot, false, bundles, multishot ? 0 : maxBytes,
                UserData.pack(tag, 1));
    }

    /** Checks {@code len} bytes of buffer {@code bid} from {@code at} against the stream from {@link #offset}; advances. */
    boolean check(int bid, int at, int len) {
        long base = (long) bid * size + at;
        for (int i = 0; i < len; i++) {
            if (memory.get(ValueLayout.JAVA_BYTE, base + i) != expected(offset + i)) {
                mismatch = offset + i;
                ended = true;
                return false;
            }
        }
        offset += len;
        return true;
    }

    void broken(String why) {
        error = why;
        ended = true;
    }

    @Override
    public void onCompletion(long userData, int res, int flags) {
        cqes++;
        if (ended) return;
        if (res == 0) {
            ended = true;
            return;
        }
        if (res < 0 && res != -Errno.ENOBUFS) {
            broken("recv failed: " + Errno.name(-res));
            return;
        }
        if (res > 0) {
            if ((flags & IORING_CQE_F_BUFFER) == 0) {
                broken("a CQE of " + res + " bytes without a buffer");
                return;
            }
            int bid = flags >>> IORING_CQE_BUFFER_SHIFT;
            if (bid >= buffers) {
                broken("buffer id " + bid + " was never given");
                return;
            }
            consume(bid, res, flags);
        }
        if ((flags & IORING_CQE_F_MORE) == 0 && !ended) arm();
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
    static int[] tcpPair(IoUringFixture fixture) {
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

    private static int check(String call, int r) {
        if (r < 0) throw new IllegalStateException(call + ": " + Errno.name(-r));
        return r;
    }
}
