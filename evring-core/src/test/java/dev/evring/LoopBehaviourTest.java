package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop's own semantics (libev's ev_run and the watcher life cycle), on every backend. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class LoopBehaviourTest extends LoopTestBase {

    @Test
    void reportsTheBackendItRunsOn() {
        assertEquals(variant.backend(), loop.backend());
        assertTrue(loop.backendDetails().startsWith(variant.backend().id()), loop.backendDetails());
    }

    @Test
    void runWithNothingToDoReturnsAtOnce() {
        assertFalse(loop.run());
        assertFalse(loop.runOnce());
        assertFalse(loop.runNoWait());
        assertEquals(3, loop.iteration());
    }

    @Test
    void prepareRunsBeforeTheWaitAndCheckAfter() {
        List<String> log = new ArrayList<>();
        PrepareWatcher p = loop.prepare((w, ev) -> log.add("prepare"));
        CheckWatcher c = loop.check((w, ev) -> log.add("check"));
        AtomicInteger fired = new AtomicInteger();
        TimerWatcher t = loop.timer(Duration.ofMillis(1), Duration.ZERO, (w, ev) -> {
            log.add("timer");
            fired.incrementAndGet();
        });
        p.start();
        c.start();
        t.start();
        while (fired.get() == 0) loop.runOnce(); // one iteration, unless a signal cut the wait short
        p.stop();
        c.stop();
        List<String> expected = new ArrayList<>();
        while (expected.size() < log.size() - 3) expected.addAll(List.of("prepare", "check"));
        expected.addAll(List.of("prepare", "timer", "check"));
        assertEquals(expected, log);
    }

    @Test
    void higherPriorityCallbacksRunFirst() {
        List<Integer> order = new ArrayList<>();
        List<Watcher> ws = new ArrayList<>();
        for (int p : new int[] {0, -2, 2, 1, -1, 0}) {
            Watcher w = loop.idle((x, ev) -> order.add(x.priority())).priority(p);
            ws.add(w);
        }
        for (Watcher w : ws) loop.feedEvent(w, Events.CUSTOM);
        loop.runNoWait();
        assertEquals(List.of(2, 1, 0, 0, -1, -2), order);
    }

    @Test
    void eventFedFromACallbackAtHigherPriorityRunsBeforeTheRestOfTheLowerOnes() {
        List<String> order = new ArrayList<>();
        IdleWatcher high = loop.idle((w, ev) -> order.add("high"));
        high.priority(2);
        IdleWatcher low2 = loop.idle((w, ev) -> order.add("low2"));
        IdleWatcher low1 = loop.idle((w, ev) -> {
            order.add("low1");
            loop.feedEvent(high, Events.CUSTOM);
        });
        low1.priority(-1);
        low2.priority(-1);
        loop.feedEvent(low1, Events.CUSTOM);
        loop.feedEvent(low2, Events.CUSTOM);
        loop.runNoWait();
        assertEquals(List.of("low1", "high", "low2"), order);
    }

    @Test
    void idleRunsOnlyWhenNothingOfEqualOrHigherPriorityIsPending() {
        int[] sp = TestFds.socketpair();
        try {
            TestFds.write(sp[1], (byte) 1); // never drained: the io watcher is pending in every iteration
            AtomicInteger idleRuns = new AtomicInteger();
            AtomicInteger busyRuns = new AtomicInteger();
            IdleWatcher idle = loop.idle((w, ev) -> idleRuns.incrementAndGet());
            IoWatcher busy = loop.io(sp[0], Events.READ, (w, ev) -> busyRuns.incrementAndGet());
            busy.start();
            idle.start();
            for (int i = 0; i < 5; i++) loop.runNoWait();
            assertEquals(0, idleRuns.get(), "idle ran while a watcher of equal priority was pending");
            assertEquals(5, busyRuns.get());
            busy.stop();
            loop.runNoWait();
            assertEquals(1, idleRuns.get(), "nothing pending any more: idle runs");
            idle.stop();
            // an idle watcher of higher priority than what is pending runs anyway
            IdleWatcher high = loop.idle((w, ev) -> idleRuns.incrementAndGet());
            high.priority(1);
            high.start();
            busy.start();
            loop.runNoWait();
            assertEquals(2, idleRuns.get());
            assertEquals(6, busyRuns.get());
            // and one of lower priority does not
            high.stop();
            IdleWatcher low = loop.idle((w, ev) -> idleRuns.incrementAndGet());
            low.priority(-1);
            low.start();
            loop.runNoWait();
            assertEquals(2, idleRuns.get());
            low.stop();
            busy.stop();
        } finally {
            TestFds.close(sp);
        }
    }

    @Test
    void activeIdleWatcherKeepsTheLoopFromBlocking() {
        AtomicInteger n = new AtomicInteger();
        loop.timer(Duration.ofHours(1), Duration.ZERO, (w, ev) -> {}).start();
        IdleWatcher idle = loop.idle((w, ev) -> {
            if (n.incrementAndGet() == 100) loop.breakLoop(EventLoop.Break.ONE);
        });
        idle.start();
        long t0 = System.nanoTime();
        assertTrue(loop.run());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "the loop blocked although idle was active");
        assertEquals(100, n.get());
    }

    @Test
    void stoppingAPendingWatcherClearsItsEvent() {
        AtomicInteger calls = new AtomicInteger();
        IdleWatcher a = loop.idle((w, ev) -> calls.incrementAndGet());
        IdleWatcher b = loop.idle((w, ev) -> calls.incrementAndGet());
        a.start();
        loop.feedEvent(a, Events.CUSTOM);
        loop.feedEvent(b, Events.CUSTOM);
        assertEquals(2, loop.pendingCount());
        assertTrue(a.isPending());
        a.stop();
        assertFalse(a.isPending());
        assertEquals(1, loop.pendingCount());
        assertEquals(Events.CUSTOM, b.clearPending());
        assertEquals(0, loop.pendingCount());
        loop.runNoWait();
        assertEquals(0, calls.get());
    }

    @Test
    void callbackStopsAnotherPendingWatcherOfTheSameIteration() {
        List<String> log = new ArrayList<>();
        IdleWatcher[] second = new IdleWatcher[1];
        IdleWatcher first = loop.idle((w, ev) -> {
            log.add("first");
            second[0].stop();
        });
        second[0] = loop.idle((w, ev) -> log.add("second"));
        first.start();
        second[0].start();
        loop.runNoWait();
        assertEquals(List.of("first"), log);
        first.stop();
    }

    @Test
    void watcherStopsAndRestartsItselfInsideItsCallback() {
        AtomicInteger calls = new AtomicInteger();
        IdleWatcher w = loop.idle((x, ev) -> {
            x.stop();
            if (calls.incrementAndGet() < 3) x.start();
        });
        w.start();
        for (int i = 0; i < 5; i++) loop.runNoWait();
        assertEquals(3, calls.get());
        assertFalse(w.isActive());
    }

    @Test
    void feedEventOrsBitsOfAWatcherAlreadyPending() {
        AtomicInteger got = new AtomicInteger();
        IdleWatcher w = loop.idle((x, ev) -> got.set(ev));
        loop.feedEvent(w, Events.CUSTOM);
        w.feed(Events.READ);
        assertEquals(1, loop.pendingCount());
        loop.runNoWait();
        assertEquals(Events.CUSTOM | Events.READ, got.get());
    }

    @Test
    void breakOneLeavesOnlyTheInnermostRun() {
        List<String> log = new ArrayList<>();
        TimerWatcher keepAlive = loop.timer(Duration.ofHours(1), Duration.ZERO, (w, ev) -> {});
        keepAlive.start();
        AtomicInteger ticks = new AtomicInteger();
        IdleWatcher idle = loop.idle((w, ev) -> {
            int n = ticks.incrementAndGet();
            if (n == 1) {
                log.add("nested start depth " + loop.depth());
                loop.run(); // nested
                log.add("nested returned depth " + loop.depth());
            } else if (n == 2) {
                loop.breakLoop(EventLoop.Break.ONE); // leaves the nested run only
            } else if (n == 3) {
                loop.breakLoop(EventLoop.Break.ONE);
            }
        });
        idle.start();
        assertTrue(loop.run());
        assertEquals(List.of("nested start depth 1", "nested returned depth 1"), log);
        assertEquals(3, ticks.get());
        assertEquals(0, loop.depth());
        idle.stop();
        keepAlive.stop();
    }

    @Test
    void breakAllLeavesEveryNestedRun() {
        TimerWatcher keepAlive = loop.timer(Duration.ofHours(1), Duration.ZERO, (w, ev) -> {});
        keepAlive.start();
        AtomicInteger depthSeen = new AtomicInteger();
        AtomicInteger after = new AtomicInteger();
        IdleWatcher idle = loop.idle((w, ev) -> {
            if (loop.depth() < 3) {
                loop.run();
                after.incrementAndGet();
            } else {
                depthSeen.set(loop.depth());
                loop.breakLoop(EventLoop.Break.ALL);
            }
        });
        idle.start();
        assertTrue(loop.run());
        assertEquals(3, depthSeen.get());
        assertEquals(2, after.get(), "each nested run returned to its caller");
        // a break is consumed: the next run runs
        AtomicInteger more = new AtomicInteger();
        idle.stop();
        IdleWatcher counter = loop.idle((w, ev) -> {
            if (more.incrementAndGet() == 3) loop.breakLoop(EventLoop.Break.ONE);
        });
        counter.start();
        loop.run();
        assertEquals(3, more.get());
        counter.stop();
        keepAlive.stop();
    }

    @Test
    void unreferencedWatcherDoesNotKeepTheLoopRunning() {
        AtomicInteger fired = new AtomicInteger();
        TimerWatcher housekeeping = loop.timer(Duration.ofHours(1), Duration.ofHours(1), (w, ev) -> fired.incrementAndGet());
        housekeeping.start();
        loop.unref();
        TimerWatcher work = loop.timer(Duration.ofMillis(2), Duration.ZERO, (w, ev) -> fired.incrementAndGet());
        work.start();
        long t0 = System.nanoTime();
        assertFalse(loop.run(), "only the unreferenced timer remains");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
        assertEquals(1, fired.get());
        loop.ref();
        housekeeping.stop();
    }

    @Test
    void runReturnsWhetherReferencedWatchersRemain() {
        TimerWatcher t = loop.timer(Duration.ofMillis(1), Duration.ofMillis(1), (w, ev) -> {});
        t.start();
        assertTrue(loop.runOnce());
        assertTrue(loop.runNoWait());
        t.stop();
        assertFalse(loop.runNoWait());
    }

    @Test
    void throwingCallbackDoesNotStopTheOthers() {
        callbacksMayThrow = true;
        List<String> ran = new ArrayList<>();
        IdleWatcher bad = loop.idle((w, ev) -> {
            ran.add("bad");
            throw new IllegalStateException("boom");
        });
        IdleWatcher checked = loop.idle((w, ev) -> {
            ran.add("checked");
            throw new java.io.IOException("checked boom");
        });
        IdleWatcher good = loop.idle((w, ev) -> ran.add("good"));
        loop.feedEvent(bad, Events.CUSTOM);
        loop.feedEvent(checked, Events.CUSTOM);
        loop.feedEvent(good, Events.CUSTOM);
        loop.runNoWait();
        assertEquals(List.of("bad", "checked", "good"), ran);
        assertEquals(2, thrown.size());
        assertEquals("boom", thrown.get(0).getMessage());
        assertInstanceOf(java.io.IOException.class, thrown.get(1));
        // and the loop keeps working
        loop.feedEvent(good, Events.CUSTOM);
        loop.runNoWait();
        assertEquals(4, ran.size());
    }

    @Test
    void throwingExceptionHandlerDoesNotKillTheLoop() {
        try (EventLoop l = open(variant.builder().exceptionHandler((w, e) -> { throw new RuntimeException("handler"); }))) {
            AtomicInteger ran = new AtomicInteger();
            IdleWatcher bad = l.idle((w, ev) -> { throw new RuntimeException("cb"); });
            IdleWatcher good = l.idle((w, ev) -> ran.incrementAndGet());
            l.feedEvent(bad, Events.CUSTOM);
            l.feedEvent(good, Events.CUSTOM);
            l.runNoWait();
            assertEquals(1, ran.get());
        }
    }

    @Test
    void cleanupWatchersRunAtCloseAndDoNotKeepTheLoopAlive() {
        List<String> log = new ArrayList<>();
        CleanupWatcher c = loop.cleanup((w, ev) -> log.add("cleanup " + Events.toString(ev)));
        c.start();
        assertFalse(loop.run(), "a cleanup watcher alone does not keep the loop running");
        loop.close();
        assertEquals(List.of("cleanup CLEANUP"), log);
        loop.close(); // idempotent
        assertEquals(1, log.size());
    }

    @Test
    void everyCallFromAnotherThreadIsRefused() throws Exception {
        TimerWatcher t = loop.timer(Duration.ofSeconds(1), Duration.ZERO, (w, ev) -> {});
        AsyncWatcher a = loop.async((w, ev) -> {});
        a.start();
        List<Supplier<Object>> calls = List.of(
                () -> { loop.run(); return null; },
                () -> { loop.runNoWait(); return null; },
                () -> { t.start(); return null; },
                () -> { t.stop(); return null; },
                () -> { t.again(); return null; },
                () -> t.isActive(),
                () -> loop.now(),
                () -> loop.pendingCount(),
                () -> loop.timer(1, 0, (w, ev) -> {}),
                () -> loop.io(0, Events.READ, (w, ev) -> {}),
                () -> { loop.breakLoop(EventLoop.Break.ALL); return null; },
                () -> { loop.feedEvent(t, Events.CUSTOM); return null; },
                () -> { loop.close(); return null; },
                () -> { a.stop(); return null; });
        for (Supplier<Object> call : calls) {
            CompletableFuture<Throwable> f = CompletableFuture.supplyAsync(() -> {
                try {
                    call.get();
                    return null;
                } catch (Throwable e) {
                    return e;
                }
            });
            Throwable e = f.get(10, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, e, "a call from another thread was not refused");
            assertTrue(e.getMessage().contains("belongs to thread"), e.getMessage());
        }
        // the documented cross-thread calls work
        CompletableFuture.runAsync(() -> {
            a.send();
            loop.wakeup();
        }).get(10, TimeUnit.SECONDS);
        AtomicInteger got = new AtomicInteger();
        assertTrue(a.isSent());
        a.stop();
        assertFalse(loop.isClosed());
        assertEquals(0, got.get());
    }

    @Test
    void callsOnAClosedLoopAreRefused() {
        TimerWatcher t = loop.timer(Duration.ofSeconds(1), Duration.ZERO, (w, ev) -> {});
        AsyncWatcher a = loop.async((w, ev) -> {});
        loop.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, loop::run);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, t::start);
        assertThrows(IllegalStateException.class, () -> loop.timer(1, 0, (w, ev) -> {}));
        assertThrows(IllegalStateException.class, a::send);
        assertThrows(IllegalStateException.class, loop::wakeup);
    }

    @Test
    void closeFromInsideACallbackIsRefused() {
        AtomicReference<Throwable> err = new AtomicReference<>();
        IdleWatcher w = loop.idle((x, ev) -> {
            try {
                loop.close();
            } catch (IllegalStateException e) {
                err.set(e);
            }
        });
        loop.feedEvent(w, Events.CUSTOM);
        loop.runNoWait();
        assertInstanceOf(IllegalStateException.class, err.get());
        assertFalse(loop.isClosed());
    }

    @Test
    void badInputIsRejectedNamingTheValueAndTheLoopStaysUsable() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> loop.io(-3, Events.READ, (w, ev) -> {})), "-3");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> loop.io(1, 0, (w, ev) -> {})), "empty");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> loop.io(1, Events.READ | Events.TIMER, (w, ev) -> {})), "0x101");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> loop.io(1, Events.READ, null)), "callback");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> loop.timer(0, -7, (w, ev) -> {})), "-7");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> loop.timer(Duration.ZERO, Duration.ofMillis(-2), (w, ev) -> {})), "PT-0.002S");
        IdleWatcher idle = loop.idle((w, ev) -> {});
        assertMessage(assertThrows(IllegalArgumentException.class, () -> idle.priority(3)), "3");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> idle.priority(-9)), "-9");
        IoWatcher io = loop.io(0, Events.READ, (w, ev) -> {});
        assertMessage(assertThrows(IllegalArgumentException.class, () -> io.set(-1, Events.READ)), "-1");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> io.events(0x40)), "0x40");
        IdleWatcher foreign = open(builder()).idle((w, ev) -> {});
        assertMessage(assertThrows(IllegalArgumentException.class, () -> loop.feedEvent(foreign, Events.CUSTOM)), "another loop");
        assertThrows(IllegalArgumentException.class, () -> Backend.parse("kqueue"));
        idle.start();
        assertThrows(IllegalStateException.class, () -> idle.priority(1), "priority of an active watcher");
        idle.stop();
        // still usable
        AtomicInteger fired = new AtomicInteger();
        loop.timer(Duration.ofMillis(1), Duration.ZERO, (w, ev) -> fired.incrementAndGet()).start();
        loop.run();
        assertEquals(1, fired.get());
    }

    static void assertMessage(Throwable e, String fragment) {
        assertTrue(e.getMessage().contains(fragment), "message \"" + e.getMessage() + "\" does not name " + fragment);
    }

    @Test
    void iterationAndDepthCount() {
        assertEquals(0, loop.iteration());
        assertEquals(0, loop.depth());
        AtomicInteger depthInside = new AtomicInteger();
        IdleWatcher w = loop.idle((x, ev) -> depthInside.set(loop.depth()));
        loop.feedEvent(w, Events.CUSTOM);
        loop.runNoWait();
        assertEquals(1, depthInside.get());
        assertEquals(1, loop.iteration());
    }

    @Test
    void nowIsCachedPerIterationAndUpdateNowRefreshesIt() throws InterruptedException {
        long before = loop.now();
        Thread.sleep(5);
        assertEquals(before, loop.now(), "cached");
        loop.updateNow();
        assertTrue(loop.now() - before >= TimeUnit.MILLISECONDS.toNanos(5));
    }

    @Test
    void attachmentAndUserDataAreKept() {
        Object o = new Object();
        IdleWatcher w = loop.idle((x, ev) -> {});
        assertSame(w, w.attach(o));
        assertSame(o, w.attachment());
        loop.userData("hello");
        assertEquals("hello", loop.userData());
    }

    @Test
    void setOnAnActiveIoWatcherMovesItToTheNewFd() throws ExecutionException {
        int[] a = TestFds.socketpair();
        int[] b = TestFds.socketpair();
        try {
            AtomicInteger seen = new AtomicInteger(-1);
            IoWatcher w = loop.io(a[0], Events.READ, (x, ev) -> {
                seen.set(x.fd());
                x.stop();
            });
            w.start();
            loop.runNoWait();
            w.set(b[0], Events.READ);
            assertTrue(w.isActive());
            TestFds.write(a[1], (byte) 1);
            TestFds.write(b[1], (byte) 1);
            TimerWatcher guard = loop.timer(Duration.ofSeconds(5), Duration.ZERO, (x, ev) -> {});
            guard.start();
            while (seen.get() < 0) loop.runOnce();
            guard.stop();
            assertEquals(b[0], seen.get());
        } finally {
            TestFds.close(a[0], a[1], b[0], b[1]);
        }
    }

    static int recurse(int n) {
        return recurse(n + 1) + 1;
    }

    /** Issue 9 defect 8: a stack overflow in one callback is that callback's failure, not the loop's. */
    @Test
    void aStackOverflowInOneCallbackIsReportedAndTheRestOfTheIterationRuns() {
        callbacksMayThrow = true;
        List<String> ran = new ArrayList<>();
        IdleWatcher deep = loop.idle((w, ev) -> {
            ran.add("deep");
            recurse(0);
        });
        IdleWatcher after = loop.idle((w, ev) -> ran.add("after"));
        loop.feedEvent(deep, Events.CUSTOM);
        loop.feedEvent(after, Events.CUSTOM);
        loop.runNoWait();
        assertEquals(List.of("deep", "after"), ran, "the callback after the overflow waited for another run()");
        assertEquals(1, thrown.size());
        assertInstanceOf(StackOverflowError.class, thrown.get(0));
        assertSame(deep, thrownSources.get(0));
    }

    /** The errors the loop does not survive leave it consistent: what was pending still is, the next run goes on. */
    @Test
    void anOutOfMemoryErrorEscapesRunAndLeavesTheRestPending() {
        List<String> ran = new ArrayList<>();
        IdleWatcher oom = loop.idle((w, ev) -> {
            ran.add("oom");
            throw new OutOfMemoryError("test: pretend the heap is gone");
        });
        IdleWatcher after = loop.idle((w, ev) -> ran.add("after"));
        loop.feedEvent(oom, Events.CUSTOM);
        loop.feedEvent(after, Events.CUSTOM);
        assertThrows(OutOfMemoryError.class, loop::runNoWait);
        assertEquals(0, loop.depth());
        assertFalse(oom.isPending());
        assertTrue(after.isPending());
        loop.runNoWait();
        assertEquals(List.of("oom", "after"), ran);
        assertEquals(0, loop.pendingCount());
        assertEquals(List.of(), thrown, "an escaping error is not reported");
    }

    @Test
    void theExceptionHandlerIsToldTheSource() {
        callbacksMayThrow = true;
        IdleWatcher w = loop.idle((x, ev) -> { throw new IllegalStateException("watcher"); });
        loop.feedEvent(w, Events.CUSTOM);
        EventLoop.InvokePendingHook hook = l -> {
            l.invokePending();
            throw new IllegalStateException("hook");
        };
        loop.invokePendingHook(hook);
        loop.runNoWait();
        loop.invokePendingHook(null);
        assertEquals(List.of("watcher", "hook"), thrown.stream().map(Throwable::getMessage).distinct().limit(2).toList());
        assertSame(w, thrownSources.get(0));
        assertSame(hook, thrownSources.get(1));
    }
}
