package dev.evring.backend;

import dev.evring.EventLoop;
import dev.evring.LoopVariant;
import dev.evring.LoopTestBase;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Errno;
import dev.evring.linux.IoUring;
import dev.evring.uring.CompletionHandler;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static dev.evring.linux.IoUring.IORING_OP_NOP;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring as the layers above the loop use it ({@link RingOps}), and submission under pressure. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#ioUring")
class IoUringRingOpsTest {
    @Parameter
    LoopVariant variant;

    final IoUringFixture fixture = new IoUringFixture();
    final List<Throwable> thrown = fixture.thrown;

    @AfterEach
    void close() {
        fixture.close();
    }

    EventLoop open(String... options) {
        return fixture.open(variant, options);
    }

    static RingOps ring(EventLoop loop) {
        return LoopAccess.get().backend(loop).ringOps();
    }

    /** Records every completion it receives. */
    static final class Recorder implements CompletionHandler {
        final List<long[]> cqes = new ArrayList<>();

        @Override
        public void onCompletion(long userData, int res, int flags) {
            cqes.add(new long[] {userData, res, flags});
        }
    }

    /** Runs until {@code done}; operations in flight are no watchers, so the test keeps the loop alive meanwhile. */
    static void runUntil(EventLoop loop, BooleanSupplier done) {
        loop.ref();
        LoopTestBase.runUntil(loop, done);
        loop.unref();
    }

    static void nop(RingOps ring, int tag, long payload) {
        long sqe = ring.nextSqe();
        Sqe.prepNop(ring.sqes(), sqe, UserData.pack(tag, payload));
    }

    @Test
    void handlersGetTheCompletionsOfTheirTag() {
        EventLoop loop = open();
        RingOps ring = ring(loop);
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        int ta = ring.registerHandler(a);
        int tb = ring.registerHandler(b);
        assertTrue(ta >= UserData.FIRST_HANDLER_TAG && ta <= UserData.MAX_TAG, "tag " + ta);
        assertTrue(tb != ta);
        nop(ring, ta, 1);
        nop(ring, tb, 2);
        nop(ring, ta, 3);
        nop(ring, 250, 4); // nobody's tag: dropped, not a crash
        runUntil(loop, () -> a.cqes.size() == 2 && b.cqes.size() == 1);
        assertEquals(1, UserData.payload(a.cqes.get(0)[0]));
        assertEquals(3, UserData.payload(a.cqes.get(1)[0]));
        assertEquals(2, UserData.payload(b.cqes.get(0)[0]));
        assertEquals(0, a.cqes.get(0)[1], "NOP result");
        assertTrue(ring.opcodeSupported(IORING_OP_NOP));
        assertTrue((ring.features() & IoUring.IORING_FEAT_NODROP) != 0 || (ring.features() & IoUring.IORING_FEAT_SINGLE_MMAP) == 0);
    }

    @Test
    void sqesWrittenInCallbacksGoOutWithTheWaitingEnter() {
        EventLoop loop = open();
        RingOps ring = ring(loop);
        IoUringBackend backend = IoUringFixture.backend(loop);
        Recorder r = new Recorder();
        int tag = ring.registerHandler(r);
        loop.runNoWait();
        long enters = backend.stats().enters();
        nop(ring, tag, 1);
        nop(ring, tag, 2);
        nop(ring, tag, 3);
        loop.ref();
        loop.runOnce(); // one iteration: the three NOPs are submitted by the enter that waits, and complete at once
        loop.unref();
        assertEquals(3, r.cqes.size());
        assertEquals(1, backend.stats().enters() - enters, "one io_uring_enter per iteration for everything");
    }

    @Test
    void aHandlerMaySubmitFromItsCallback() {
        EventLoop loop = open();
        RingOps ring = ring(loop);
        int[] done = {0};
        int[] tag = new int[1];
        tag[0] = ring.registerHandler((userData, res, flags) -> {
            long n = UserData.payload(userData);
            done[0]++;
            if (n < 1000) nop(ring, tag[0], n + 1); // re-entrant: queued while the CQ is being reaped
        });
        nop(ring, tag[0], 1);
        runUntil(loop, () -> done[0] == 1000);
    }

    @Test
    void aThrowingHandlerGoesToTheExceptionHandlerAndTheLoopCarriesOn() {
        EventLoop loop = open();
        RingOps ring = ring(loop);
        Recorder ok = new Recorder();
        int bad = ring.registerHandler((u, r, f) -> {
            throw new IllegalStateException("handler bug");
        });
        int good = ring.registerHandler(ok);
        nop(ring, bad, 1);
        nop(ring, good, 2);
        runUntil(loop, () -> ok.cqes.size() == 1);
        assertEquals(1, thrown.size());
        assertEquals("handler bug", thrown.get(0).getMessage());
    }

    static int recurse(int n) {
        return recurse(n + 1) + 1;
    }

