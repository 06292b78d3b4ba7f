package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Suspend/resume, libev's collect intervals and the invoke-pending hook, on every backend. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class LoopExtrasTest extends LoopTestBase {

    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    static final long SEC = TimeUnit.SECONDS.toNanos(1);

    @Test
    void timersAreShiftedByTheTimeSpentSuspended() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        TimerWatcher t = loop.timer(10 * SEC, 0, (w, ev) -> fired.incrementAndGet());
        t.start();
        clock.advance(4 * SEC);
        loop.suspend();
        assertTrue(loop.isSuspended());
        clock.advance(3600 * SEC); // the machine sleeps an hour
        loop.resume();
        assertEquals(6 * SEC, t.remainingNanos(), "the 6 s it had left when suspended");
        loop.runNoWait();
        assertEquals(0, fired.get());
        clock.advance(6 * SEC + 1);
        loop.runNoWait();
        assertEquals(1, fired.get());
    }

    @Test
    void resumeReschedulesPeriodicsAgainstTheWallClock() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        long rt0 = loop.realtimeNanos();
        AtomicInteger fired = new AtomicInteger();
        PeriodicWatcher p = loop.periodic(Duration.ZERO, Duration.ofSeconds(10), (w, ev) -> fired.incrementAndGet());
        p.start();
        loop.suspend();
        clock.advance(95 * SEC);
        loop.resume();
        assertEquals(rt0 + 100 * SEC, p.atNanos(), "the next point after the wall-clock time of the resume");
        loop.runNoWait();
        assertEquals(0, fired.get(), "points missed while suspended do not fire");
    }

    @Test
    void suspendAndResumeMustPairAndTheLoopDoesNotRunSuspended() {
        assertThrows(IllegalStateException.class, loop::resume);
        loop.suspend();
        assertThrows(IllegalStateException.class, loop::suspend);
        IllegalStateException e = assertThrows(IllegalStateException.class, loop::runNoWait);
        assertTrue(e.getMessage().contains("resume"), e.getMessage());
        loop.resume();
        assertFalse(loop.isSuspended());
        loop.runNoWait();
    }

    @Test
    void theIoCollectIntervalMakesABlockingIterationLastThatLong() throws Exception {
        onFreshThread(this::ioCollectIntervalMakesABlockingIterationLastThatLong);
    }

    private void ioCollectIntervalMakesABlockingIterationLastThatLong() {
        int[] sp = TestFds.socketpair();
        try (EventLoop loop = variant.open()) { // a loop of the fresh thread
            loop.ioCollectInterval(Duration.ofMillis(40));
            assertEquals(Duration.ofMillis(40), loop.ioCollectInterval());
            AtomicInteger reads = new AtomicInteger();
            IoWatcher r = loop.io(sp[0], Events.READ, (w, ev) -> {
                TestFds.drain(sp[0]);
                reads.incrementAndGet();
            });
            r.start();
            TestFds.write(sp[1], (byte) 1); // ready now: without the interval the iteration would not wait at all
            long t0 = System.nanoTime();
            loop.runNoWait(); // its time update after the poll starts the next iteration's 40 ms
            assertEquals(1, reads.get());
            TestFds.write(sp[1], (byte) 2);
            loop.runOnce(); // a blocking iteration: sleeps out the rest of the 40 ms before polling
            long took = System.nanoTime() - t0;
            assertEquals(2, reads.get());
            assertTrue(took >= 40 * MS, "the two iterations took " + took / 1000 + " us, the interval is 40 ms");
            r.stop();
        } finally {
            TestFds.close(sp);
        }
    }

    @Test
    void theTimeoutCollectIntervalBatchesNearbyTimers() throws Exception {
        onFreshThread(this::timeoutCollectIntervalBatchesNearbyTimers);
    }

    private void timeoutCollectIntervalBatchesNearbyTimers() {
        try (EventLoop loop = variant.open()) { // a loop of the fresh thread
            loop.timeoutCollectInterval(Duration.ofMillis(40));
            assertEquals(Duration.ofMillis(40), loop.timeoutCollectInterval());
            List<Integer> fired = new ArrayList<>();
            loop.timer(Duration.ofMillis(1), Duration.ZERO, (w, ev) -> fired.add(1)).start();
            loop.timer(Duration.ofMillis(30), Duration.ZERO, (w, ev) -> fired.add(30)).start();
            long t0 = System.nanoTime();
            loop.runOnce(); // waits 40 ms instead of 1: both timers are due by then
            long took = System.nanoTime() - t0;
            assertEquals(List.of(1, 30), fired, "both fired in one iteration");
            assertTrue(took >= 40 * MS, "the iteration took " + took / 1000 + " us, at least the 40 ms collect interval");
        }
    }

    /**
     * Runs a timing test on a thread of its own: a thread that closed io_uring rings (earlier tests) may still receive
     * their teardown task work, which cuts one blocking wait short (EINTR), as a signal may; libev and evring then just
     * run another iteration, but a test timing one iteration must not see that.
     */
    static void onFreshThread(Runnable test) throws Exception {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                test.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "timing-test");
        t.start();
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Error err) throw err;
            // a skipped variant (assumption) stays a skip, not an error
            if (e.getCause() instanceof org.opentest4j.TestAbortedException aborted) throw aborted;
            throw e;
        }
    }

    @Test
    void collectIntervalsRefuseNegativeValues() {
        assertThrows(IllegalArgumentException.class, () -> loop.ioCollectInterval(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> loop.timeoutCollectInterval(null));
    }

    @Test
    void theInvokePendingHookRunsInsteadOfTheLoopsOwnInvocation() {
        List<Throwable> errors = new ArrayList<>();
        EventLoop loop = open(builder().exceptionHandler((w, e) -> errors.add(e)));
        List<String> log = new ArrayList<>();
        IdleWatcher idle = loop.idle((w, ev) -> log.add("idle"));
        loop.invokePendingHook(l -> {
            assertSame(loop, l);
            log.add("hook:" + l.pendingCount());
            l.invokePending();
        });
        loop.feedEvent(idle, Events.CUSTOM);
        loop.runNoWait();
        assertTrue(log.containsAll(List.of("hook:1", "idle")), log.toString());
        assertTrue(log.indexOf("hook:1") < log.indexOf("idle"));

        log.clear();
        loop.invokePendingHook(l -> log.add("holding back"));
        loop.feedEvent(idle, Events.CUSTOM);
        loop.runNoWait();
        assertFalse(log.contains("idle"), "a hook that does not invoke leaves the callbacks pending");
        assertTrue(idle.isPending());

        loop.invokePendingHook(l -> {
            throw new IllegalStateException("hook failed");
        });
        loop.runNoWait(); // the hook runs where libev's EV_INVOKE_PENDING does: at the start and the end of run
        assertFalse(errors.isEmpty());
        for (Throwable t : errors) assertEquals("hook failed", t.getMessage());

        loop.invokePendingHook(null); // the loop's own invocation again
        loop.runNoWait();
        assertTrue(log.contains("idle"));
    }

    @Test
    void aCancelledBreakLetsTheLoopRunOn() {
        AtomicInteger ticks = new AtomicInteger();
        TimerWatcher t = loop.timer(0, MS, (w, ev) -> {
            int n = ticks.incrementAndGet();
            loop.breakLoop(EventLoop.Break.ONE);
            if (n < 3) loop.breakLoop(EventLoop.Break.CANCEL); // changed its mind
        });
        t.start();
        assertTrue(loop.run(), "broken out with the timer still active");
        assertEquals(3, ticks.get());
        t.stop();
    }

    /** The wall clock is read on every iteration of a loop with periodics: that read must not allocate. */
    @Test
    void aLoopWithPeriodicsAndTimersAllocatesNothingPerIteration() {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
                "per-thread allocation counters need HotSpot's ThreadMXBean");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        AtomicInteger fired = new AtomicInteger();
        loop.periodic(Duration.ZERO, Duration.ofMillis(1), (w, ev) -> fired.incrementAndGet()).start();
        loop.timer(Duration.ofHours(1), Duration.ZERO, (w, ev) -> {}).start();
        // The first iterations allocate while the JIT compiles (interpreted downcalls box); once compiled, a
        // window of 10,000 iterations allocates nothing (a stray JVM sample may add a few hundred bytes; one
        // object per iteration would be hundreds of kilobytes). Try windows until then, at most 60 of them.
        long tid = Thread.currentThread().threadId();
        long allocated = Long.MAX_VALUE;
        for (int window = 0; window < 60 && allocated >= 1024; window++) {
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 10_000; i++) loop.runNoWait();
            allocated = mx.getThreadAllocatedBytes(tid) - before;
        }
        assertTrue(allocated < 1024, allocated + " bytes allocated by the last 10,000 iterations (the periodic fired " + fired.get() + " times)");
    }
}
