package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cross-thread entry: coalesced, never lost, on every backend. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class AsyncWatcherTest extends LoopTestBase {

    @Test
    void sendsFromEightThreadsAreNeverLost() throws Exception {
        final int threads = 8;
        final int sendsPerThread = 100_000;
        final long total = (long) threads * sendsPerThread;
        AtomicLong produced = new AtomicLong();
        long[] observed = new long[1];
        AtomicInteger callbacks = new AtomicInteger();
        AsyncWatcher async = loop.async((w, ev) -> {
            callbacks.incrementAndGet();
            assertEquals(Events.ASYNC, ev);
            observed[0] = produced.get(); // every increment made before a send is visible to the callback after it
            if (observed[0] == total) w.stop();
        });
        async.start();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = Thread.ofPlatform().name("sender-" + t).start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < sendsPerThread; i++) {
                    produced.incrementAndGet();
                    async.send();
                }
            });
        }
        TimerWatcher guard = loop.timer(Duration.ofSeconds(60), Duration.ZERO, (w, ev) -> {
            throw new AssertionError("async watcher never saw all sends: observed " + observed[0] + " of " + total);
        });
        guard.start();
        loop.unref(); // the guard alone must not keep us waiting once the async watcher stopped
        start.countDown();
        loop.run();
        for (Thread t : ts) t.join();
        loop.ref();
        guard.stop();
        assertEquals(total, observed[0]);
        assertTrue(callbacks.get() <= total, "more callbacks than sends");
        assertTrue(callbacks.get() >= 1);
    }

    @Test
    void sendsCoalesceIntoOneCallback() {
        AtomicInteger calls = new AtomicInteger();
        AsyncWatcher a = loop.async((w, ev) -> calls.incrementAndGet());
        a.start();
        for (int i = 0; i < 10; i++) a.send();
        assertTrue(a.isSent());
        loop.runNoWait();
        assertEquals(1, calls.get());
        assertFalse(a.isSent());
        loop.runNoWait();
        assertEquals(1, calls.get(), "nothing sent since");
        a.stop();
    }

    @Test
    void sendWakesABlockedLoop() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AsyncWatcher a = loop.async((w, ev) -> {
            calls.incrementAndGet();
            w.stop();
        });
        a.start();
        CountDownLatch ready = new CountDownLatch(1);
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                ready.await();
                Thread.sleep(50); // let the loop block
            } catch (InterruptedException e) {
                return;
            }
            a.send();
        });
        ready.countDown();
        long t0 = System.nanoTime();
        loop.run(); // blocks for up to MAX_BLOCK unless the send wakes it
        sender.join();
        assertEquals(1, calls.get());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "the send did not wake the loop");
    }

    @Test
    void onlyTheWatchersThatWereSentRun() {
        AtomicInteger a1 = new AtomicInteger();
        AtomicInteger a2 = new AtomicInteger();
        AsyncWatcher x = loop.async((w, ev) -> a1.incrementAndGet());
        AsyncWatcher y = loop.async((w, ev) -> a2.incrementAndGet());
        x.start();
        y.start();
        y.send();
        loop.runNoWait();
        assertEquals(0, a1.get());
        assertEquals(1, a2.get());
        x.stop();
        y.stop();
    }

    @Test
    void wakeupFromAnotherThreadReturnsABlockedRunOnce() throws Exception {
        TimerWatcher longTimer = loop.timer(Duration.ofSeconds(30), Duration.ZERO, (w, ev) -> {});
        longTimer.start();
        Thread waker = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            loop.wakeup();
        });
        long t0 = System.nanoTime();
        loop.runOnce();
        waker.join();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "wakeup did not end the wait");
        longTimer.stop();
    }
}
