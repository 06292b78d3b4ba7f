package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plug-in point for waking one loop from another loop's thread without the target's eventfd (a message from the
 * sender's ring, where io_uring has MSG_RING): the wakeup asks the sender of the loop running on the calling thread
 * first, and only that thread's; what it queued goes out by the time that loop's run() returns; a sender that cannot
 * reach the target leaves it to the target's backend. Checked with a sender that queues wakeups and delivers them
 * through the target's backend when flushed, as a ring message rides along with the sender's next enter.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class WakeSenderTest extends LoopTestBase {

    /** Queues the targets it is asked to wake; delivers them at flush. */
    static final class DeferringSender implements WakeSender {
        final List<LoopWakeup> queued = new ArrayList<>();
        final List<Thread> askedOn = new ArrayList<>();
        int asked;
        int flushes;
        boolean reach = true;

        @Override
        public boolean wake(LoopWakeup target) {
            askedOn.add(Thread.currentThread());
            asked++;
            if (!reach) return false;
            queued.add(target);
            return true;
        }

        @Override
        public void flush() {
            flushes++;
            for (LoopWakeup t : queued) t.wakeBackend();
            queued.clear();
        }
    }

    /** A loop of its own thread, kept running until the test ends. */
    private EventLoop other;
    private Thread otherThread;

    private void startOther() throws InterruptedException {
        CountDownLatch opened = new CountDownLatch(1);
        AtomicReference<EventLoop> ref = new AtomicReference<>();
        EventLoop.Builder b = variant.builder();
        otherThread = Thread.ofPlatform().name("other-loop").start(() -> {
            try (EventLoop l = b.open()) {
                ref.set(l);
                l.ref();
                opened.countDown();
                l.run();
            }
        });
        assertTrue(opened.await(10, TimeUnit.SECONDS));
        other = ref.get();
    }

    private void stopOther() throws InterruptedException {
        other.execute(() -> {
            other.unref();
            other.breakLoop(EventLoop.Break.ALL);
        });
        otherThread.join(10_000);
        assertFalse(otherThread.isAlive());
    }

    /** Waits until the other loop is surely blocked in its wait: idle for a while, its iteration count steady. */
    private void letOtherBlock() throws InterruptedException {
        long it;
        do {
            it = other.stats().iterations();
            Thread.sleep(30);
        } while (other.stats().iterations() != it);
    }

    private static void awaitSet(AtomicBoolean flag, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!flag.get() && System.nanoTime() < deadline) Thread.onSpinWait();
        assertTrue(flag.get(), "timed out waiting for " + what);
    }

    @Test
    void aLoopThreadsSenderWakesTheTargetAndItsWakeupGoesOutByTheEndOfRun() throws Exception {
        startOther();
        try {
            DeferringSender sender = new DeferringSender();
            loop.wakeSender(sender);
            AtomicBoolean ran = new AtomicBoolean();
            int backendBefore = other.backendWakeupsForTest();
            boolean[] ranBeforeFlush = new boolean[1];
            letOtherBlock();
            loop.execute(() -> {
                other.execute(() -> ran.set(true));
                // the target sleeps on: its wakeup waits in our sender until our run() returns
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
                while (System.nanoTime() < until) if (ran.get()) ranBeforeFlush[0] = true;
            });
            loop.runOnce();
            assertEquals(1, sender.asked, "the sender of the loop running on this thread was asked");
            assertEquals(List.of(Thread.currentThread()), sender.askedOn);
            assertFalse(ranBeforeFlush[0], "the target woke before the sender's run() ended");
            assertTrue(sender.flushes >= 1);
            awaitSet(ran, "the task, once the wakeup went out");
            assertEquals(backendBefore + 1, other.backendWakeupsForTest(), "delivered once, by the flush");

            // outside run(), the same thread is no loop's: the target's own backend is woken, the sender not asked
            ran.set(false);
            letOtherBlock();
            other.execute(() -> ran.set(true));
            awaitSet(ran, "the task");
            assertEquals(1, sender.asked, "not asked from outside run()");

            // a sender that cannot reach the target leaves it to the backend
            sender.reach = false;
            ran.set(false);
            letOtherBlock();
            int before = other.backendWakeupsForTest();
            loop.execute(() -> other.execute(() -> ran.set(true)));
            loop.runOnce();
            awaitSet(ran, "the task");
            assertEquals(2, sender.asked);
            assertEquals(before + 1, other.backendWakeupsForTest(), "the backend woke it");
        } finally {
            stopOther();
        }
    }

    @Test
    void aPlainThreadNeverUsesALoopsSender() throws Exception {
        startOther();
        try {
            DeferringSender sender = new DeferringSender();
            loop.wakeSender(sender);
            CountDownLatch ran = new CountDownLatch(20);
            Thread plain = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 20; i++) {
                    try {
                        letOtherBlock();
                    } catch (InterruptedException e) {
                        return;
                    }
                    other.execute(ran::countDown);
                }
            });
            loop.ref();
            runUntil(() -> ran.getCount() == 0, "the plain thread's tasks");
            loop.unref();
            plain.join();
            assertEquals(0, sender.asked);
        } finally {
            stopOther();
        }
    }

    @Test
    void theSenderChangesOutsideRunOnly() {
        DeferringSender sender = new DeferringSender();
        AtomicReference<Throwable> inside = new AtomicReference<>();
        loop.execute(() -> inside.set(assertThrows(IllegalStateException.class, () -> loop.wakeSender(sender))));
        loop.runOnce();
        assertTrue(inside.get() != null);
        loop.wakeSender(sender);
        loop.wakeSender(null);
    }
}
