package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.ErrnoException;
import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.LoopVariant;
import dev.evring.LoopVariants;
import dev.evring.TestFds;
import dev.evring.LoopTestBase;
import dev.evring.linux.Errno;
import dev.evring.linux.Faults;
import dev.evring.linux.IoUring;
import dev.evring.uring.RingFaults;
import dev.evring.uring.UserData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every errno branch of the backends and the ring, run on purpose through the fault seam ({@link Faults},
 * {@link RingFaults}): what the kernel answers rarely (EINTR, EBUSY, EBADR, ENOMEM, a partial submission, a CQE nobody
 * asked for, a lost completion) must leave the loop working, or fail it with the errno, never silently.
 */
class BackendFaultsTest {
    final IoUringFixture fixture = new IoUringFixture();

    @AfterEach
    void clear() {
        fixture.close();
        Faults.clear();
        RingFaults.clear();
    }

    private static LoopVariant variant(String name) {
        return LoopVariants.all().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    /** A socketpair with a byte waiting on [0] and a READ watcher counting calls. */
    private static AtomicInteger readable(EventLoop loop, int[] sp) {
        TestFds.write(sp[1], (byte) 1);
        AtomicInteger calls = new AtomicInteger();
        loop.io(sp[0], Events.READ, (w, ev) -> calls.incrementAndGet()).start();
        return calls;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"epoll, EPOLL_WAIT", "poll, POLL", "io_uring, IO_URING_ENTER"})
    void aWaitCutShortBySignalIsAShortWaitAndTheLoopGoesOn(String name, Faults.Call wait) {
        EventLoop loop = fixture.open(variant(name));
        int[] sp = fixture.socketpair();
        AtomicInteger calls = readable(loop, sp);
        try (Faults.Rule r = Faults.on(wait).fail(Errno.EINTR)) {
            loop.runOnce();
            assertEquals(1, r.hits());
        }
        if (wait == Faults.Call.IO_URING_ENTER) {
            try (Faults.Rule r = Faults.on(wait).fail(Errno.ETIME)) { // the wait's own timeout: as short a wait
                loop.runNoWait();
            }
        }
        LoopTestBase.runUntil(loop, () -> calls.get() > 0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"epoll, EPOLL_WAIT", "poll, POLL", "io_uring, IO_URING_ENTER"})
    void aWaitThatFailsForGoodFailsTheLoopWithItsErrno(String name, Faults.Call wait) {
        EventLoop loop = fixture.open(variant(name));
        int[] sp = fixture.socketpair();
        readable(loop, sp);
        try (Faults.Rule r = Faults.on(wait).times(Integer.MAX_VALUE).fail(Errno.ENOMEM)) {
            ErrnoException e = assertThrows(ErrnoException.class, loop::runOnce);
            assertEquals(Errno.ENOMEM, e.errno());
        }
    }

    @Test
    void ioUringEnterFromAnotherIssuerIsAnIllegalState() {
        EventLoop loop = fixture.open(variant("io_uring"));
        readable(loop, fixture.socketpair()); // a POLL_ADD to submit: the next iteration enters
        try (Faults.Rule r = Faults.on(Faults.Call.IO_URING_ENTER).times(Integer.MAX_VALUE).fail(Errno.EEXIST)) {
            assertThrows(IllegalStateException.class, loop::runNoWait);
        }
    }

    @Test
    void ioUringEnterBusyIsRetriedAfterMakingRoom() {
        for (String name : new String[] {"io_uring", "io_uring plain-setup"}) {
            EventLoop loop = fixture.open(variant(name));
            int[] sp = fixture.socketpair();
            AtomicInteger calls = readable(loop, sp);
            try (Faults.Rule busy = Faults.on(Faults.Call.IO_URING_ENTER).times(3).fail(Errno.EBUSY)) {
                LoopTestBase.runUntil(loop, () -> calls.get() > 0);
                assertTrue(busy.spent(), busy.toString());
            }
            try (Faults.Rule again = Faults.on(Faults.Call.IO_URING_ENTER).times(2).fail(Errno.EAGAIN)) {
                int before = calls.get();
                LoopTestBase.runUntil(loop, () -> calls.get() > before);
            }
        }
    }

