package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.LoopVariant;
import dev.evring.TestFds;
import dev.evring.LoopTestBase;
import dev.evring.TimerWatcher;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.IoUring;
import dev.evring.linux.Libc;
import dev.evring.linux.Unistd;
import dev.evring.uring.RingFaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Readiness through the ring: what only the io_uring backend does, on each of its paths. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#ioUring")
class IoUringPollTest {
    @Parameter
    LoopVariant variant;

    final IoUringFixture fixture = new IoUringFixture();
    final List<Integer> toClose = fixture.fds;

    @AfterEach
    void close() {
        fixture.close();
    }

    EventLoop open(String... options) {
        return fixture.open(variant, options);
    }

    int[] socketpair() {
        return fixture.socketpair();
    }

    static IoUringBackend backend(EventLoop loop) {
        return IoUringFixture.backend(loop);
    }

    static void runUntil(EventLoop loop, BooleanSupplier done) {
        LoopTestBase.runUntil(loop, done);
    }

    @Test
    void multishotPollStaysArmedAcrossEvents() {
        EventLoop loop = open();
        IoUringBackend b = backend(loop);
        int[] sp = socketpair();
        AtomicInteger calls = new AtomicInteger();
        loop.io(sp[0], Events.READ, (w, ev) -> {
            TestFds.drain(sp[0]);
            calls.incrementAndGet();
        }).start();
        loop.runNoWait();
        long addsBefore = b.stats().pollAdds();
        for (int i = 1; i <= 50; i++) {
            TestFds.write(sp[1], (byte) i);
            int want = i;
            runUntil(loop, () -> calls.get() == want);
        }
        long adds = b.stats().pollAdds() - addsBefore;
        if (b.pollMode() == IoUringBackend.PollMode.MULTISHOT) {
            assertEquals(0, adds, "a multishot poll needs no re-arm per event: " + b.stats());
        } else {
            assertTrue(adds >= 49, "oneshot re-arms once per event (the last one's re-arm waits for the next poll): " + b.stats());
        }
    }

    @Test
    void narrowingTheInterestInAnFdUpdatesItsRequestInPlaceAndWideningReplacesIt() {
        EventLoop loop = open();
        IoUringBackend b = backend(loop);
        int[] sp = socketpair();
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger writes = new AtomicInteger();
        IoWatcher reader = loop.io(sp[0], Events.READ, (x, ev) -> {
            reads.incrementAndGet();
            TestFds.drain(sp[0]);
        });
        IoWatcher writer = loop.io(sp[0], Events.WRITE, (x, ev) -> {
            writes.incrementAndGet();
            x.stop(); // interest goes back from READ|WRITE to READ
        });
        reader.start();
        writer.start();
        runUntil(loop, () -> writes.get() == 1);
        long addsBefore = b.stats().pollAdds();
        for (int i = 2; i <= 5; i++) {
            loop.runNoWait(); // the stop reaches the backend: READ|WRITE becomes READ
            writer.start(); // same watcher, same fd: READ becomes READ|WRITE again, without a refresh
            int want = i;
            runUntil(loop, () -> writes.get() == want);
        }
        loop.runNoWait();
        TestFds.write(sp[1], (byte) 1);
        runUntil(loop, () -> reads.get() == 1);
        loop.runNoWait();
        assertEquals(5, writes.get(), "the stopped write watcher was called again");
        if (b.pollMode() == IoUringBackend.PollMode.MULTISHOT) {
            // READ|WRITE to READ updates in place; READ to READ|WRITE adds a request, which reports readiness at once
            // (an update would report the added bit only at the next enter)
            assertEquals(addsBefore + 4, b.stats().pollAdds(), "each widening should replace the request: " + b.stats());
            assertTrue(b.stats().pollUpdates() >= 4, b.stats().toString());
        }
        reader.stop();
    }

    @Test
    void staleCompletionAfterRemoveAndFdReuseIsDropped() {
        EventLoop loop = open();
        // The old pipe's read end stays open through a dup, and keeps becoming readable: a poll request that was not
        // really removed would keep reporting it under the reused number.
        int[] old = TestFds.pipe();
        int keep = Unistd.dup(Libc.threadCallState(), old[0]);
        toClose.add(keep);
        toClose.add(old[1]);
        TestFds.write(old[1], (byte) 1);
        IoWatcher first = loop.io(old[0], Events.READ, (x, ev) -> {});
        first.start();
        loop.runOnce();
        first.stop();
        TestFds.close(old[0]); // closed and its number reused in the same iteration: the loop sees one refresh
        int[] fresh = TestFds.pipe();
        toClose.add(fresh[0]);
        toClose.add(fresh[1]);
        assumeTrue(fresh[0] == old[0], "the kernel did not reuse fd " + old[0]);
        AtomicInteger events = new AtomicInteger();
        IoWatcher second = loop.io(fresh[0], Events.READ, (x, ev) -> events.incrementAndGet());
        second.start();
        for (int i = 0; i < 5; i++) {
            TestFds.write(old[1], (byte) 2); // the old file gets more data, waking whatever still polls it
            TimerWatcher t = loop.timer(5_000_000L, 0, (x, ev) -> {});
            t.start();
            while (t.isActive()) loop.runOnce();
        }
        assertEquals(0, events.get(), "an event of the old file reached the watcher of the reused number");
        TestFds.write(fresh[1], (byte) 3);
        runUntil(loop, () -> events.get() > 0);
        second.stop();
    }

