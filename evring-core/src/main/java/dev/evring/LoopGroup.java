package dev.evring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N event loops, each on a thread of its own, serving until the group shuts down: Netty's {@code EventLoopGroup}, or
 * libuv's one loop per thread, for a program that outgrows one core. Each loop is an ordinary {@link EventLoop} owned
 * by its thread; the group opens it there, keeps it running (it holds a {@link EventLoop#ref() ref}), and closes it
 * there. Hand work to a loop with {@link EventLoop#execute} (any thread); everything else about a loop is done from
 * its own thread, in its callbacks and tasks, as always.
 *
 * <h2>Thread contract</h2>
 * Every method is callable from any thread, the group's loop threads included, except {@link #awaitTermination},
 * which a loop thread cannot call (it would wait for itself). {@link #close()} from a loop thread starts the close and
 * returns without waiting: its own loop closes once the callback that called it returns.
 *
 * <h2>Failures stay in their loop</h2>
 * A callback that throws goes to its loop's exception handler (the one given in {@link Builder#loop}, shared by all the
 * loops and called on each loop's own thread, so it must be thread-safe); no other loop notices. An error a loop does
 * not survive ({@link OutOfMemoryError}, see the README) ends that loop only: its thread closes it and hands the error
 * to the thread's uncaught-exception handler; {@code execute} on it is refused from then on.
 *
 * <h2>Shutdown</h2>
 * {@link #shutdownGracefully(Duration)} asks every loop, on its own thread, to begin its graceful shutdown
 * ({@link EventLoop#shutdownGracefully}): the group gives back its ref, the loop's {@link EventLoop.ShutdownListener}s
 * are told (listening sockets stop accepting, connections finish what they were sending), and the loop runs on while
 * anything still keeps it alive, up to the timeout; then its thread closes it ({@link EventLoop#close()}: the tasks
 * accepted before run, then the cleanup watchers). {@link #close()} is the same with a timeout of zero, and waits.
 *
 * <h2>Costs</h2>
 * {@link #next()}: one atomic increment. {@link #leastLoaded()}: two or three plain reads per loop, no lock.
 * {@link #execute}: {@code next()} plus {@link EventLoop#execute}. None allocates. {@link #stats()} allocates its
 * snapshot. Opening a group starts its threads and opens a loop on each (a ring or an epoll fd, and an eventfd each).
 */
public final class LoopGroup implements Executor, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.evring");
    private static final AtomicInteger GROUPS = new AtomicInteger();
    /** More loops than this in one group is a mistake (each is a thread and a ring), not a configuration. */
    static final int MAX_LOOPS = 4096;

    private final int id;
    private final Member[] members;
    private final EventLoop[] loops;
    private final List<EventLoop> loopList;
    private final AtomicInteger nextIndex = new AtomicInteger();
    private volatile boolean shutdown;

    /** A group of {@link Runtime#availableProcessors()} loops, each opened as {@link EventLoop#open()} would. */
    public static LoopGroup open() {
        return builder().open();
    }

    /** A group of {@code loops} loops, each opened as {@link EventLoop#open()} would. */
    public static LoopGroup open(int loops) {
        return builder().loops(loops).open();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options for {@link LoopGroup#open()}. */
    public static final class Builder {
        private int loops = Runtime.getRuntime().availableProcessors();
        private ThreadFactory threadFactory;
        private boolean pinToCpus;
        private EventLoop.Builder loop = EventLoop.builder();

        private Builder() {}

        /**
         * How many loops (threads); by default {@link Runtime#availableProcessors()}.
         *
         * @throws IllegalArgumentException if {@code loops} is below 1 or above 4096
         */
        public Builder loops(int loops) {
            if (loops < 1 || loops > MAX_LOOPS) {
                throw new IllegalArgumentException("loops " + loops + " is not in 1.." + MAX_LOOPS);
            }
            this.loops = loops;
            return this;
        }

        /**
         * Makes the loops' threads; by default platform threads named {@code evring-group-<g>-loop-<i>}, not daemons
         * (a serving group keeps the JVM alive until it is closed, as Netty's does). Use platform threads: a loop
         * blocks its thread in the kernel, which would pin a virtual thread's carrier.
         *
         * @throws IllegalArgumentException if {@code factory} is null
         */
        public Builder threadFactory(ThreadFactory factory) {
            if (factory == null) throw new IllegalArgumentException("thread factory is null");
            this.threadFactory = factory;
            return this;
        }

        /**
         * Pins loop {@code i}'s thread to the {@code i}-th CPU (modulo their number) of those the process may run on,
         * with {@code sched_setaffinity}; off by default. Where the kernel refuses (a container's seccomp profile,
         * a cpuset), that loop runs unpinned, {@link LoopGroup#cpu(int)} says -1, and the {@code dev.evring} logger
         * says why at WARNING.
         */
        public Builder pinToCpus(boolean pin) {
            this.pinToCpus = pin;
            return this;
        }

        /**
         * How each loop is opened: backend, options, exception handler, clock, as for one loop. The builder's settings
         * are copied now; each loop opens with them on its own thread. The exception handler and clock are shared by
         * every loop of the group and called from each loop's thread.
         *
         * @throws IllegalArgumentException if {@code loop} is null
         */
        public Builder loop(EventLoop.Builder loop) {
            if (loop == null) throw new IllegalArgumentException("loop builder is null");
            this.loop = loop.copy();
            return this;
        }

        /**
         * Starts the threads and opens a loop on each; returns once every loop is open and running.
         *
         * @throws IllegalStateException (or what the loop's opening threw) if a loop cannot open: the loops already
         *                               open are closed, their threads ended, before it is thrown
         */
        public LoopGroup open() {
            return new LoopGroup(this);
        }
    }

    private LoopGroup(Builder b) {
        this.id = GROUPS.incrementAndGet();
        int n = b.loops;
        ThreadFactory factory = b.threadFactory != null ? b.threadFactory
                : Thread.ofPlatform().name("evring-group-" + id + "-loop-", 0).daemon(false).factory();
        CountDownLatch opened = new CountDownLatch(n);
        this.members = new Member[n];
        for (int i = 0; i < n; i++) members[i] = new Member(i, b.loop.copy(), b.pinToCpus, opened);
        Throwable failure = null;
        for (int i = 0; i < n; i++) {
            Member m = members[i];
            try {
                Thread t = factory.newThread(m);
                if (t == null) throw new IllegalStateException("the thread factory made no thread for loop " + i);
                m.thread = t;
                t.start();
            } catch (RuntimeException | Error e) {
                failure = e;
                for (int j = i; j < n; j++) opened.countDown(); // they never start
                break;
            }
        }
        boolean interrupted = false;
        while (true) {
            try {
                opened.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // opening takes milliseconds; the interrupt is kept for the caller
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        this.loops = new EventLoop[n];
        for (int i = 0; i < n; i++) {
            Member m = members[i];
            if (m.openFailure != null) {
                if (failure == null) failure = m.openFailure;
                else failure.addSuppressed(m.openFailure);
            }
            loops[i] = m.loop;
        }
        this.loopList = failure == null ? List.of(loops) : List.of();
        if (failure != null) {
            close();
            if (failure instanceof RuntimeException r) throw r;
            if (failure instanceof Error e) throw e;
            throw new IllegalStateException(failure);
        }
        if (b.pinToCpus) logPinningRefusals();
    }

    private void logPinningRefusals() {
        List<String> refused = new ArrayList<>();
        for (Member m : members) {
            if (m.pinning != null && m.pinning.cpu() < 0) refused.add("loop " + m.index + ": " + m.pinning.refusal());
        }
        if (!refused.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, this + ": some loops run unpinned (" + String.join("; ", refused) + ")");
        }
    }

    /** How many loops the group has. */
    public int size() {
        return members.length;
    }

    /** The loops, in order (loop {@code i} is the {@code i}-th); an unmodifiable list. */
    public List<EventLoop> loops() {
        return loopList;
    }

    /**
     * Loop {@code index}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code 0..size()-1}
     */
    public EventLoop loop(int index) {
        if (index < 0 || index >= loops.length) {
            throw new IndexOutOfBoundsException("loop index " + index + " is not in 0.." + (loops.length - 1));
        }
        return loops[index];
    }

    /** The CPU loop {@code index}'s thread is pinned to, or -1 (pinning not asked for, or refused: see the log). */
    public int cpu(int index) {
        loop(index);
        CpuPinning p = members[index].pinning;
        return p == null ? -1 : p.cpu();
    }

    /**
     * The loop whose thread is calling, or null when the caller is not one of the group's loop threads (Netty's
     * {@code inEventLoop()}): lets code that may run anywhere do a loop's work inline on its own thread instead of
     * handing it over and waiting for itself. Compares the caller with each loop's thread: O(size()), no allocation.
     */
    public EventLoop currentLoop() {
        Thread me = Thread.currentThread();
        for (int i = 0; i < members.length; i++) if (members[i].thread == me) return loops[i];
        return null;
    }

    /** The next loop in turn (round-robin): each loop once in every {@code size()} calls. One atomic increment. */
    public EventLoop next() {
        return loops[Math.floorMod(nextIndex.getAndIncrement(), loops.length)];
    }

    /**
     * The loop with the least load, where a loop's load is its active watchers and refs (what it serves: each
     * connection of {@code dev.evring.net} holds a watcher or a ref while it has I/O in flight, each timer counts)
     * plus the tasks given to its {@link EventLoop#execute} that have not run yet. The first half is as of the loop's
     * latest change, the second counts a task the moment it is accepted, so a burst of hand-offs made through
     * {@code execute} spreads over the loops instead of piling onto the one that looked idlest a moment ago. Ties go
     * round-robin. Reads a few counters of each loop, no lock, no allocation: O(size()).
     */
    public EventLoop leastLoaded() {
        int n = loops.length;
        int start = Math.floorMod(nextIndex.getAndIncrement(), n);
        EventLoop best = loops[start];
        long bestLoad = best.load();
        for (int k = 1; k < n && bestLoad > 0; k++) {
            EventLoop l = loops[(start + k) % n];
            long load = l.load();
            if (load < bestLoad) {
                best = l;
                bestLoad = load;
            }
        }
        return best;
    }

    /**
     * Runs {@code task} on {@link #next()}'s loop ({@link EventLoop#execute}). For tasks that must run in order, or on
     * one loop, execute on that loop instead.
     *
     * @throws NullPointerException       if {@code task} is null
     * @throws RejectedExecutionException once that loop is closing
     */
    @Override
    public void execute(Runnable task) {
        next().execute(task);
    }

    /**
     * Begins the graceful shutdown of every loop (see the class comment) and returns at once; use
     * {@link #awaitTermination} to wait for it. A second call with a shorter timeout moves every loop's deadline
     * closer; one with a longer timeout changes nothing. Tasks are accepted until a loop closes.
     *
     * @throws IllegalArgumentException if {@code timeout} is null or negative
     */
    public void shutdownGracefully(Duration timeout) {
        shutdown(TimerWatcher.toNanos("shutdown timeout", timeout));
    }

    private void shutdown(long timeoutNanos) {
        shutdown = true;
        for (Member m : members) m.requestShutdown(timeoutNanos);
    }

    /**
     * Closes every loop, each on its own thread: the shutdown listeners are told with a deadline of now, then each
     * loop closes ({@link EventLoop#close()}: accepted tasks run, then cleanup watchers). Waits until every loop's
     * thread has ended, unless called from one of them, where it returns at once (the calling loop closes when the
     * callback returns). Idempotent; an interrupt does not cut the wait short (it is kept for the caller).
     */
    @Override
    public void close() {
        shutdown(0);
        if (onLoopThread()) return;
        boolean interrupted = false;
        for (Member m : members) {
            Thread t = m.thread;
            while (t != null) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /**
     * Waits until every loop has closed and its thread ended, at most {@code timeout}; true if they have.
     *
     * @throws IllegalStateException    from one of the group's loop threads (it would wait for itself)
     * @throws IllegalArgumentException if {@code timeout} is null or negative
     * @throws InterruptedException     if interrupted while waiting
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long t = TimerWatcher.toNanos("timeout", timeout);
        if (onLoopThread()) {
            throw new IllegalStateException("awaitTermination called from " + Thread.currentThread().getName()
                    + ", a loop thread of " + this + ": it would wait for itself");
        }
        long deadline = System.nanoTime() + t;
        for (Member m : members) {
            Thread th = m.thread;
            if (th == null) continue;
            long left = Math.max(0, deadline - System.nanoTime());
            if (!th.join(Duration.ofNanos(left))) return false;
        }
        return true;
    }

    /** Whether {@link #shutdownGracefully} or {@link #close()} was called. */
    public boolean isShutdown() {
        return shutdown;
    }

    /** Whether every loop has closed and its thread ended. */
    public boolean isTerminated() {
        for (Member m : members) {
            Thread t = m.thread;
            if (t != null && t.isAlive()) return false;
        }
        return true;
    }

    /** Every loop's counters now (see {@link GroupStats}); allocates the snapshot, nothing else. Any thread. */
    public GroupStats stats() {
        LoopStats[] s = new LoopStats[loops.length];
        for (int i = 0; i < s.length; i++) s[i] = loops[i].stats();
        return new GroupStats(List.of(s));
    }

    private boolean onLoopThread() {
        Thread me = Thread.currentThread();
        for (Member m : members) if (m.thread == me) return true;
        return false;
    }

    @Override
    public String toString() {
        return "LoopGroup[" + id + ", " + members.length + " loops" + (shutdown ? ", shut down" : "") + "]";
    }

    /** One loop and its thread: opens the loop there, runs it until its shutdown, closes it there. */
    private static final class Member implements Runnable {
        final int index;
        private final EventLoop.Builder builder;
        private final boolean pin;
        private final CountDownLatch opened;
        /** Set before the thread starts. */
        volatile Thread thread;
        /** Set before {@code opened} counts down, so the group sees it after its await. */
        EventLoop loop;
        Throwable openFailure;
        CpuPinning pinning;
        /** Loop thread: the group's ref was given back (at the first shutdown request). */
        private boolean released;

        Member(int index, EventLoop.Builder builder, boolean pin, CountDownLatch opened) {
            this.index = index;
            this.builder = builder;
            this.pin = pin;
            this.opened = opened;
        }

        @Override
        public void run() {
            EventLoop l;
            try {
                if (pin) pinning = CpuPinning.pinCallingThread(index);
                l = builder.open();
                l.ref(); // the group keeps the loop running until it shuts down
                loop = l;
            } catch (RuntimeException | Error e) {
                openFailure = e;
                return;
            } finally {
                opened.countDown();
            }
            Throwable escaped = null;
            try {
                do {
                    l.run(); // returns on a break, or once the shutdown drained it
                } while (!l.isShuttingDownUnchecked());
            } catch (RuntimeException | Error e) {
                escaped = e; // an error the loop does not survive: this loop ends here, the others go on
            } finally {
                try {
                    l.close();
                } catch (RuntimeException | Error e) {
                    if (escaped == null) escaped = e;
                    else escaped.addSuppressed(e);
                }
            }
            if (escaped instanceof RuntimeException r) throw r; // to the thread's uncaught-exception handler
            if (escaped instanceof Error e) throw e;
        }

        /** Any thread: the loop begins its graceful shutdown, on its thread, after the tasks queued before. */
        void requestShutdown(long timeoutNanos) {
            EventLoop l = loop;
            if (l == null) return; // it never opened
            try {
                l.execute(() -> {
                    if (!released) {
                        released = true;
                        l.unref();
                    }
                    l.beginShutdown(timeoutNanos);
                });
            } catch (RejectedExecutionException closing) {
                // closing or closed already
            }
        }
    }
}