    @Test
    void aPartialSubmissionIsCompletedAndNothingIsLost() {
        for (String name : new String[] {"io_uring", "io_uring plain-setup", "io_uring multishot-poll"}) {
            EventLoop loop = fixture.open(variant(name));
            AtomicInteger calls = new AtomicInteger();
            int n = 40;
            for (int i = 0; i < n; i++) {
                int[] sp = fixture.socketpair();
                TestFds.write(sp[1], (byte) 1);
                loop.io(sp[0], Events.READ, (w, ev) -> {
                    calls.incrementAndGet();
                    w.stop();
                }).start();
            }
            try (Faults.Rule partial = Faults.on(Faults.Call.IO_URING_ENTER).times(50).limit(1)) {
                LoopTestBase.runUntil(loop, () -> calls.get() == n, "every fd, with the kernel taking one SQE per enter");
                assertTrue(partial.hits() > 1, partial.toString());
            }
        }
    }

    @Test
    void completionsTheKernelDroppedMakeTheRingRebuildAndEverythingArmAgain() {
        EventLoop loop = fixture.open(variant("io_uring"));
        int[] sp = fixture.socketpair();
        AtomicInteger calls = readable(loop, sp);
        IoUringBackend b = IoUringFixture.backend(loop);
        RingFaults.dropCqes(3);
        loop.runNoWait();
        assertEquals(1, b.stats().ringResets(), b.stats().toString());
        LoopTestBase.runUntil(loop, () -> calls.get() > 0, "readiness after the rebuild");
        // and EBADR from io_uring_enter, the kernel's own word for "I dropped completions"
        try (Faults.Rule r = Faults.on(Faults.Call.IO_URING_ENTER).fail(Errno.EBADR)) {
            loop.runNoWait();
        }
        assertEquals(2, b.stats().ringResets(), b.stats().toString());
        int before = calls.get();
        LoopTestBase.runUntil(loop, () -> calls.get() > before, "readiness after the second rebuild");
    }

    @Test
    void aKernelHoldingOverflowIsFlushed() {
        EventLoop loop = fixture.open(variant("io_uring"));
        int[] sp = fixture.socketpair();
        AtomicInteger calls = readable(loop, sp);
        IoUringBackend b = IoUringFixture.backend(loop);
        RingFaults.overflowFlag(2);
        LoopTestBase.runUntil(loop, () -> calls.get() > 0);
        assertTrue(b.stats().overflowFlushes() > 0, b.stats().toString());
        try (Faults.Rule r = Faults.on(Faults.Call.IO_URING_ENTER).skip(1).fail(Errno.ENOMEM)) {
            RingFaults.overflowFlag(1);
            assertThrows(ErrnoException.class, loop::runNoWait, "a flush the kernel refuses for good is reported");
        }
    }

    @Test
    void aCqeNobodyAskedForIsCountedAndDropped() {
        EventLoop loop = fixture.open(variant("io_uring"));
        IoUringBackend b = IoUringFixture.backend(loop);
        RingFaults.injectCqe(UserData.pack(200, 12345), 0, 0); // a handler tag nobody registered
        RingFaults.injectCqe(UserData.pack(15, 1), 0, 0); // a backend tag with no meaning
        RingFaults.injectCqe(UserData.pack(IoUringBackend.TAG_POLL, FdPayload.pack(1 << 30, 1)), 1, 0); // fd out of range
        RingFaults.injectCqe(UserData.pack(IoUringBackend.TAG_POLL, FdPayload.pack(3, 77)), 1, 0); // stale generation
        loop.runNoWait();
        assertEquals(3, b.stats().strayCqes(), b.stats().toString());
        assertEquals(1, b.stats().staleCqes(), b.stats().toString());
    }

    @Test
    void aPollCancelledBySomeoneElseIsArmedAgain() {
        EventLoop loop = fixture.open(variant("io_uring"));
        int[] sp = fixture.socketpair();
        AtomicInteger calls = readable(loop, sp);
        RingFaults.rewriteResult(IoUringBackend.TAG_POLL, -Errno.ECANCELED, 1);
        loop.runNoWait();
        LoopTestBase.runUntil(loop, () -> calls.get() > 0, "readiness after the cancelled poll was armed again");
    }

