package dev.evring;

import dev.evring.backend.BackendCounters;
import dev.evring.internal.LoopAccess;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A loop running on a thread of its own until stopped, for tests of waking one loop from another's thread.
 *
 * @param loop   the loop (other threads may only execute on it, wake it, read its stats)
 * @param thread its thread
 */
record LoopOnThread(EventLoop loop, Thread thread) {
    static LoopOnThread start(EventLoop.Builder b) throws InterruptedException {
        CountDownLatch opened = new CountDownLatch(1);
        AtomicReference<EventLoop> ref = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("other-loop").start(() -> {
            try (EventLoop l = b.open()) {
                ref.set(l);
                l.ref();
                opened.countDown();
                l.run();
            }
        });
        assertTrue(opened.await(10, TimeUnit.SECONDS));
        return new LoopOnThread(ref.get(), t);
    }

    void stop() throws InterruptedException {
        if (!loop.isClosed()) {
            loop.execute(() -> {
                loop.unref();
                loop.breakLoop(EventLoop.Break.ALL);
            });
        }
        thread.join(10_000);
        assertFalse(thread.isAlive());
    }

    /** Waits until the loop is surely blocked in its wait: its iteration count steady for a while. */
    void letBlock() throws InterruptedException {
        long it;
        do {
            it = loop.stats().iterations();
            Thread.sleep(30);
        } while (loop.stats().iterations() != it);
    }

    /** The backend's counters, read on the loop's thread. */
    long[] counters() throws InterruptedException {
        long[] c = new long[BackendCounters.COUNT];
        CountDownLatch read = new CountDownLatch(1);
        loop.execute(() -> {
            LoopAccess.get().backend(loop).counters(c);
            read.countDown();
        });
        assertTrue(read.await(10, TimeUnit.SECONDS));
        return c;
    }

    /** Spins until {@code flag} is set, failing after 10 s. */
    static void awaitSet(AtomicBoolean flag, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!flag.get() && System.nanoTime() < deadline) Thread.onSpinWait();
        assertTrue(flag.get(), "timed out waiting for " + what);
    }
}
