package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plug-in point for waking one loop from another loop's thread without the target's eventfd (a message from the
 * sender's ring, {@link RingWakeSender}, where io_uring has MSG_RING): the wakeup asks the sender of the loop the
 * calling thread owns first, inside its run() or not, and only that thread's; a sender that cannot reach the target
 * leaves it to the target's backend; a closed loop's sender is asked no more. Checked on every backend with a sender
 * that records what it is asked and wakes the target through its backend.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class WakeSenderTest extends LoopTestBase {

    /** Records the targets it is asked to wake, and wakes them through their backend (or says no). */
    static final class RecordingSender implements WakeSender {
        final List<Thread> askedOn = new ArrayList<>();
        boolean reach = true;

        @Override
        public boolean wake(LoopWakeup target) {
            askedOn.add(Thread.currentThread());
            if (!reach) return false;
            target.wakeBackend();
            return true;
        }
    }

    @Test
    void theSenderOfTheThreadsLoopIsAskedInsideRunAndOut() throws Exception {
        LoopOnThread o = LoopOnThread.start(variant.builder());
        EventLoop other = o.loop();
        try {
            RecordingSender sender = new RecordingSender();
            loop.sendWakeupsThrough(sender);
            // from a callback of this thread's loop
            AtomicBoolean ran = new AtomicBoolean();
            o.letBlock();
            int before = other.backendWakeupsForTest();
            loop.execute(() -> other.execute(() -> ran.set(true)));
            loop.runOnce();
            LoopOnThread.awaitSet(ran, "the task handed over from a callback");
            assertEquals(List.of(Thread.currentThread()), sender.askedOn, "the sender of this thread's loop was asked");
            assertEquals(before + 1, other.backendWakeupsForTest(), "and it woke the target");

            // outside run(): the thread still owns the loop, and the wakeup goes out at once all the same
            ran.set(false);
            o.letBlock();
            other.execute(() -> ran.set(true));
            LoopOnThread.awaitSet(ran, "the task handed over outside run()");
            assertEquals(2, sender.askedOn.size());

            // a sender that cannot reach the target leaves it to the backend
            sender.reach = false;
            ran.set(false);
            o.letBlock();
            before = other.backendWakeupsForTest();
            other.execute(() -> ran.set(true));
            LoopOnThread.awaitSet(ran, "the task the backend woke the target for");
            assertEquals(3, sender.askedOn.size());
            assertEquals(before + 1, other.backendWakeupsForTest(), "the backend woke it");

            // once the loop closed, its thread's wakeups go to the backends
            loop.close();
            ran.set(false);
            o.letBlock();
            other.execute(() -> ran.set(true));
            LoopOnThread.awaitSet(ran, "the task after the sender's loop closed");
            assertEquals(3, sender.askedOn.size(), "a closed loop's sender is not asked");
        } finally {
            o.stop();
        }
    }

    @Test
    void aPlainThreadNeverUsesALoopsSender() throws Exception {
        LoopOnThread o = LoopOnThread.start(variant.builder());
        EventLoop other = o.loop();
        try {
            RecordingSender sender = new RecordingSender();
            loop.sendWakeupsThrough(sender);
            CountDownLatch ran = new CountDownLatch(20);
            Thread plain = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 20; i++) {
                    try {
                        o.letBlock();
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
            assertEquals(List.of(), sender.askedOn);
        } finally {
            o.stop();
        }
    }
}