    @Test
    void aPollAnsweredEbadfKillsTheWatchersWithAnError() {
        for (String name : new String[] {"io_uring", "io_uring multishot-poll"}) {
            EventLoop loop = fixture.open(variant(name));
            int[] sp = fixture.socketpair();
            TestFds.write(sp[1], (byte) 1);
            int[] got = {0};
            loop.io(sp[0], Events.READ, (w, ev) -> got[0] |= ev).start();
            RingFaults.rewriteResult(IoUringBackend.TAG_POLL, -Errno.EBADF, 1);
            LoopTestBase.runUntil(loop, () -> got[0] != 0);
            assertTrue((got[0] & Events.ERROR) != 0, "EBADF must reach the watcher as ERROR: " + got[0]);
            RingFaults.clear();
        }
    }

    @Test
    void aMultishotPollRefusedMidwayGoesToTheEpollSet() {
        EventLoop loop = fixture.open(variant("io_uring multishot-poll"));
        int[] sp = fixture.socketpair();
        AtomicInteger calls = readable(loop, sp);
        RingFaults.rewriteResult(IoUringBackend.TAG_POLL, -Errno.EINVAL, 1);
        loop.runNoWait();
        LoopTestBase.runUntil(loop, () -> calls.get() > 0);
        assertEquals(1, IoUringFixture.backend(loop).stats().epollSetFds());
    }

