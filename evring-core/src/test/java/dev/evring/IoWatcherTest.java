package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Readiness on real fds, on every backend. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class IoWatcherTest extends LoopTestBase {

    @Test
    void socketpairBecomesReadableWhenPeerWrites() {
        int[] sp = socketpair();
        AtomicInteger got = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.READ, (x, ev) -> {
            got.set(ev);
            assertEquals(1, TestFds.drain(sp[0]));
            x.stop();
        });
        w.start();
        loop.runNoWait();
        assertEquals(0, got.get(), "readable before anything was written");
        TestFds.write(sp[1], (byte) 7);
        runUntil(() -> got.get() != 0);
        assertEquals(Events.READ, got.get());
    }

    @Test
    void pipeBecomesReadableAndWritable() {
        int[] p = pipe();
        AtomicInteger readable = new AtomicInteger();
        AtomicInteger writable = new AtomicInteger();
        loop.io(p[1], Events.WRITE, (x, ev) -> {
            writable.incrementAndGet();
            TestFds.write(p[1], (byte) 1);
            x.stop();
        }).start();
        loop.io(p[0], Events.READ, (x, ev) -> {
            readable.incrementAndGet();
            TestFds.drain(p[0]);
            x.stop();
        }).start();
        runUntil(() -> readable.get() == 1);
        assertEquals(1, writable.get());
        assertFalse(loop.run(), "no active watcher should remain");
    }

    @Test
    void undrainedFdIsReportedAgainOnEveryIteration() {
        int[] sp = socketpair();
        TestFds.write(sp[1], new byte[100]);
        AtomicInteger calls = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.READ, (x, ev) -> {
            calls.incrementAndGet();
            TestFds.read(sp[0], 1); // read one byte of a hundred: stays readable
        });
        w.start();
        for (int i = 0; i < 10; i++) loop.runOnce();
        assertEquals(10, calls.get(), "level-triggered: one call per iteration while data remains");
        w.stop();
    }

    @Test
    void watcherThatReadsNothingIsStillCalledAgain() {
        int[] sp = socketpair();
        TestFds.write(sp[1], (byte) 1);
        AtomicInteger calls = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.READ, (x, ev) -> calls.incrementAndGet());
        w.start();
        for (int i = 0; i < 5; i++) loop.runOnce();
        assertEquals(5, calls.get());
        w.stop();
    }

    @Test
    void manyWatchersOnOneFdEachGetWhatTheyAskFor() {
        int[] sp = socketpair();
        AtomicInteger r1 = new AtomicInteger();
        AtomicInteger r2 = new AtomicInteger();
        AtomicInteger w1 = new AtomicInteger();
        IoWatcher a = loop.io(sp[0], Events.READ, (x, ev) -> r1.addAndGet(ev));
        IoWatcher b = loop.io(sp[0], Events.READ, (x, ev) -> r2.addAndGet(ev));
        IoWatcher c = loop.io(sp[0], Events.WRITE, (x, ev) -> w1.addAndGet(ev));
        a.start();
        b.start();
        c.start();
        loop.runOnce();
        assertEquals(0, r1.get());
        assertEquals(0, r2.get());
        assertEquals(Events.WRITE, w1.get(), "a fresh socket is writable");
        c.stop();
        TestFds.write(sp[1], (byte) 1);
        runUntil(() -> r1.get() > 0);
        assertEquals(Events.READ, r1.get());
        assertEquals(Events.READ, r2.get());
        assertEquals(Events.WRITE, w1.get(), "stopped watcher got nothing more");
        a.stop();
        b.stop();
    }

    @Test
    void readWriteWatcherGetsBothBitsInOneCall() {
        int[] sp = socketpair();
        TestFds.write(sp[1], (byte) 1);
        AtomicInteger got = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.READ | Events.WRITE, (x, ev) -> {
            got.set(ev);
            x.stop();
        });
        w.start();
        runUntil(() -> got.get() != 0);
        assertEquals(Events.READ | Events.WRITE, got.get());
    }

    @Test
    void changingTheMaskTakesEffectNextIteration() {
        int[] sp = socketpair();
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger writes = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.WRITE, (x, ev) -> {
            if ((ev & Events.WRITE) != 0) {
                writes.incrementAndGet();
                x.events(Events.READ); // switch from inside the callback
            }
            if ((ev & Events.READ) != 0) {
                reads.incrementAndGet();
                TestFds.drain(sp[0]);
                x.stop();
            }
        });
        w.start();
        loop.runOnce();
        assertEquals(1, writes.get());
        loop.runNoWait();
        assertEquals(1, writes.get(), "no longer interested in WRITE");
        TestFds.write(sp[1], (byte) 1);
        runUntil(() -> reads.get() == 1);
        assertTrue(!w.isActive());
    }

    @Test
    void peerHangupIsReportedAsReadable() {
        int[] sp = socketpair();
        AtomicInteger got = new AtomicInteger();
        loop.io(sp[0], Events.READ, (x, ev) -> {
            got.set(ev);
            x.stop();
        }).start();
        closeNow(sp[1]);
        runUntil(() -> got.get() != 0);
        assertEquals(Events.READ, got.get());
        assertEquals(0, TestFds.read(sp[0], 10).length, "end of stream");
    }

    @Test
    void regularFileIsAlwaysReady(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("data");
        Files.write(f, new byte[] {1, 2, 3});
        int fd = closeAfter(TestFds.openFile(f));
        AtomicInteger calls = new AtomicInteger();
        IoWatcher w = loop.io(fd, Events.READ, (x, ev) -> {
            assertEquals(Events.READ, ev);
            if (calls.incrementAndGet() == 3) x.stop();
        });
        w.start();
        runUntil(() -> calls.get() == 3);
    }

    @Test
    void staleEventOfAClosedFdNeverReachesTheWatcherOfItsReusedNumber() {
        // A readable pipe is watched, then its watcher stopped and the pipe closed; the next pipe gets the same
        // number. Whatever the backend still held for the old file must not reach the new file's watcher.
        int[] old = TestFds.pipe();
        TestFds.write(old[1], (byte) 1);
        IoWatcher first = loop.io(old[0], Events.READ, (x, ev) -> {});
        first.start();
        loop.runOnce();
        first.stop();
        loop.runNoWait(); // the stop reaches the backend
        TestFds.close(old[0], old[1]);
        int[] fresh = pipe();
        int reused = fresh[0] == old[0] ? fresh[0] : fresh[1] == old[0] ? fresh[1] : -1;
        org.junit.jupiter.api.Assumptions.assumeTrue(reused >= 0, "the kernel did not reuse fd " + old[0]);
        AtomicInteger events = new AtomicInteger();
        IoWatcher second = loop.io(reused, Events.READ, (x, ev) -> events.incrementAndGet());
        second.start();
        TimerWatcher t = loop.timer(50_000_000L, 0, (x, ev) -> {});
        t.start();
        while (t.isActive()) loop.runOnce();
        if (reused == fresh[0]) {
            assertEquals(0, events.get(), "the new, empty pipe was reported readable: a stale event leaked");
        } else {
            assertEquals(0, events.get(), "a write end is never readable");
        }
        second.stop();
    }

    @Test
    void watcherOfAClosedFdGetsAnErrorAndIsStopped() {
        int[] sp = TestFds.socketpair();
        closeAfter(sp[1]);
        AtomicInteger got = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.READ, (x, ev) -> got.set(ev));
        w.start();
        loop.runNoWait();
        TestFds.close(sp[0]); // closed behind the loop's back: a mistake the loop must survive
        // A watcher started on the fd makes the backend look at it afresh (libev's EV__IOFDSET), which finds it bad.
        IoWatcher other = loop.io(sp[0], Events.WRITE, (x, ev) -> {});
        other.start();
        runUntil(() -> got.get() != 0);
        assertEquals(Events.ERROR | Events.READ | Events.WRITE, got.get());
        assertFalse(w.isActive(), "a killed watcher is stopped");
        assertFalse(other.isActive());
        // and the loop goes on working for others
        int[] sp2 = socketpair();
        TestFds.write(sp2[1], (byte) 1);
        AtomicInteger ok = new AtomicInteger();
        loop.io(sp2[0], Events.READ, (x, ev) -> {
            ok.set(ev);
            x.stop();
        }).start();
        runUntil(() -> ok.get() != 0);
        assertEquals(Events.READ, ok.get());
    }

    @Test
    void feedFdEventReachesTheWatchersThatWantIt() {
        int[] sp = socketpair();
        AtomicInteger r = new AtomicInteger();
        AtomicInteger w = new AtomicInteger();
        IoWatcher a = loop.io(sp[0], Events.READ, (x, ev) -> r.set(ev));
        IoWatcher b = loop.io(sp[0], Events.WRITE, (x, ev) -> w.set(ev));
        a.start();
        b.start();
        loop.feedFdEvent(sp[0], Events.READ);
        assertEquals(1, loop.pendingCount());
        a.stop();
        b.stop();
        assertEquals(0, loop.pendingCount(), "stopping clears the fed event");
    }

    @Test
    void thousandsOfFdsAreWatchedAtOnce() {
        int n = 1000;
        FdLimit.reserve(2 * n, 2 * n); // skips, saying why, where RLIMIT_NOFILE cannot make room for 1,000 socketpairs
        int[][] pairs = new int[n][];
        AtomicInteger seen = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            pairs[i] = socketpair();
            int fd = pairs[i][0];
            loop.io(fd, Events.READ, (x, ev) -> {
                TestFds.drain(fd);
                seen.incrementAndGet();
                x.stop();
            }).start();
        }
        loop.runNoWait();
        for (int[] p : pairs) TestFds.write(p[1], (byte) 1);
        runUntil(() -> seen.get() == n);
    }

    /** Issue 9 defect 3: set() stops and restarts, and a stop clears what the old fd had pending. */
    @Test
    void setOnAPendingWatcherDropsTheEventOfItsOldFd() {
        int[] busy = socketpair();
        int[] quiet = socketpair();
        int[] trigger = socketpair();
        TestFds.write(busy[1], (byte) 1); // never drained: READ on every iteration
        TestFds.write(trigger[1], (byte) 1);
        List<String> log = new ArrayList<>();
        IoWatcher moved = loop.io(busy[0], Events.READ, (w, ev) -> log.add("moved " + Events.toString(ev) + " on " + w.fd()));
        IoWatcher first = loop.io(trigger[0], Events.READ, (w, ev) -> {
            log.add("first");
            assertTrue(moved.isPending(), "both fds were ready in this iteration");
            moved.set(quiet[0], Events.READ); // from now on the empty socket: the busy one's READ is not its business
            assertFalse(moved.isPending(), "set() cleared the event of the old fd");
            w.stop();
        });
        first.priority(1); // runs before moved in the same iteration
        moved.start();
        first.start();
        runUntil(() -> !log.isEmpty(), "the first callback");
        for (int i = 0; i < 3; i++) loop.runNoWait();
        assertEquals(List.of("first"), log, "the moved watcher was called for its old fd");
        assertTrue(moved.isActive());
        TestFds.write(quiet[1], (byte) 2);
        runUntil(() -> log.size() == 2, "READ on the new fd");
        assertEquals("moved READ on " + quiet[0], log.get(1));
        moved.stop();
    }

    @Test
    void setOnAnInactiveWatcherWithAFedEventDropsIt() {
        int[] sp = socketpair();
        AtomicInteger calls = new AtomicInteger();
        IoWatcher w = loop.io(sp[0], Events.READ, (x, ev) -> calls.incrementAndGet());
        w.feed(Events.READ);
        w.events(Events.WRITE); // set() is stop() + change: the fed READ was about the old setting
        assertFalse(w.isPending());
        loop.runNoWait();
        assertEquals(0, calls.get());
    }

    static long hardFdLimit() {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment rl = a.allocate(dev.evring.linux.Resource.RLIMIT);
            assertEquals(0, dev.evring.linux.Resource.getrlimit(dev.evring.linux.Libc.threadCallState(),
                    dev.evring.linux.Resource.RLIMIT_NOFILE, rl));
            return rl.get(java.lang.foreign.ValueLayout.JAVA_LONG, dev.evring.linux.Resource.OFF_RLIM_MAX);
        }
    }

    /**
     * Issue 9 defects 5 and 19: an fd no file can have is refused by value, up front, never with an internal
     * exception and never after growing the loop's tables to its size.
     */
    @Test
    void anFdBeyondTheProcessLimitIsRefusedNamingIt() {
        long limit = hardFdLimit();
        Watcher.Callback<IoWatcher> cb = (w, ev) -> {};
        for (int fd : new int[] {Integer.MAX_VALUE, 100_000_000, (int) Math.min(limit, Integer.MAX_VALUE)}) {
            if (fd < limit) continue; // a machine whose limit allows it: not an fd no file can have
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.io(fd, Events.READ, cb));
            assertTrue(e.getMessage().contains(Integer.toString(fd)) && e.getMessage().contains("RLIMIT_NOFILE"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> loop.once(fd, Events.READ, null, ev -> {}));
        }
        int[] sp = socketpair();
        IoWatcher w = loop.io(sp[0], Events.READ, cb);
        w.start();
        assertThrows(IllegalArgumentException.class, () -> w.set(Integer.MAX_VALUE, Events.READ));
        assertEquals(sp[0], w.fd(), "a refused set() changes nothing");
        assertTrue(w.isActive());
        w.stop();
    }

    /** An fd below the limit that is not open is the README's bad fd: an error event, and the watcher stopped. */
    @Test
    void aNeverOpenedFdBelowTheLimitGetsAnError() {
        long limit = hardFdLimit();
        int fd = (int) Math.min(limit - 1, 1 << 20);
        assertFalse(Files.exists(Path.of("/proc/self/fd/" + fd)), "fd " + fd + " is open in this process");
        AtomicInteger got = new AtomicInteger();
        IoWatcher w = loop.io(fd, Events.READ, (x, ev) -> got.set(ev));
        w.start();
        runUntil(() -> got.get() != 0, "the error event");
        assertEquals(Events.ERROR | Events.READ | Events.WRITE, got.get());
        assertFalse(w.isActive());
    }

    /**
     * Found by LoopModelTest on io_uring multishot-poll: a second watcher added to an fd another watches (the request
     * updated, not replaced) got its first readiness an iteration late. Every iteration reports what is ready.
     */
    @Test
    void aWatcherAddedToAWatchedFdIsReportedAtTheFirstIteration() {
        int[] sp = socketpair();
        List<String> log = new ArrayList<>();
        IoWatcher reader = loop.io(sp[0], Events.READ | Events.WRITE, (x, ev) -> log.add("reader " + Events.toString(ev)));
        IoWatcher writer = loop.io(sp[0], Events.WRITE, (x, ev) -> log.add("writer " + Events.toString(ev)));
        writer.start();
        writer.stop(); // its fresh fd (set) is taken: its next start only widens the fd's interest
        reader.set(sp[0], Events.READ);
        reader.start();
        loop.runNoWait();
        assertEquals(List.of(), log);
        TestFds.write(sp[1], (byte) 1);
        writer.start();
        for (int i = 0; i < 3; i++) {
            log.clear();
            loop.runNoWait();
            assertEquals(List.of("reader READ", "writer WRITE"), log.stream().sorted().toList(), "iteration " + i);
        }
    }

    /**
     * Found by LoopModelTest on epoll: after an fd number was reused, set() then stop() before the loop ran handed the
     * backend its refresh together with an empty interest, which epoll drops (it removes lazily), so the next start
     * trusted the old file's registration and the new file was never watched.
     */
    @Test
    void aSetOnAReusedFdStillCountsWhenTheWatcherStopsBeforeTheLoopRuns() {
        int[] sp = TestFds.socketpair();
        List<String> log = new ArrayList<>();
        IoWatcher w = loop.io(sp[0], Events.WRITE, (x, ev) -> log.add(Events.toString(ev)));
        w.start();
        loop.runNoWait();
        assertEquals(List.of("WRITE"), log);
        w.stop();
        TestFds.close(sp);
        int[] again = socketpair();
        int fd = again[0] == sp[0] ? again[0] : again[1] == sp[0] ? again[1] : -1;
        org.junit.jupiter.api.Assumptions.assumeTrue(fd >= 0, "the kernel did not reuse fd " + sp[0]);
        w.set(fd, Events.WRITE);
        w.start();
        w.stop(); // before the loop ran: the refresh meets an empty interest
        loop.runNoWait();
        w.start();
        log.clear();
        loop.runNoWait();
        assertEquals(List.of("WRITE"), log, "the new file behind fd " + fd + " was never watched");
        w.stop();
    }
}
