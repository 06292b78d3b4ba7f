package dev.evring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LoopGroup} (issue 13) on every backend, with 2 and 4 loops (more loops than this machine's 2 cores): tasks
 * handed to another loop run there in order, round-robin and least-loaded reach every loop, a loop whose callbacks throw
 * leaves the others alone, graceful shutdown runs queued tasks and shutdown listeners before closing, close works from
 * any thread and from a loop's own, and 200 groups leave no fd or thread behind.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class LoopGroupTest extends LoopTestBase {
    /** What the groups' callbacks threw, from every loop thread. */
    private final List<Throwable> groupThrown = Collections.synchronizedList(new ArrayList<>());
    private final List<Object> groupSources = Collections.synchronizedList(new ArrayList<>());
    private final List<LoopGroup> groups = new ArrayList<>();

    private LoopGroup.Builder groupBuilder(int loops) {
        return LoopGroup.builder().loops(loops).loop(variant.builder().exceptionHandler((source, e) -> {
            groupSources.add(source);
            groupThrown.add(e);
        }));
    }

    private LoopGroup openGroup(int loops) {
        LoopGroup g = groupBuilder(loops).open();
        groups.add(g);
        return g;
    }

    /** Set by a test whose groups' callbacks throw on purpose. */
    private boolean groupCallbacksMayThrow;

    @AfterEach
    void closeGroups() throws InterruptedException {
        for (LoopGroup g : groups) {
            g.close();
            assertTrue(g.awaitTermination(Duration.ofSeconds(10)), g + " did not terminate");
        }
        if (!groupCallbacksMayThrow && !groupThrown.isEmpty()) {
            throw new AssertionError("group callbacks threw " + groupThrown.size() + " on " + variant, groupThrown.get(0));
        }
    }

    /** Runs {@code c} on {@code loop}'s thread and returns its result. */
    static <T> T on(EventLoop loop, Callable<T> c) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) throw x;
            throw e;
        }
    }

    static Thread threadOf(EventLoop loop) throws Exception {
        return on(loop, Thread::currentThread);
    }

    static void await(CountDownLatch latch, String what) throws InterruptedException {
        assertTrue(latch.await(10, TimeUnit.SECONDS), "timed out waiting for " + what);
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void currentLoopIsTheCallingThreadsLoopOrNull(int n) throws Exception {
        LoopGroup g = openGroup(n);
        assertEquals(null, g.currentLoop(), "the test thread owns no loop of the group");
        for (int i = 0; i < n; i++) {
            EventLoop l = g.loop(i);
            assertSame(l, on(l, g::currentLoop));
        }
        LoopGroup other = openGroup(1);
        assertEquals(null, on(other.loop(0), g::currentLoop), "another group's loop thread is none of this group's");
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void tasksHandedFromLoopToLoopRunThereInSubmissionOrder(int n) throws Exception {
        LoopGroup g = openGroup(n);
        assertEquals(n, g.size());
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) threads[i] = threadOf(g.loop(i));
        assertEquals(n, new HashSet<>(List.of(threads)).size(), "each loop has a thread of its own");
        int perPair = 5_000;
        // every loop hands perPair tasks to every other loop, from its own thread; plus a plain thread to each
        int[][] lastSeen = new int[n + 1][n];
        for (int[] row : lastSeen) java.util.Arrays.fill(row, -1);
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(n * n * perPair);
        Runnable[] senders = new Runnable[n + 1];
        for (int from = 0; from <= n; from++) {
            int src = from;
            senders[from] = () -> {
                for (int seq = 0; seq < perPair; seq++) {
                    for (int to = 0; to < n; to++) {
                        if (to == src) continue;
                        int dst = to, s = seq;
                        g.loop(to).execute(() -> {
                            if (Thread.currentThread() != threads[dst]) wrong.add("task for loop " + dst + " ran on " + Thread.currentThread().getName());
                            if (lastSeen[src][dst] != s - 1) wrong.add("from " + src + " to " + dst + ": task " + s + " after " + lastSeen[src][dst]);
                            lastSeen[src][dst] = s;
                            done.countDown();
                        });
                    }
                }
            };
        }
        for (int i = 0; i < n; i++) g.loop(i).execute(senders[i]);
        Thread plain = Thread.ofPlatform().start(senders[n]);
        await(done, "every task");
        plain.join();
        assertEquals(List.of(), wrong.size() > 5 ? wrong.subList(0, 5) : wrong);
        GroupStats stats = g.stats();
        assertEquals(n, stats.loops().size());
        // every loop ran its share, and took them in batches (far fewer wakeups than tasks)
        for (int i = 0; i < n; i++) {
            LoopStats s = stats.loops().get(i);
            assertEquals(variant.backend(), s.backend());
            assertTrue(s.tasksExecuted() >= (long) n * perPair, "loop " + i + ": " + s);
            assertTrue(s.iterations() > 0, s.toString());
            assertTrue(s.wakeups() > 0 && s.wakeups() < s.tasksExecuted(), s.toString());
        }
        assertEquals(stats.loops().stream().mapToLong(LoopStats::tasksExecuted).sum(), stats.tasksExecuted());
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void aLoopThreadMayWaitForWorkItHandedToAnotherLoop(int n) throws Exception {
        // the wakeup of the other loop goes out before execute returns (never held for the sender's next wait), so a
        // callback that blocks on the answer, as Netty allows between loops, gets it
        LoopGroup g = openGroup(n);
        for (int round = 0; round < 20; round++) {
            Thread.sleep(5); // let the other loops fall asleep
            int to = 1 + round % (n - 1);
            String answer = on(g.loop(0), () -> {
                CompletableFuture<String> f = new CompletableFuture<>();
                g.loop(to).execute(() -> f.complete("from loop " + to));
                return f.get(10, TimeUnit.SECONDS);
            });
            assertEquals("from loop " + to, answer);
        }
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void roundRobinReachesEveryLoopInTurn(int n) throws Exception {
        LoopGroup g = openGroup(n);
        assertEquals(g.loops(), List.of(g.loops().toArray(new EventLoop[0])));
        EventLoop first = g.next();
        int start = g.loops().indexOf(first);
        for (int k = 1; k < 3 * n; k++) assertSame(g.loop((start + k) % n), g.next(), "call " + k);
        // group.execute goes round the loops too
        Set<String> threads = Collections.synchronizedSet(new HashSet<>());
        CountDownLatch ran = new CountDownLatch(2 * n);
        for (int k = 0; k < 2 * n; k++) {
            g.execute(() -> {
                threads.add(Thread.currentThread().getName());
                ran.countDown();
            });
        }
        await(ran, "group tasks");
        assertEquals(n, threads.size(), threads.toString());
        assertThrows(IndexOutOfBoundsException.class, () -> g.loop(n));
        assertThrows(IndexOutOfBoundsException.class, () -> g.loop(-1));
        assertThrows(UnsupportedOperationException.class, () -> g.loops().clear());
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void leastLoadedAvoidsABusyLoopAndSpreadsABurst(int n) throws Exception {
        LoopGroup g = openGroup(n);
        // loop 0 serves 20 timers: never the least loaded while the others serve none
        List<TimerWatcher> timers = on(g.loop(0), () -> {
            List<TimerWatcher> ts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                TimerWatcher t = g.loop(0).timer(Duration.ofHours(1), Duration.ZERO, (w, ev) -> {});
                t.start();
                ts.add(t);
            }
            return ts;
        });
        for (int k = 0; k < 4 * n; k++) assertNotSame(g.loop(0), g.leastLoaded(), "pick " + k);
        assertTrue(g.loop(0).stats().active() >= 21, g.loop(0).stats().toString());
        on(g.loop(0), () -> {
            timers.forEach(TimerWatcher::stop);
            return null;
        });
        // a burst of hand-offs while every loop is busy in a task: each counts at once, so they spread evenly
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(n);
        for (EventLoop l : g.loops()) {
            l.execute(() -> {
                busy.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        await(busy, "every loop busy");
        Map<EventLoop, Integer> picks = new HashMap<>();
        CountDownLatch ran = new CountDownLatch(10 * n);
        for (int k = 0; k < 10 * n; k++) {
            EventLoop l = g.leastLoaded();
            picks.merge(l, 1, Integer::sum);
            l.execute(ran::countDown);
        }
        release.countDown();
        await(ran, "the burst");
        for (EventLoop l : g.loops()) assertEquals(10, picks.getOrDefault(l, 0), "picks " + picks.values());
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void aLoopWhoseCallbacksThrowLeavesTheOthersAlone(int n) throws Exception {
        groupCallbacksMayThrow = true;
        LoopGroup g = openGroup(n);
        EventLoop bad = g.loop(0);
        AtomicInteger badTicks = new AtomicInteger();
        // loop 0: a timer whose callback throws every time, and tasks that throw
        on(bad, () -> {
            bad.timer(Duration.ofMillis(1), Duration.ofMillis(1), (w, ev) -> {
                badTicks.incrementAndGet();
                throw new IllegalStateException("tick");
            }).start();
            return null;
        });
        Runnable thrower = () -> {
            throw new IllegalArgumentException("task");
        };
        for (int k = 0; k < 100; k++) bad.execute(thrower);
        // the others serve tasks meanwhile, and so does loop 0 itself
        CountDownLatch served = new CountDownLatch(1_000 * n);
        for (int k = 0; k < 1_000; k++) for (EventLoop l : g.loops()) l.execute(served::countDown);
        await(served, "tasks on every loop");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (badTicks.get() < 20 && System.nanoTime() < deadline) Thread.sleep(1);
        assertTrue(badTicks.get() >= 20, "the throwing timer stopped firing");
        List<Throwable> thrownNow;
        synchronized (groupThrown) {
            thrownNow = List.copyOf(groupThrown);
        }
        assertTrue(thrownNow.stream().filter(t -> t.getMessage().equals("task")).count() == 100, "every task's failure reported");
        assertTrue(thrownNow.stream().allMatch(t -> t.getMessage().equals("task") || t.getMessage().equals("tick")));
        assertTrue(groupSources.contains(thrower), "the task is the source");
        for (EventLoop l : g.loops()) assertFalse(l.isClosed());
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void anErrorALoopDoesNotSurviveEndsThatLoopOnly(int n) throws Exception {
        groupCallbacksMayThrow = true;
        AtomicReference<Throwable> uncaught = new AtomicReference<>();
        CountDownLatch died = new CountDownLatch(1);
        LoopGroup g = groupBuilder(n).threadFactory(r -> Thread.ofPlatform().daemon(false).uncaughtExceptionHandler((t, e) -> {
            uncaught.set(e);
            died.countDown();
        }).unstarted(r)).open();
        groups.add(g);
        EventLoop doomed = g.loop(n - 1);
        AtomicBoolean cleanedUp = new AtomicBoolean();
        on(doomed, () -> {
            doomed.cleanup((w, ev) -> cleanedUp.set(true)).start();
            return null;
        });
        doomed.execute(() -> {
            throw new OutOfMemoryError("pretend");
        });
        await(died, "the loop thread's end");
        assertEquals("pretend", uncaught.get().getMessage());
        assertTrue(doomed.isClosed(), "its thread closed it");
        assertTrue(cleanedUp.get(), "closed in order: cleanup watchers ran");
        assertThrows(RejectedExecutionException.class, () -> doomed.execute(() -> {}));
        for (int i = 0; i < n - 1; i++) assertEquals("ok", on(g.loop(i), () -> "ok"));
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void gracefulShutdownRunsQueuedTasksAndListenersThenDrainsThenCloses(int n) throws Exception {
        LoopGroup g = openGroup(n);
        List<List<String>> logs = new ArrayList<>();
        CountDownLatch ready = new CountDownLatch(n);
        for (EventLoop l : g.loops()) {
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            logs.add(log);
            l.execute(() -> {
                l.cleanup((w, ev) -> log.add("cleanup")).start();
                // a "connection" that, told of the shutdown, takes 50 ms to finish; the loop waits for it
                l.addShutdownListener((loop, deadline) -> {
                    log.add("listener");
                    assertTrue(loop.isShuttingDown());
                    assertTrue(deadline - loop.now() > Duration.ofSeconds(5).toNanos(), "the deadline is the timeout away");
                    loop.timer(Duration.ofMillis(50), Duration.ZERO, (w, ev) -> log.add("drained")).start();
                });
                ready.countDown();
            });
        }
        await(ready, "listeners added");
        CountDownLatch gate = new CountDownLatch(1);
        for (int i = 0; i < n; i++) {
            EventLoop l = g.loop(i);
            List<String> log = logs.get(i);
            l.execute(() -> {
                try {
                    gate.await(); // holds the loop so the next tasks are queued when the shutdown is asked for
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int k = 0; k < 3; k++) {
                int t = k;
                l.execute(() -> log.add("task " + t));
            }
        }
        g.shutdownGracefully(Duration.ofSeconds(30));
        assertTrue(g.isShutdown());
        for (int i = 0; i < n; i++) {
            EventLoop l = g.loop(i);
            List<String> log = logs.get(i);
            l.execute(() -> log.add("task after the request")); // accepted until the loop closes
        }
        gate.countDown();
        long t0 = System.nanoTime();
        assertTrue(g.awaitTermination(Duration.ofSeconds(10)), "the group drained and closed");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "it closed when drained, not at the deadline");
        for (int i = 0; i < n; i++) {
            assertEquals(List.of("task 0", "task 1", "task 2", "listener", "task after the request", "drained", "cleanup"),
                    logs.get(i), "loop " + i);
            assertTrue(g.loop(i).isClosed());
        }
        assertTrue(g.isTerminated());
        assertThrows(RejectedExecutionException.class, () -> g.execute(() -> {}));
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void gracefulShutdownClosesAtTheDeadlineWhatDoesNotDrain(int n) throws Exception {
        LoopGroup g = openGroup(n);
        AtomicInteger closedWithTimerActive = new AtomicInteger();
        for (EventLoop l : g.loops()) {
            on(l, () -> {
                // a watcher that never ends on its own: only the deadline closes this loop
                TimerWatcher forever = l.timer(Duration.ofMillis(5), Duration.ofMillis(5), (w, ev) -> {});
                forever.start();
                l.cleanup((w, ev) -> {
                    if (forever.isActive()) closedWithTimerActive.incrementAndGet();
                }).start();
                return null;
            });
        }
        long t0 = System.nanoTime();
        g.shutdownGracefully(Duration.ofMillis(300));
        assertTrue(g.awaitTermination(Duration.ofSeconds(10)), "closed at the deadline");
        long took = System.nanoTime() - t0;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(290), "closed after " + took / 1_000_000 + " ms, before the deadline");
        assertEquals(n, closedWithTimerActive.get());
        // a second, shorter request moves the deadline closer
        LoopGroup h = openGroup(n);
        for (EventLoop l : h.loops()) on(l, () -> {
            l.timer(Duration.ofMillis(5), Duration.ofMillis(5), (w, ev) -> {}).start();
            return null;
        });
        long t1 = System.nanoTime();
        h.shutdownGracefully(Duration.ofSeconds(60));
        h.shutdownGracefully(Duration.ofMillis(100));
        h.shutdownGracefully(Duration.ofSeconds(120)); // later: changes nothing
        assertTrue(h.awaitTermination(Duration.ofSeconds(10)), "the shorter deadline applies");
        assertTrue(System.nanoTime() - t1 < TimeUnit.SECONDS.toNanos(10));
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void closeFromAnyThreadWaitsForEveryLoopThread(int n) throws Exception {
        // from the test's thread
        LoopGroup g = openGroup(n);
        List<Thread> threads = new ArrayList<>();
        for (EventLoop l : g.loops()) threads.add(threadOf(l));
        AtomicInteger listened = new AtomicInteger();
        for (EventLoop l : g.loops()) on(l, () -> {
            l.addShutdownListener((loop, deadline) -> {
                assertTrue(deadline <= loop.now(), "close: the deadline is now");
                listened.incrementAndGet();
            });
            return null;
        });
        g.close();
        for (Thread t : threads) assertFalse(t.isAlive(), t.getName() + " still runs after close()");
        assertEquals(n, listened.get(), "close tells the shutdown listeners too");
        assertTrue(g.isTerminated());
        g.close(); // idempotent
        assertTrue(g.awaitTermination(Duration.ZERO));

        // from another plain thread
        LoopGroup h = openGroup(n);
        Thread closer = Thread.ofPlatform().start(h::close);
        closer.join(10_000);
        assertFalse(closer.isAlive());
        assertTrue(h.isTerminated());
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void closeFromALoopsOwnThreadDoesNotDeadlock(int n) throws Exception {
        LoopGroup g = openGroup(n);
        AtomicReference<Throwable> awaitFromLoop = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        List<String> after = Collections.synchronizedList(new ArrayList<>());
        EventLoop l0 = g.loop(0);
        l0.execute(() -> {
            try {
                g.awaitTermination(Duration.ofSeconds(1));
            } catch (Throwable t) {
                awaitFromLoop.set(t);
            }
            g.close(); // returns at once: this loop closes after this task
            after.add("close returned");
            closed.countDown();
        });
        await(closed, "close() from the loop's thread to return");
        assertTrue(g.awaitTermination(Duration.ofSeconds(10)), "every loop closed");
        assertTrue(awaitFromLoop.get() instanceof IllegalStateException, String.valueOf(awaitFromLoop.get()));
        assertEquals(List.of("close returned"), after);

        // two loops closing the group at the same moment, each from its own thread
        LoopGroup h = openGroup(n);
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < 2; i++) {
            h.loop(i).execute(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                h.close();
            });
        }
        go.countDown();
        assertTrue(h.awaitTermination(Duration.ofSeconds(10)));
    }

    @ParameterizedTest(name = "{0} loops")
    @ValueSource(ints = {2, 4})
    void statsShowEachLoopsWork(int n) throws Exception {
        LoopGroup g = openGroup(n);
        for (int i = 0; i < n; i++) {
            int tasks = 100 * (i + 1);
            CountDownLatch ran = new CountDownLatch(tasks);
            for (int k = 0; k < tasks; k++) g.loop(i).execute(ran::countDown);
            await(ran, "loop " + i + "'s tasks");
        }
        // a task's count is taken as it returns, a moment after its countDown
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (g.stats().tasksQueued() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
        GroupStats s = g.stats();
        for (int i = 0; i < n; i++) {
            LoopStats ls = s.loops().get(i);
            assertEquals(100L * (i + 1), ls.tasksExecuted(), ls.toString());
            assertEquals(0, ls.tasksQueued(), ls.toString());
            assertTrue(ls.active() >= 1, "the group's ref: " + ls);
        }
        assertTrue(s.iterations() >= n && s.wakeups() >= n && s.active() >= n, s.toString());
        // a loop idle in its wait is woken, by its eventfd or (from this thread's own io_uring loop) a ring message
        // (one left idle a while: the first tasks above may have found it still running its first iteration, where
        // no wakeup is needed)
        EventLoop l = g.loop(0);
        for (int tries = 0; tries < 50 && l.stats().wakeupCalls() + l.stats().wakeupMessages() == 0; tries++) {
            Thread.sleep(20);
            on(l, () -> null);
        }
        assertTrue(l.stats().wakeupCalls() + l.stats().wakeupMessages() > 0, l.stats().toString());
    }

    @Test
    void pinnedLoopsRunOnTheirCpuOrSayWhyNot() throws Exception {
        LoopGroup g = groupBuilder(4).pinToCpus(true).open();
        groups.add(g);
        int pinned = 0;
        for (int i = 0; i < 4; i++) {
            int cpu = g.cpu(i);
            int[] allowed = on(g.loop(i), () -> {
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    java.lang.foreign.MemorySegment set = arena.allocate(dev.evring.linux.Sched.CPU_SET);
                    int r = dev.evring.linux.Sched.schedGetaffinity(dev.evring.linux.Libc.threadCallState(), 0, set);
                    assertEquals(0, r);
                    return java.util.stream.IntStream.range(0, dev.evring.linux.Sched.CPU_SETSIZE)
                            .filter(c -> dev.evring.linux.Sched.cpuIsSet(set, c)).toArray();
                }
            });
            if (cpu >= 0) {
                pinned++;
                assertEquals(List.of(cpu), java.util.Arrays.stream(allowed).boxed().toList(), "loop " + i + " runs on its CPU only");
            }
        }
        // loops take the allowed CPUs in turn: with 2 CPUs, loops 0 and 2 share one, 1 and 3 the other
        if (pinned == 4 && Runtime.getRuntime().availableProcessors() == 2) {
            assertEquals(g.cpu(0), g.cpu(2));
            assertEquals(g.cpu(1), g.cpu(3));
            assertTrue(g.cpu(0) != g.cpu(1));
        }
        LoopGroup unpinned = openGroup(2);
        assertEquals(-1, unpinned.cpu(0));
        assertThrows(IndexOutOfBoundsException.class, () -> unpinned.cpu(2));
    }

    @Test
    void badArgumentsAreRefusedByValue() {
        assertThrows(IllegalArgumentException.class, () -> LoopGroup.builder().loops(0));
        assertThrows(IllegalArgumentException.class, () -> LoopGroup.builder().loops(5000));
        assertThrows(IllegalArgumentException.class, () -> LoopGroup.builder().threadFactory(null));
        assertThrows(IllegalArgumentException.class, () -> LoopGroup.builder().loop(null));
        LoopGroup g = openGroup(2);
        assertThrows(IllegalArgumentException.class, () -> g.shutdownGracefully(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> g.shutdownGracefully(null));
        assertThrows(NullPointerException.class, () -> g.execute(null));
        assertThrows(IllegalStateException.class, () -> g.loop(0).run(), "a group's loop belongs to its thread");
    }

    @Test
    void aLoopThatCannotOpenFailsTheGroupAndClosesTheOthers() throws Exception {
        // loop 1's thread has no clock, so its loop fails to open; loops 0 and 2 opened and must be closed again
        EventLoop.Clock noClockOnLoop1 = new EventLoop.Clock() {
            @Override
            public long monotonicNanos() {
                if (Thread.currentThread().getName().equals("t-1")) throw new IllegalStateException("no clock on loop 1");
                return System.nanoTime();
            }

            @Override
            public long realtimeNanos() {
                return EventLoop.Clock.SYSTEM.realtimeNanos();
            }
        };
        openAndCloseGroup(3); // warm up, so the fd count below is steady
        int fds = TestFds.openFdCount();
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger made = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LoopGroup.builder().loops(3)
                .loop(variant.builder().clock(noClockOnLoop1))
                .threadFactory(r -> {
                    Thread t = Thread.ofPlatform().name("t-" + made.getAndIncrement()).unstarted(r);
                    threads.add(t);
                    return t;
                })
                .open());
        assertEquals("no clock on loop 1", e.getMessage());
        assertEquals(3, threads.size());
        for (Thread t : threads) {
            t.join(10_000);
            assertFalse(t.isAlive(), t.getName() + " still runs");
        }
        assertEquals(fds, TestFds.openFdCount(), "the loops that opened were closed");
    }

    @Test
    void twoHundredGroupsLeaveNoFdOrThreadBehind() throws Exception {
        for (int i = 0; i < 10; i++) openAndCloseGroup(2 + (i & 1) * 2); // warm up: classes, JIT, thread-local call states
        int fds = TestFds.openFdCount();
        int threads = liveThreads();
        for (int i = 0; i < 200; i++) openAndCloseGroup(2 + (i & 1) * 2);
        assertEquals(fds, TestFds.openFdCount(), "open fds before and after 200 groups");
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse(t.getName().startsWith("evring-group-") && t.isAlive(), t.getName() + " is still alive");
        }
        // other threads of the JVM come and go; 200 groups of 2 and 4 leaking theirs would add 600
        assertTrue(liveThreads() <= threads + 5, "live threads before " + threads + ", after " + liveThreads());
    }

    private void openAndCloseGroup(int n) throws Exception {
        try (LoopGroup g = groupBuilder(n).open()) {
            CountDownLatch ran = new CountDownLatch(n);
            for (int k = 0; k < n; k++) g.execute(ran::countDown);
            await(ran, "a task on each loop");
        }
    }

    private static int liveThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.isAlive()) n++;
        return n;
    }
}
