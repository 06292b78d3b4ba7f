package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.LoopVariant;
import dev.evring.LoopVariants;
import dev.evring.TestFds;
import dev.evring.LoopTestBase;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Errno;
import dev.evring.linux.EventFd;
import dev.evring.linux.Libc;
import dev.evring.uring.CompletionHandler;
import dev.evring.uring.MessageTarget;
import dev.evring.uring.RingMessage;
import dev.evring.uring.RingOps;
import dev.evring.uring.UserData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

import static dev.evring.backend.BackendCounters.MESSAGES_RECEIVED;
import static dev.evring.backend.BackendCounters.MESSAGES_SENT;
import static dev.evring.backend.BackendCounters.WAKEUPS_RECEIVED;
import static dev.evring.backend.BackendCounters.WAKEUPS_SENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Messages between loops' rings (IORING_OP_MSG_RING): loop A's ring posts to loop B's, on two threads, and B's
 * handler gets each payload, in order, from nothing but B's normal wait (no wakeup of B's own is written). Also from a
 * thread without a ring (IORING_REGISTER_SEND_MSG_RING, 6.13), and what a sender learns when the target is gone.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#ioUring")
class RingMessageTest extends VariantFixtureTest {

    static final int MESSAGES = 200;

    /** Loop B, on a thread of its own: receives {@code expected} messages, then reports what it saw. */
    static final class Receiver {
        final CompletableFuture<MessageTarget> target = new CompletableFuture<>();
        final CompletableFuture<long[]> counters = new CompletableFuture<>();
        final List<Long> payloads = new ArrayList<>(); // B's thread only, read after join
        final Thread thread;

        Receiver(LoopVariant variant, int expected) {
            thread = Thread.ofPlatform().name("loop B").start(() -> {
                try (EventLoop b = variant.open()) {
                    RingOps ring = LoopAccess.get().backend(b).ringOps();
                    int tag = ring.registerHandler(new CompletionHandler() {
                        @Override
                        public void onCompletion(long userData, int res, int flags) {}

                        @Override
                        public void onMessage(long payload) {
                            payloads.add(payload);
                            if (payloads.size() == expected) b.breakLoop(EventLoop.Break.ALL);
                        }
                    });
                    b.runNoWait();
                    long[] before = BackendCountersTest.counters(b);
                    b.timer(Duration.ofSeconds(10), Duration.ZERO, (w, ev) -> b.breakLoop(EventLoop.Break.ALL)).start();
                    target.complete(ring.messageTarget(tag));
                    b.run(); // its normal wait, until the last message or the 10 s guard
                    long[] after = BackendCountersTest.counters(b);
                    for (int i = 0; i < after.length; i++) after[i] -= before[i];
                    counters.complete(after);
                } catch (Throwable e) {
                    target.completeExceptionally(e);
                    counters.completeExceptionally(e);
                }
            });
        }

        long[] join() throws Exception {
            thread.join(TimeUnit.SECONDS.toMillis(15));
            return counters.get(1, TimeUnit.SECONDS);
        }

        void assertGotAll(int expected, long[] delta) {
            assertEquals(expected, payloads.size(), "messages received: " + payloads);
            for (int i = 0; i < expected; i++) assertEquals(i, payloads.get(i), "messages out of order: " + payloads);
            String what = BackendCounters.describe(delta);
            assertEquals(expected, delta[MESSAGES_RECEIVED], what);
            // nothing but the ring's own wait: no eventfd wakeup was written to B or read by it
            assertEquals(0, delta[WAKEUPS_SENT], what);
            assertEquals(0, delta[WAKEUPS_RECEIVED], what);
        }
    }

    /** A handler on the sender's ring that records the failure CQEs of its messages. */
    static int failureHandler(RingOps ring, List<Integer> failures) {
        return ring.registerHandler((u, res, f) -> failures.add(res));
    }

    @Test
    void aMessageFromAnotherLoopsRingReachesItsHandlerThroughItsNormalWait() throws Exception {
        EventLoop a = fixture.open(variant);
        RingOps ring = LoopAccess.get().backend(a).ringOps();
        assumeTrue(ring.messagesSupported(), "IORING_OP_MSG_RING is missing (Linux before 5.18): " + ring.opcodeProbeFailure());
        Receiver b = new Receiver(variant, MESSAGES);
        MessageTarget target = b.target.get(10, TimeUnit.SECONDS);
        List<Integer> failures = new ArrayList<>();
        int tag = failureHandler(ring, failures);
        Thread.sleep(20); // B is blocked in its wait by now (were it not, the messages would still arrive)
        for (int i = 0; i < MESSAGES; i++) {
            ring.postMessage(target, i, UserData.pack(tag, i));
            if (i % 10 == 9) a.runNoWait(); // batches of ten go out with A's enter, as from A's callbacks
        }
        long[] delta = b.join();
        a.runNoWait();
        assertEquals(List.of(), failures, "a message failed");
        b.assertGotAll(MESSAGES, delta);
        assertEquals(MESSAGES, BackendCountersTest.counters(a)[MESSAGES_SENT]);
    }

