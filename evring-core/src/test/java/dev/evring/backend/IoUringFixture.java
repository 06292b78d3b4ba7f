package dev.evring.backend;

import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.LoopVariant;
import dev.evring.TestFds;
import dev.evring.internal.LoopAccess;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Loops and fds an io_uring test opened, closed after each test; loops open on the test's variant plus options. */
final class IoUringFixture {
    final List<EventLoop> loops = new ArrayList<>();
    final List<Integer> fds = new ArrayList<>();
    final List<Throwable> thrown = new ArrayList<>();

    /** Opens a loop of {@code variant} with extra options (key, value, key, value...); callback errors go to {@link #thrown}. */
    EventLoop open(LoopVariant variant, String... options) {
        EventLoop.Builder b = variant.builder().exceptionHandler((w, e) -> thrown.add(e));
        for (int i = 0; i + 1 < options.length; i += 2) b.option(options[i], options[i + 1]);
        EventLoop loop = b.open();
        loops.add(loop);
        return loop;
    }

    int[] socketpair() {
        int[] sp = TestFds.socketpair();
        fds.add(sp[0]);
        fds.add(sp[1]);
        return sp;
    }

    /** {@code n} socketpairs with a byte waiting, each watched by a READ watcher that counts its call and stops. */
    AtomicInteger readyWatchers(EventLoop loop, int n) {
        AtomicInteger calls = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            int[] sp = socketpair();
            TestFds.write(sp[1], (byte) 1);
            loop.io(sp[0], Events.READ, (w, ev) -> {
                calls.incrementAndGet();
                w.stop();
            }).start();
        }
        return calls;
    }

    void close() {
        dev.evring.uring.RingFaults.clear();
        for (EventLoop l : loops) l.close();
        for (int fd : fds) TestFds.close(fd);
    }

    /** The user_data payload of {@code fd}'s current poll request on {@code loop}'s ring. */
    static long pollPayload(EventLoop loop, int fd) {
        return backend(loop).pollPayloadForTest(fd);
    }

    static IoUringBackend backend(EventLoop loop) {
        return (IoUringBackend) LoopAccess.get().backend(loop);
    }
}
