package dev.evring;

import dev.evring.linux.Libc;
import dev.evring.linux.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The loop allocates nothing per event once warmed up: a ping-pong over socketpairs (io watchers, a re-armed timer,
 * an async watcher, tasks given to execute) is measured with the thread's allocation counter. The callbacks themselves use preallocated native
 * buffers, so whatever is counted is the loop's. The same for tasks handed back and forth between the two loops of a
 * {@link LoopGroup}, on both loop threads.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class SteadyStateAllocationTest extends LoopTestBase {

    static final int CHAINS = 10;
    static final int PAIRS = 20;

    @Test
    void pingPongAllocatesNothingPerEvent() {
        var mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean tmx && tmx.isThreadAllocatedMemorySupported(),
                "this JVM cannot count allocated bytes per thread");
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) mx;
        tmx.setThreadAllocatedMemoryEnabled(true);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Libc.allocateCallState(arena);
            MemorySegment buf = arena.allocate(64);
            int[][] pairs = new int[PAIRS][];
            for (int i = 0; i < PAIRS; i++) pairs[i] = TestFds.socketpair();
            long[] events = new long[1];
            TimerWatcher idleTimeout = loop.timer(Duration.ofSeconds(30), Duration.ofSeconds(30), (w, ev) -> {});
            idleTimeout.start();
            AsyncWatcher async = loop.async((w, ev) -> events[0]++);
            async.start();
            long[] tasksRun = new long[1];
            Runnable task = () -> tasksRun[0]++; // made once: execute() itself must allocate nothing per task
            IoWatcher[] ws = new IoWatcher[PAIRS];
            for (int i = 0; i < PAIRS; i++) {
                final int next = (i + 1) % PAIRS;
                final int fd = pairs[i][0];
                ws[i] = loop.io(fd, Events.READ, (w, ev) -> {
                    long n = Unistd.read(cs, fd, buf, 64);
                    for (long k = 0; k < n; k++) Unistd.write(cs, pairs[next][1], buf, 1);
                    events[0]++;
                    idleTimeout.again();
                    if ((events[0] & 1023) == 0) async.send();
                    if ((events[0] & 255) == 128) loop.execute(task);
                });
                ws[i].start();
            }
            for (int c = 0; c < CHAINS; c++) {
                buf.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) c);
                Unistd.write(cs, pairs[c][1], buf, 1);
            }
            long tid = Thread.currentThread().threadId();
            // Warm up until a window of 10,000 events allocates nothing: until the JIT has compiled the downcalls
            // (interpreted FFM calls allocate) and arrays have grown. On a loaded machine that takes longer; give up
            // after 2,000,000 events and let the measurement below say what remains.
            for (int window = 0; window < 200; window++) {
                long a0 = tmx.getThreadAllocatedBytes(tid);
                long e0 = events[0];
                while (events[0] < e0 + 10_000) loop.runOnce();
                if (tmx.getThreadAllocatedBytes(tid) - a0 == 0 && window >= 2) break;
            }
            long before = tmx.getThreadAllocatedBytes(tid);
            long startEvents = events[0];
            while (events[0] < startEvents + 100_000) loop.runOnce();
            long allocated = tmx.getThreadAllocatedBytes(tid) - before;
            long measured = events[0] - startEvents;
            for (IoWatcher w : ws) w.stop();
            idleTimeout.stop();
            async.stop();
            for (int[] p : pairs) TestFds.close(p);
            assertTrue(measured >= 100_000);
            assertTrue(tasksRun[0] >= 100_000 / 256, tasksRun[0] + " tasks ran");
            // A few hundred bytes may come from the JVM itself (a deoptimisation, a JFR or JMX sample); one object per
            // event would be megabytes.
            assertTrue(allocated < 64 * 1024,
                    variant + ": " + allocated + " bytes allocated over " + measured + " events (" + (allocated / (double) measured) + " per event)");
            assertEquals(0, loop.pendingCount());
        }
    }

    @Test
    void tasksHandedBetweenTwoLoopsAllocateNothing() throws Exception {
        var mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean tmx && tmx.isThreadAllocatedMemorySupported(),
                "this JVM cannot count allocated bytes per thread");
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) mx;
        tmx.setThreadAllocatedMemoryEnabled(true);
        try (LoopGroup g = LoopGroup.builder().loops(2).loop(variant.builder()).open()) {
            EventLoop a = g.loop(0);
            EventLoop b = g.loop(1);
            long[] tids = new long[2];
            java.util.concurrent.CountDownLatch known = new java.util.concurrent.CountDownLatch(2);
            a.execute(() -> { tids[0] = Thread.currentThread().threadId(); known.countDown(); });
            b.execute(() -> { tids[1] = Thread.currentThread().threadId(); known.countDown(); });
            assertTrue(known.await(10, java.util.concurrent.TimeUnit.SECONDS));
            // a round trip: a task on a hands a task to b, which hands one back; made once, as a user would
            java.util.concurrent.atomic.AtomicLong trips = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong target = new java.util.concurrent.atomic.AtomicLong();
            Runnable[] ping = new Runnable[1];
            Runnable pong = () -> a.execute(ping[0]);
            ping[0] = () -> {
                if (trips.incrementAndGet() < target.get()) b.execute(pong);
            };
            long[] windows = {20_000, 20_000, 20_000, 20_000, 20_000, 100_000};
            long allocated = 0;
            for (int w = 0; w < windows.length; w++) {
                long before = tmx.getThreadAllocatedBytes(tids[0]) + tmx.getThreadAllocatedBytes(tids[1]);
                long start = trips.get();
                target.set(start + windows[w] + 1);
                a.execute(ping[0]);
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                while (trips.get() < target.get() && System.nanoTime() < deadline) Thread.sleep(1);
                assertEquals(target.get(), trips.get(), "the round trips stopped");
                allocated = tmx.getThreadAllocatedBytes(tids[0]) + tmx.getThreadAllocatedBytes(tids[1]) - before;
                if (allocated == 0 && w >= 2) break; // warmed up (the JIT has compiled the downcalls) and clean
            }
            // the last window: 100,000 round trips (200,000 tasks and their wakeups) on the two loop threads
            assertTrue(allocated < 64 * 1024, variant + ": " + allocated + " bytes allocated by the loop threads over a window of round trips");
        }
    }
}
