package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.TestFds;
import dev.evring.LoopTestBase;
import dev.evring.internal.LoopAccess;
import dev.evring.uring.RingFaults;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;

import static dev.evring.backend.BackendCounters.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What {@link LoopBackend#counters} reports: the system calls, events, CQEs and wakeups of a known workload, on every
 * backend; and that reading them allocates nothing.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class BackendCountersTest extends VariantFixtureTest {

    static long[] counters(EventLoop loop) {
        long[] c = BackendCounters.newArray();
        LoopAccess.get().backend(loop).counters(c);
        return c;
    }

    static long delta(long[] after, long[] before, int index) {
        return after[index] - before[index];
    }

    @Test
    void aKnownWorkloadIsCounted() throws InterruptedException {
        EventLoop loop = fixture.open(variant);
        int[] sp = fixture.socketpair();
        int[] events = {0};
        loop.io(sp[0], Events.READ, (w, ev) -> {
            TestFds.drain(sp[0]);
            events[0]++;
        }).start();
        loop.runNoWait();
        long[] before = counters(loop);
        for (int i = 0; i < 10; i++) {
            TestFds.write(sp[1], (byte) i);
            int want = i + 1;
            LoopTestBase.runUntil(loop, () -> events[0] == want);
        }
        // the backend's wakeup from another thread, while the loop waits (a wait may also end early for an old
        // timeout request: the loop waits again until the wakeup is in)
        LoopBackend backend = LoopAccess.get().backend(loop);
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            backend.wakeup();
        });
        long wakeupsBefore = before[WAKEUPS_RECEIVED];
        LoopTestBase.runUntil(loop, () -> counters(loop)[WAKEUPS_RECEIVED] > wakeupsBefore, "the wakeup");
        sender.join();
        long[] after = counters(loop);
        String what = variant + ": " + BackendCounters.describe(after);
        for (int i = 0; i < COUNT; i++) assertTrue(after[i] >= before[i], BackendCounters.name(i) + " went down: " + what);
        assertTrue(delta(after, before, WAKEUPS_SENT) >= 1, what);
        assertTrue(delta(after, before, WAKEUPS_RECEIVED) >= 1, what);
        assertTrue(after[WAKEUPS_RECEIVED] <= after[WAKEUPS_SENT], what);
        switch (variant.backend()) {
            case IO_URING -> {
                assertTrue(delta(after, before, ENTER_WAIT) >= 10, what); // one blocking enter per event at least
                assertTrue(delta(after, before, SQES_SUBMITTED) >= 10, what); // a re-arm or re-check per event
                assertTrue(delta(after, before, CQES_BACKEND) >= 11, what); // the events and the wakeup read
                assertEquals(after[CQES_REAPED], after[CQES_BACKEND] + after[CQES_HANDLERS] + after[CQES_STRAY], what);
                assertEquals(0, after[EPOLL_WAITS] + after[POLL_CALLS], what);
            }
            case EPOLL -> {
                assertTrue(delta(after, before, EPOLL_WAITS) >= 11, what);
                assertTrue(delta(after, before, EPOLL_EVENTS) >= 11, what);
                assertEquals(0, after[ENTER_WAIT] + after[ENTER_SUBMIT] + after[POLL_CALLS], what);
            }
            case POLL -> {
                assertTrue(delta(after, before, POLL_CALLS) >= 11, what);
                assertTrue(delta(after, before, POLL_EVENTS) >= 11, what);
                assertEquals(0, after[ENTER_WAIT] + after[EPOLL_WAITS], what);
            }
        }
    }

    @Test
    void completionsAreCountedByOwner() {
        assumeTrue(variant.backend() == Backend.IO_URING, "CQEs are io_uring's");
        EventLoop loop = fixture.open(variant);
        RingOps ring = LoopAccess.get().backend(loop).ringOps();
        int[] got = {0};
        int tag = ring.registerHandler((u, r, f) -> got[0]++);
        loop.runNoWait();
        long[] before = counters(loop);
        for (int i = 0; i < 5; i++) Sqe.prepNop(ring.sqes(), ring.nextSqe(), UserData.pack(tag, i));
        RingFaults.injectCqe(UserData.pack(UserData.MAX_TAG, 7), 0, 0); // nobody's tag
        loop.ref();
        LoopTestBase.runUntil(loop, () -> got[0] == 5);
        loop.unref();
        long[] after = counters(loop);
        String what = variant + ": " + BackendCounters.describe(after);
        assertEquals(5, delta(after, before, CQES_HANDLERS), what);
        assertEquals(1, delta(after, before, CQES_STRAY), what);
        assertEquals(after[CQES_REAPED], after[CQES_BACKEND] + after[CQES_HANDLERS] + after[CQES_STRAY], what);
    }

    @Test
    void readingTheCountersAllocatesNothing() {
        var mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported(),
                "this JVM cannot count allocated bytes per thread");
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) mx;
        EventLoop loop = fixture.open(variant);
        LoopBackend backend = LoopAccess.get().backend(loop);
        long[] c = BackendCounters.newArray();
        for (int i = 0; i < 20_000; i++) backend.counters(c); // compiled by now
        long tid = Thread.currentThread().threadId();
        long before = tmx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 10_000; i++) backend.counters(c);
        long allocated = tmx.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 1024, variant + ": " + allocated + " bytes for 10,000 reads of the counters");
        assertThrows(IllegalArgumentException.class, () -> backend.counters(new long[COUNT - 1]));
    }
}