    @Test
    void removesAndUpdatesTheKernelAnswersWithAnErrorAreRetriedOrReplaced() {
        EventLoop loop = fixture.open(variant("io_uring multishot-poll"));
        int[] sp = fixture.socketpair();
        TestFds.write(sp[1], (byte) 1);
        AtomicInteger calls = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.READ, (x, ev) -> calls.incrementAndGet());
        w.start();
        LoopTestBase.runUntil(loop, () -> calls.get() > 0);
        // the level re-checks (POLL_UPDATE of the same request) answered with errors the kernel may give
        for (int res : new int[] {-Errno.EALREADY, -Errno.ENOENT, -Errno.EINVAL}) {
            RingFaults.injectCqe(UserData.pack(IoUringBackend.TAG_POLL_CHECK, IoUringFixture.pollPayload(loop, sp[0])), res, 0);
            int before = calls.get();
            LoopTestBase.runUntil(loop, () -> calls.get() > before, "readiness after a re-check answered " + Errno.name(-res));
        }
        // a mask change (POLL_UPDATE) answered EALREADY, ENOENT, EINVAL
        for (int res : new int[] {-Errno.EALREADY, -Errno.ENOENT, -Errno.EINVAL}) {
            RingFaults.injectCqe(UserData.pack(IoUringBackend.TAG_POLL_UPDATE, IoUringFixture.pollPayload(loop, sp[0])), res, 0);
            int before = calls.get();
            LoopTestBase.runUntil(loop, () -> calls.get() > before, "readiness after an update answered " + Errno.name(-res));
        }
        // a remove answered EALREADY (the request was busy posting): asked again
        w.stop();
        loop.runNoWait();
        long removes = IoUringFixture.backend(loop).stats().pollRemoves();
        RingFaults.injectCqe(UserData.pack(IoUringBackend.TAG_POLL_REMOVE, FdPayload.pack(sp[0], 0)), -Errno.EALREADY, 0);
        loop.runNoWait();
        assertEquals(removes + 1, IoUringFixture.backend(loop).stats().pollRemoves(), "the remove was not asked again");
    }

    @Test
    void aSetupOrMappingTheKernelRefusesMakesIoUringUnavailableSayingWhy() {
        try (Faults.Rule r = Faults.on(Faults.Call.IO_URING_SETUP).fail(Errno.ENOMEM)) {
            var e = assertThrows(IllegalStateException.class, () -> EventLoop.builder().backend(Backend.IO_URING).open());
            assertTrue(e.getMessage().contains("io_uring_setup failed with ENOMEM"), e.getMessage());
        }
        try (Faults.Rule r = Faults.on(Faults.Call.MMAP).fail(Errno.ENOMEM)) {
            var e = assertThrows(IllegalStateException.class, () -> EventLoop.builder().backend(Backend.IO_URING).open());
            assertTrue(e.getMessage().contains("mmap") && e.getMessage().contains("ENOMEM"), e.getMessage());
        }
        try (Faults.Rule r = Faults.on(Faults.Call.IO_URING_ENTER).fail(Errno.EPERM)) {
            var e = assertThrows(IllegalStateException.class, () -> EventLoop.builder().backend(Backend.IO_URING).open());
            assertTrue(e.getMessage().contains("io_uring_enter failed with EPERM"), e.getMessage());
        }
        try (Faults.Rule r = Faults.on(Faults.Call.TIMERFD_CREATE).fail(Errno.EMFILE)) {
            assertThrows(IllegalStateException.class, () -> EventLoop.builder().backend(Backend.IO_URING)
                    .option("io_uring.wait", "timerfd").open());
        }
        try (Faults.Rule r = Faults.on(Faults.Call.EPOLL_CREATE1).fail(Errno.EMFILE)) {
            var e = assertThrows(IllegalStateException.class, () -> EventLoop.builder().backend(Backend.EPOLL).open());
            assertTrue(e.getMessage().contains("EMFILE"), e.getMessage());
        }
        try (Faults.Rule r = Faults.on(Faults.Call.EVENTFD).fail(Errno.EMFILE)) {
            assertThrows(IllegalStateException.class, () -> EventLoop.builder().backend(Backend.POLL).open());
        }
        // a register the kernel refuses: no registered ring fd, the plain fd is entered
        try (Faults.Rule r = Faults.on(Faults.Call.IO_URING_REGISTER).times(Integer.MAX_VALUE).fail(Errno.EPERM)) {
            EventLoop loop = fixture.open(variant("io_uring"));
            int[] sp = fixture.socketpair();
            AtomicInteger calls = readable(loop, sp);
            LoopTestBase.runUntil(loop, () -> calls.get() > 0);
            assertTrue(loop.backendDetails().contains("registered ring fd   no"), loop.backendDetails());
            int fd = IoUringFixture.backend(loop).pollFd(); // IORING_REGISTER_EVENTFD refused: the ring fd itself
            assertEquals(IoUringFixture.backend(loop).currentRing().fd(), fd);
        }
    }

    @Test
    void epollCtlAnswersAreFollowed() {
        EventLoop loop = fixture.open(variant("epoll"));
        int[] sp = fixture.socketpair();
        // a refused registration (ENOMEM: out of kernel memory) stops the fd's watchers with an error
        int[] got = {0};
        try (Faults.Rule r = Faults.on(Faults.Call.EPOLL_CTL).fd(sp[0]).fail(Errno.ENOMEM)) {
            loop.io(sp[0], Events.READ, (w, ev) -> got[0] |= ev).start();
            LoopTestBase.runUntil(loop, () -> got[0] != 0);
        }
        assertTrue((got[0] & Events.ERROR) != 0, "ENOMEM must reach the watcher as ERROR: " + got[0]);
        // ENOENT: the registration vanished: ADD again; EEXIST: still there: MOD
        for (int errno : new int[] {Errno.ENOENT, Errno.EEXIST}) {
            int[] p = fixture.socketpair();
            TestFds.write(p[1], (byte) 1);
            AtomicInteger calls = new AtomicInteger();
            try (Faults.Rule r = Faults.on(Faults.Call.EPOLL_CTL).fd(p[0]).fail(errno)) {
                loop.io(p[0], Events.READ, (w, ev) -> calls.incrementAndGet()).start();
                LoopTestBase.runUntil(loop, () -> calls.get() > 0, "readiness after epoll_ctl answered " + Errno.name(errno));
                assertTrue(r.spent());
            }
        }
        assertFalse(fixture.thrown.size() > 0, fixture.thrown.toString());
    }

    @Test
    void aRingReadyForReapingWithAnOldKernelsNodropIsRebuilt() {
        RingFaults.withoutNodrop();
        EventLoop loop = fixture.open(variant("io_uring"), "io_uring.sq_entries", "4", "io_uring.cq_entries", "4");
        AtomicInteger calls = new AtomicInteger();
        for (int i = 0; i < 16; i++) {
            int[] sp = fixture.socketpair();
            TestFds.write(sp[1], (byte) 1);
            loop.io(sp[0], Events.READ, (w, ev) -> {
                calls.incrementAndGet();
                w.stop();
            }).start();
        }
        LoopTestBase.runUntil(loop, () -> calls.get() == 16);
        assertTrue(IoUringFixture.backend(loop).stats().ringResets() > 0);
        assertTrue(loop.backendDetails().contains("NODROP               no"), loop.backendDetails());
    }
}