    @Test
    void aThreadWithoutARingSendsThroughTheKernelDirectly() throws Exception {
        EventLoop a = fixture.open(variant); // only to probe the kernel
        assumeTrue(LoopAccess.get().backend(a).ringOps().messagesSupported(), "no IORING_OP_MSG_RING");
        assumeTrue(RingMessage.sendSupported(), RingMessage.sendUnsupportedReason());
        Receiver b = new Receiver(variant, MESSAGES);
        MessageTarget target = b.target.get(10, TimeUnit.SECONDS);
        CountDownLatch sent = new CountDownLatch(1);
        int[] errors = {0};
        Thread.ofPlatform().start(() -> {
            for (int i = 0; i < MESSAGES; i++) if (RingMessage.send(target, i) != 0) errors[0]++;
            sent.countDown();
        });
        assertTrue(sent.await(10, TimeUnit.SECONDS));
        long[] delta = b.join();
        assertEquals(0, errors[0], "sends failed");
        b.assertGotAll(MESSAGES, delta);
    }

    @Test
    void aMessageForAClosedRingIsNeverDeliveredToTheRingThatTookItsFd() throws Exception {
        EventLoop a = fixture.open(variant);
        RingOps ring = LoopAccess.get().backend(a).ringOps();
        assumeTrue(ring.messagesSupported(), "no IORING_OP_MSG_RING");
        List<Long> delivered = new ArrayList<>();
        ToIntFunction<EventLoop> handler = l -> LoopAccess.get().backend(l).ringOps().registerHandler(new CompletionHandler() {
            @Override
            public void onCompletion(long userData, int res, int flags) {}

            @Override
            public void onMessage(long payload) {
                delivered.add(payload);
            }
        });
        EventLoop old = fixture.open(variant);
        int oldTag = handler.applyAsInt(old); // the loop itself may hold tags already (its ring wakeups)
        RingOps oldRing = LoopAccess.get().backend(old).ringOps();
        MessageTarget stale = oldRing.messageTarget(oldTag);
        fixture.loops.remove(old);
        old.close();
        EventLoop fresh = fixture.open(variant); // the same fds, in the same order: its ring takes the old ring's number
        int freshTag = handler.applyAsInt(fresh);
        MessageTarget now = LoopAccess.get().backend(fresh).ringOps().messageTarget(freshTag);
        assumeTrue(now.ringFd() == stale.ringFd(), "the new ring did not get the old ring's fd number");
        assertTrue(now.route() != stale.route(), "two rings with one mark");
        List<Integer> failures = new ArrayList<>();
        int tag = failureHandler(ring, failures);
        long strayBefore = BackendCountersTest.counters(fresh)[BackendCounters.CQES_STRAY];
        ring.postMessage(stale, 42, UserData.pack(tag, 1));
        ring.postMessage(now, 43, UserData.pack(tag, 2));
        a.runNoWait();
        fresh.ref();
        LoopTestBase.runUntil(fresh, () -> !delivered.isEmpty());
        fresh.runNoWait();
        fresh.unref();
        assertEquals(List.of(43L), delivered, "the message for the closed ring reached the new one's handler");
        assertEquals(1, BackendCountersTest.counters(fresh)[BackendCounters.CQES_STRAY] - strayBefore);
        assertEquals(List.of(), failures);
    }

    @Test
    void aSenderLearnsThatItsTargetIsNoRing() {
        EventLoop a = fixture.open(variant);
        RingOps ring = LoopAccess.get().backend(a).ringOps();
        assumeTrue(ring.messagesSupported(), "no IORING_OP_MSG_RING");
        int efd = EventFd.eventfd(Libc.threadCallState(), 0, EventFd.EFD_CLOEXEC);
        fixture.fds.add(efd);
        List<Integer> failures = new ArrayList<>();
        int tag = failureHandler(ring, failures);
        ring.postMessage(RingMessage.target(efd, 1, UserData.FIRST_HANDLER_TAG), 7, UserData.pack(tag, 1));
        a.ref();
        LoopTestBase.runUntil(a, () -> !failures.isEmpty());
        a.unref();
        assertEquals(List.of(-Errno.EBADFD), failures);
        if (RingMessage.sendSupported()) {
            assertEquals(-Errno.EBADFD, RingMessage.send(RingMessage.target(efd, 1, UserData.FIRST_HANDLER_TAG), 7));
        }
    }

