package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.FdLimit;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.TimerWatcher;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Errno;
import dev.evring.linux.EventFd;
import dev.evring.linux.Libc;
import dev.evring.linux.Unistd;
import dev.evring.uring.CompletionHandler;
import dev.evring.uring.RingFaults;
import dev.evring.uring.RingOps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * No event is ever lost when far more fds are ready than the CQ holds: 20,000 ready fds watched through a 32-entry
 * ring (fewer where RLIMIT_NOFILE's hard limit is lower and cannot be raised, as on a 20,000-fd CI box: then as many
 * as it allows, at least 10,000, and the report says how many), on a kernel with IORING_FEAT_NODROP (the kernel keeps the overflow; we flush it) and on the seed's path for
 * kernels without it (forced by {@link RingFaults#withoutNodrop}: the ring is rebuilt larger and every fd armed again, and at the size
 * limit the loop moves to epoll).
 */
class IoUringOverflowTest {
    static final int WANTED = 20_000;

    final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeFds() {
        RingFaults.clear();
        for (int fd : fds) Unistd.close(Libc.threadCallState(), fd);
    }

    private EventLoop open(Map<String, String> options) {
        EventLoop.Builder b = EventLoop.builder().backend(Backend.IO_URING);
        options.forEach(b::option);
        b.option("io_uring.sq_entries", "32").option("io_uring.cq_entries", "32");
        try {
            return b.open();
        } catch (IllegalStateException e) {
            assumeTrue(false, "io_uring unavailable: " + e.getMessage());
            throw e;
        }
    }

    /** Makes up to {@link #WANTED} eventfds whose counter is 1: readable from the start. */
    private int[] readyFds() {
        int n = FdLimit.reserve(WANTED, 10_000);
        if (n < WANTED) System.out.println("IoUringOverflowTest: RLIMIT_NOFILE allows " + n + " ready fds, not " + WANTED);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int fd = EventFd.eventfd(Libc.threadCallState(), 1, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
            Errno.check(fd, "eventfd");
            fds.add(fd);
            out[i] = fd;
        }
        return out;
    }

    /** Watches every fd and runs until each watcher was called once (it stops itself). */
    private void everyReadyFdIsDelivered(EventLoop loop) {
        int[] ready = readyFds();
        final int n = ready.length;
        boolean[] seen = new boolean[n];
        int[] count = {0};
        for (int i = 0; i < n; i++) {
            int index = i;
            IoWatcher w = loop.io(ready[i], Events.READ, (x, ev) -> {
                assertEquals(Events.READ, ev);
                if (!seen[index]) {
                    seen[index] = true;
                    count[0]++;
                }
                x.stop();
            });
            w.start();
        }
        TimerWatcher guard = loop.timer(TimeUnit.SECONDS.toNanos(120), 0, (x, ev) -> {});
        guard.start();
        loop.unref();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (count[0] < n && System.nanoTime() < deadline) loop.runOnce();
        loop.ref();
        guard.stop();
        int missing = 0;
        for (boolean s : seen) if (!s) missing++;
        assertEquals(0, missing, "ready fds never delivered, of " + n);
    }

    /** Registers a completion handler that records each ring reset it is told of (whether the ring survived). */
    private static List<Boolean> resetsSeenByAHandler(EventLoop loop) {
        List<Boolean> resets = new ArrayList<>();
        RingOps ring = backend(loop).ringOps();
        ring.registerHandler(new CompletionHandler() {
            @Override
            public void onCompletion(long userData, int res, int flags) {}

            @Override
            public void onRingReset(boolean ringAvailable) {
                resets.add(ringAvailable);
            }
        });
        return resets;
    }

    private static IoUringBackend backend(EventLoop loop) {
        return (IoUringBackend) LoopAccess.get().backend(loop);
    }

    @Test
    void twentyThousandReadyFdsThroughA32EntryRingAllArriveWithNodrop() {
        try (EventLoop loop = open(Map.of())) {
            assumeTrue(backend(loop).ringOps().features() != 0 && (backend(loop).ringOps().features() & dev.evring.linux.IoUring.IORING_FEAT_NODROP) != 0,
                    "the kernel lacks IORING_FEAT_NODROP");
            everyReadyFdIsDelivered(loop);
            IoUringBackend.Stats s = backend(loop).stats();
            System.out.println("nodrop " + s);
            assertTrue(s.overflowFlushes() > 0, "the CQ never overflowed: the test proves nothing; " + s);
            assertEquals(0, s.ringResets(), "with NODROP the ring is never rebuilt");
        }
    }

    @Test
    void twentyThousandReadyFdsThroughA32EntryRingAllArriveWithOneshotPoll() {
        try (EventLoop loop = open(Map.of("io_uring.poll", "oneshot"))) {
            everyReadyFdIsDelivered(loop);
            assertTrue(backend(loop).stats().overflowFlushes() > 0, "the CQ never overflowed");
        }
    }

    @Test
    void withoutNodropTheRingIsRebuiltLargerAndEveryFdArmedAgain() {
        RingFaults.withoutNodrop();
        try (EventLoop loop = open(Map.of())) {
            List<Boolean> resets = resetsSeenByAHandler(loop);
            everyReadyFdIsDelivered(loop);
            IoUringBackend b = backend(loop);
            assertTrue(b.stats().ringResets() > 0, "the ring was never rebuilt: " + b.stats());
            assertTrue(b.ringAvailable());
            assertTrue(b.currentRing().cqEntries() > 32, "the rebuilt ring is no larger: " + b.currentRing());
            assertFalse(resets.isEmpty(), "handlers were not told of the reset");
            assertTrue(resets.stream().allMatch(x -> x), "the ring stayed available");
            loopStillWorks(loop);
        }
    }

    @Test
    void withoutNodropAtTheSizeLimitTheLoopMovesToEpoll() {
        RingFaults.withoutNodrop();
        RingFaults.maxCqEntries(32);
        try (EventLoop loop = open(Map.of())) {
            List<Boolean> resets = resetsSeenByAHandler(loop);
            everyReadyFdIsDelivered(loop);
            IoUringBackend b = backend(loop);
            assertFalse(b.ringAvailable(), "the loop should have moved to epoll: " + b.stats());
            assertNull(b.currentRing());
            assertNull(b.ringOps(), "no ring operations without a ring");
            assertEquals(Boolean.FALSE, resets.getLast(), "handlers were told the ring is gone");
            assertTrue(loop.backendDetails().contains("moved to epoll"), loop.backendDetails());
            loopStillWorks(loop);
            long[] c = BackendCountersTest.counters(loop);
            String what = BackendCounters.describe(c);
            assertEquals(1, c[BackendCounters.MOVES_TO_EPOLL], what);
            assertTrue(c[BackendCounters.EPOLL_WAITS] > 0, "epoll's waits are counted after the move: " + what);
            assertTrue(c[BackendCounters.ENTER_SUBMIT] > 0 && c[BackendCounters.CQES_REAPED] > 0, "the rings' counts are kept after the move: " + what);
            assertTrue(c[BackendCounters.WAKEUPS_RECEIVED] > 0 && c[BackendCounters.WAKEUPS_SENT] > 0, what);
        }
    }

    /** After a rebuild or a move: new watchers get events and other threads can still wake the loop. */
    private void loopStillWorks(EventLoop loop) {
        int fd = EventFd.eventfd(Libc.threadCallState(), 1, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
        fds.add(fd);
        int[] got = {0};
        loop.io(fd, Events.READ, (x, ev) -> {
            got[0] = ev;
            x.stop();
        }).start();
        boolean[] woke = {false};
        var async = loop.async((x, ev) -> {
            woke[0] = true;
            x.stop();
        });
        async.start();
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
            async.send();
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((got[0] == 0 || !woke[0]) && System.nanoTime() < deadline) loop.runOnce();
        try {
            sender.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertEquals(Events.READ, got[0]);
        assertTrue(woke[0], "an async send did not wake the loop");
    }
}