    @Test
    void stoppingAWatcherReleasesTheFileSoAClosedSocketReallyCloses() {
        EventLoop loop = open();
        int[] sp = TestFds.socketpair();
        toClose.add(sp[1]);
        IoWatcher w = loop.io(sp[0], Events.READ, (x, ev) -> {});
        w.start();
        loop.runNoWait();
        w.stop();
        loop.runNoWait(); // the POLL_REMOVE (by user_data) goes out with this iteration's submission
        TestFds.close(sp[0]);
        // the peer sees end-of-stream only once nothing holds the socket: neither the fd table nor a poll request
        byte[] got = TestFds.read(sp[1], 1);
        assertNotNull(got, "the peer still sees the socket open: a poll request holds it");
        assertArrayEquals(new byte[0], got);
    }

    @Test
    void pollAddRefusedWithEinvalIsWatchedThroughEpollAndStaysLevelTriggered() {
        int[] sp = socketpair();
        RingFaults.rejectSqes(IoUring.IORING_OP_POLL_ADD, sp[0], Integer.MAX_VALUE); // the kernel answers EINVAL
        EventLoop loop = open();
        IoUringBackend b = backend(loop);
        TestFds.write(sp[1], new byte[20]);
        AtomicInteger calls = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.READ, (x, ev) -> {
            assertEquals(Events.READ, ev);
            calls.incrementAndGet();
            TestFds.read(sp[0], 1); // leaves data behind: must be called again
        });
        w.start();
        runUntil(loop, () -> calls.get() >= 1);
        assertEquals(1, b.stats().epollSetFds(), "the fd did not go to the epoll set: " + b.stats());
        for (int i = 0; i < 5; i++) runUntil(loop, () -> calls.get() >= 1); // settle
        int before = calls.get();
        for (int i = 0; i < 5; i++) loop.runOnce();
        assertEquals(before + 5, calls.get(), "level-triggered on the hybrid too: once per iteration while data remains");
        TestFds.drain(sp[0]);
        w.stop();
        // other fds keep using the ring
        int[] other = socketpair();
        AtomicInteger ok = new AtomicInteger();
        loop.io(other[0], Events.READ, (x, ev) -> {
            ok.incrementAndGet();
            x.stop();
        }).start();
        TestFds.write(other[1], (byte) 1);
        runUntil(loop, () -> ok.get() == 1);
        assertEquals(1, b.stats().epollSetFds());
        assertTrue(loop.backendDetails().contains("epoll"), loop.backendDetails());
        // the hybrid fd can be watched again, and a write watcher there works too
        AtomicInteger writable = new AtomicInteger();
        IoWatcher ww = loop.io(sp[0], Events.WRITE, (x, ev) -> {
            writable.incrementAndGet();
            x.stop();
        });
        ww.start();
        runUntil(loop, () -> writable.get() == 1);
    }

    @Test
    void watcherOfAFdThatIsNotOpenGetsAnErrorFromTheRing() {
        EventLoop loop = open();
        int[] p = TestFds.pipe();
        TestFds.close(p[0], p[1]); // two numbers that are now free
        AtomicInteger got = new AtomicInteger();
        IoWatcher w = loop.io(p[0], Events.READ, (x, ev) -> got.set(ev));
        w.start();
        runUntil(loop, () -> got.get() != 0);
        assertEquals(Events.ERROR | Events.READ | Events.WRITE, got.get());
        assertFalse(w.isActive(), "a watcher of a bad fd is stopped");
    }

    @Test
    void ringFdTellsAnotherLoopThatThisOneHasCompletions() {
        EventLoop inner = open();
        EventLoop outer = EventLoop.builder().backend(Backend.EPOLL).open();
        fixture.loops.add(outer);
        int pollFd = LoopAccess.get().backend(inner).pollFd();
        assertTrue(pollFd >= 0);
        int[] sp = socketpair();
        AtomicInteger innerCalls = new AtomicInteger();
        inner.io(sp[0], Events.READ, (x, ev) -> {
            TestFds.drain(sp[0]);
            innerCalls.incrementAndGet();
        }).start();
        inner.runNoWait(); // arms the poll request
        AtomicInteger outerCalls = new AtomicInteger();
        outer.io(pollFd, Events.READ, (x, ev) -> {
            outerCalls.incrementAndGet();
            inner.runNoWait(); // the embedding pattern: the outer loop runs the inner one when it has work
        }).start();
        for (int i = 1; i <= 5; i++) {
            TestFds.write(sp[1], (byte) i);
            int want = i;
            runUntil(outer, () -> innerCalls.get() == want);
        }
        assertTrue(outerCalls.get() >= 5, "the ring fd never became readable for the outer loop");
        // and it does not stay readable once the inner loop is idle
        int before = outerCalls.get();
        for (int i = 0; i < 3; i++) outer.runNoWait();
        assertTrue(outerCalls.get() - before <= 1, "the ring fd stays readable with nothing to do");
    }
}
