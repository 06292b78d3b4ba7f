package dev.evring;

import dev.evring.backend.BackendCounters;
import dev.evring.linux.IoUring;
import dev.evring.uring.RingFaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A loop on io_uring wakes another loop on io_uring, blocked in its wait, by a message from its ring (IORING_OP_MSG_RING,
 * {@link RingWakeSender}): the target's eventfd is not written, its backend counts a message and a wakeup received,
 * and the task runs; every other pairing keeps the eventfd. On every io_uring variant.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#ioUring")
class RingWakeupTest extends LoopTestBase {

    /** From this loop's thread, inside its run(): hands a task to {@code to} and runs until it ran there. */
    private void handOver(EventLoop to, AtomicBoolean ran) {
        loop.execute(() -> to.execute(() -> ran.set(true)));
        loop.ref();
        try {
            runUntil(ran::get, "the task on the other loop");
        } finally {
            loop.unref();
        }
    }

    @Test
    void aTaskFromAnotherLoopsThreadWakesItByAMessageNotItsEventfd() throws Exception {
        assumeTrue(loop.wakeSenderForTest() instanceof RingWakeSender, "no IORING_OP_MSG_RING on this kernel");
        LoopOnThread b = LoopOnThread.start(variant.builder());
        try {
            long[] before = b.counters();
            LoopStats statsBefore = b.loop().stats();
            for (int i = 0; i < 20; i++) {
                b.letBlock();
                AtomicBoolean ran = new AtomicBoolean();
                handOver(b.loop(), ran);
            }
            LoopStats stats = b.loop().stats();
            long[] after = b.counters(); // itself a task handed over, whose wakeup the checks below allow for
            assertEquals(statsBefore.wakeupCalls(), stats.wakeupCalls(), "no eventfd write: " + stats);
            assertEquals(20, stats.wakeupMessages() - statsBefore.wakeupMessages(), stats.toString());
            assertTrue(after[BackendCounters.WAKEUPS_SENT] - before[BackendCounters.WAKEUPS_SENT] <= 1, "eventfd writes besides the counters' own");
            assertTrue(after[BackendCounters.MESSAGES_RECEIVED] - before[BackendCounters.MESSAGES_RECEIVED] >= 20,
                    "messages received: " + (after[BackendCounters.MESSAGES_RECEIVED] - before[BackendCounters.MESSAGES_RECEIVED]));
        } finally {
            b.stop();
        }
    }

    @Test
    void withTheOptionOffOrATargetOnEpollTheEventfdWakesIt() throws Exception {
        EventLoop noMessages = open(builder().option("loop.wakeup_messages", "false"));
        assertEquals(null, noMessages.wakeSenderForTest());
        LoopOnThread onEpoll = LoopOnThread.start(EventLoop.builder().backend(Backend.EPOLL));
        try {
            onEpoll.letBlock();
            int calls = onEpoll.loop().backendWakeupsForTest();
            handOver(onEpoll.loop(), new AtomicBoolean());
            assertEquals(calls + 1, onEpoll.loop().backendWakeupsForTest(), "a loop on epoll is woken by its eventfd");
            assertEquals(0, onEpoll.loop().stats().wakeupMessages());
        } finally {
            onEpoll.stop();
        }
    }

    @Test
    void aMessageTheKernelFailsFallsBackToTheTargetsEventfd() throws Exception {
        assumeTrue(loop.wakeSenderForTest() instanceof RingWakeSender, "no IORING_OP_MSG_RING on this kernel");
        LoopOnThread b = LoopOnThread.start(variant.builder());
        try {
            b.letBlock();
            int ringFd = b.loop().backendUnchecked().wakeupTarget().ringFd();
            int calls = b.loop().backendWakeupsForTest();
            RingFaults.rejectSqes(IoUring.IORING_OP_MSG_RING, ringFd, 1); // the kernel answers our message with EINVAL
            try {
                handOver(b.loop(), new AtomicBoolean()); // our loop reaps the failure: then the eventfd wakes b
            } finally {
                RingFaults.clear();
            }
            assertEquals(calls + 1, b.loop().backendWakeupsForTest(), "the eventfd woke it after the message failed");
            assertEquals(1, b.loop().stats().wakeupMessages(), "one message was posted");
        } finally {
            b.stop();
        }
    }
}