    @Test
    void aBlockedLoopIsWokenThroughItsWakeupTargetWithoutItsEventfd() throws Exception {
        EventLoop a = fixture.open(variant);
        RingOps ring = LoopAccess.get().backend(a).ringOps();
        assumeTrue(ring.messagesSupported(), "no IORING_OP_MSG_RING");
        CompletableFuture<LoopBackend> backendB = new CompletableFuture<>();
        CompletableFuture<long[]> deltaB = new CompletableFuture<>();
        CountDownLatch firstWake = new CountDownLatch(1);
        Thread b = Thread.ofPlatform().name("loop B").start(() -> {
            try (EventLoop loop = variant.open()) {
                int[] sp = TestFds.socketpair();
                try {
                    loop.io(sp[0], Events.READ, (w, ev) -> {}).start(); // never ready: runOnce blocks until woken
                    loop.runNoWait();
                    long[] before = BackendCountersTest.counters(loop);
                    backendB.complete(LoopAccess.get().backend(loop));
                    loop.runOnce(); // woken by loop A's ring
                    firstWake.countDown();
                    if (RingMessage.sendSupported()) loop.runOnce(); // woken by a thread without a ring
                    long[] after = BackendCountersTest.counters(loop);
                    for (int i = 0; i < after.length; i++) after[i] -= before[i];
                    deltaB.complete(after);
                } finally {
                    TestFds.close(sp);
                }
            } catch (Throwable e) {
                backendB.completeExceptionally(e);
                deltaB.completeExceptionally(e);
            }
        });
        LoopBackend target = backendB.get(10, TimeUnit.SECONDS);
        MessageTarget wake = target.wakeupTarget();
        assertTrue(wake != null, "an io_uring loop with MSG_RING has a wakeup target");
        List<Integer> failures = new ArrayList<>();
        int tag = failureHandler(ring, failures);
        Thread.sleep(20); // B is blocked in its wait by now
        ring.postMessage(wake, 0, UserData.pack(tag, 1));
        a.runNoWait();
        if (!firstWake.await(10, TimeUnit.SECONDS)) target.wakeup(); // let B go, and fail below
        if (RingMessage.sendSupported()) {
            Thread.sleep(20);
            assertEquals(0, RingMessage.send(wake, 0));
        }
        b.join(TimeUnit.SECONDS.toMillis(10));
        if (b.isAlive()) target.wakeup();
        long[] delta = deltaB.get(10, TimeUnit.SECONDS);
        String what = BackendCounters.describe(delta);
        int wakes = RingMessage.sendSupported() ? 2 : 1;
        assertEquals(wakes, delta[WAKEUPS_RECEIVED], what);
        assertEquals(wakes, delta[MESSAGES_RECEIVED], what);
        assertEquals(0, delta[WAKEUPS_SENT], "B's eventfd was written: " + what);
        assertEquals(List.of(), failures);
        EventLoop epoll = fixture.open(LoopVariants.all().stream().filter(v -> v.backend() == Backend.EPOLL).findFirst().orElseThrow());
        assertNull(LoopAccess.get().backend(epoll).wakeupTarget(), "epoll has no ring to message");
    }

    @Test
    void badArgumentsAreRefusedByValue() {
        EventLoop a = fixture.open(variant);
        RingOps ring = LoopAccess.get().backend(a).ringOps();
        int tag = ring.registerHandler((u, r, f) -> {});
        assertThrows(IllegalArgumentException.class, () -> ring.messageTarget(tag + 1), "no handler has that tag");
        assertThrows(IllegalArgumentException.class, () -> ring.messageTarget(3), "a backend tag");
        MessageTarget t = ring.messageTarget(tag);
        assertEquals(tag, t.handlerTag());
        assertThrows(IllegalArgumentException.class, () -> ring.postMessage(t, 1L << 56, 0), "a payload over 56 bits");
        assertEquals(0, BackendCountersTest.counters(a)[MESSAGES_SENT], "a refused message was counted");
        assertTrue(a.backendDetails().contains("MSG_RING"), a.backendDetails());
    }
}