    /** A stack overflow in a completion handler is that handler's failure: reported, and the loop goes on. */
    @Test
    void aStackOverflowInAHandlerIsReportedAndTheLoopCarriesOn() {
        EventLoop loop = open();
        RingOps ring = ring(loop);
        Recorder ok = new Recorder();
        int deep = ring.registerHandler((u, r, f) -> recurse(0));
        int good = ring.registerHandler(ok);
        nop(ring, deep, 1);
        nop(ring, good, 2);
        runUntil(loop, () -> ok.cqes.size() == 1);
        assertEquals(1, thrown.size());
        assertInstanceOf(StackOverflowError.class, thrown.get(0));
    }

    @Test
    void aFullSubmissionQueueIsSubmittedAndFilledAgain() {
        EventLoop loop = open("io_uring.sq_entries", "8", "io_uring.cq_entries", "16");
        RingOps ring = ring(loop);
        Recorder r = new Recorder();
        int tag = ring.registerHandler(r);
        for (int i = 0; i < 1000; i++) nop(ring, tag, i); // 125 times the SQ: nextSqe submits whenever it is full
        runUntil(loop, () -> r.cqes.size() == 1000);
        for (int i = 0; i < 1000; i++) assertEquals(i, UserData.payload(r.cqes.get(i)[0]), "completions in order");
    }

    @Test
    void whatTheKernelDidNotConsumeIsSubmittedAgain() {
        // Without IORING_SETUP_SUBMIT_ALL the kernel stops a batch at the first SQE it rejects: io_uring_enter then
        // returns fewer than were queued. The rest must go out, not be forgotten (libev 4.33 aborts here).
        EventLoop loop = open("io_uring.submit_all", "false");
        RingOps ring = ring(loop);
        IoUringBackend backend = IoUringFixture.backend(loop);
        Recorder r = new Recorder();
        int tag = ring.registerHandler(r);
        loop.runNoWait();
        for (int i = 0; i < 10; i++) {
            long sqe = ring.nextSqe();
            Sqe.prepNop(ring.sqes(), sqe, UserData.pack(tag, i));
            if (i == 3) ring.sqes().set(JAVA_BYTE, sqe, (byte) 0xEE); // an opcode no kernel has: rejected at submit
        }
        long submittedBefore = backend.stats().sqesSubmitted();
        long entersBefore = backend.stats().enters();
        runUntil(loop, () -> r.cqes.size() == 10);
        int rejected = 0;
        for (long[] c : r.cqes) {
            if (UserData.payload(c[0]) == 3) {
                assertEquals(-Errno.EINVAL, (int) c[1], "the bad SQE fails with EINVAL");
                rejected++;
            } else {
                assertEquals(0, (int) c[1]);
            }
        }
        assertEquals(1, rejected);
        assertTrue(backend.stats().sqesSubmitted() - submittedBefore >= 10, "some SQEs never went out: " + backend.stats());
        if ((ring.setupFlags() & IoUring.IORING_SETUP_SUBMIT_ALL) == 0) {
            assertTrue(backend.stats().enters() - entersBefore >= 2, "the kernel consumed all ten at once: " + backend.stats());
        }
    }

    @Test
    void reservedSqesAreNotSplitByASubmit() {
        EventLoop loop = open("io_uring.sq_entries", "4");
        RingOps ring = ring(loop);
        Recorder r = new Recorder();
        int tag = ring.registerHandler(r);
        loop.runNoWait();
        nop(ring, tag, 0);
        nop(ring, tag, 1);
        nop(ring, tag, 2);
        ring.reserveSqes(2); // one free: submits now so that the linked pair below fits
        long first = ring.nextSqe();
        Sqe.prepNop(ring.sqes(), first, UserData.pack(tag, 3));
        Sqe.flags(ring.sqes(), first, IoUring.IOSQE_IO_LINK);
        long second = ring.nextSqe();
        Sqe.prepNop(ring.sqes(), second, UserData.pack(tag, 4));
        runUntil(loop, () -> r.cqes.size() == 5);
        for (long[] c : r.cqes) assertEquals(0, (int) c[1], "a link cut by a submit fails its first SQE with ECANCELED");
        assertThrows(IllegalArgumentException.class, () -> ring.reserveSqes(5));
    }

    @Test
    void theSqeArrayOfAClosedLoopFailsInsteadOfTouchingUnmappedMemory() {
        EventLoop loop = open();
        MemorySegment sqes = ring(loop).sqes();
        fixture.loops.remove(loop);
        loop.close();
        assertThrows(IllegalStateException.class, () -> sqes.get(JAVA_BYTE, 0));
    }

    @Test
    void registerWorksOnTheLoopsRing() {
        EventLoop loop = open();
        RingOps ring = ring(loop);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment probe = a.allocate(IoUring.PROBE_SIZE + IoUring.PROBE_OP_SIZE * 64, 8);
            int r = ring.register(IoUring.IORING_REGISTER_PROBE, probe, 64);
            assertEquals(0, r);
            assertTrue((probe.get(JAVA_BYTE, IoUring.OFF_PROBE_LAST_OP) & 0xFF) >= IoUring.IORING_OP_POLL_REMOVE);
            assertEquals(-Errno.EINVAL, ring.register(9999, MemorySegment.NULL, 0));
        }
        assertFalse(ring.registerHandler(new Recorder()) < UserData.FIRST_HANDLER_TAG);
    }
}
