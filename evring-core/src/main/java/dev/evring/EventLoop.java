package dev.evring;

import dev.evring.backend.BackendHost;
import dev.evring.backend.BackendOptions;
import dev.evring.backend.LoopBackend;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An event loop in libev's model: watchers for fds, timers and the rest, callbacks run by one thread in priority
 * order, one backend (io_uring, epoll or poll) to wait on.
 *
 * <h2>Thread contract</h2>
 * A loop belongs to the thread that opened it. Every method, and every method of its watchers, throws
 * {@link IllegalStateException} when called from another thread or after {@link #close()}, except the documented
 * cross-thread calls {@link #wakeup()} and {@link AsyncWatcher#send()}.
 *
 * <h2>An iteration</h2>
 * As libev's {@code ev_run}: run prepare watchers; hand collected fd interest changes to the backend; compute the
 * wait from the nearest timer (none if idle watchers are active); poll the backend; queue expired timers, then idle
 * watchers if nothing of their priority or higher is pending, then check watchers; run the pending callbacks, highest
 * priority first.
 *
 * <h2>Costs</h2>
 * An iteration makes one system call to wait (none more on io_uring, where fd changes ride along), plus what the
 * callbacks do. Starting and stopping watchers never makes a system call, and a loop in steady state allocates nothing
 * per event.
 */
public final class EventLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.evring");

    /** libev's MAX_BLOCKTIME: even with nothing to do the loop wakes up now and then (keeps clock jumps in check). */
    static final long MAX_BLOCK_NANOS = 59_743_000_000L;
    static final int NUM_PRI = Watcher.MAX_PRIORITY - Watcher.MIN_PRIORITY + 1;

    /** How far a nested or outer {@link #run} should unwind on {@link #breakLoop}. */
    public enum Break {
        /** Make the innermost {@code run} return. */
        ONE,
        /** Make every nested {@code run} return. */
        ALL
    }

    /**
     * Receives what a callback threw. The loop goes on with the remaining callbacks either way. {@code watcher} is the
     * watcher whose callback threw, or null when the callback was not a watcher's (a completion callback).
     */
    @FunctionalInterface
    public interface ExceptionHandler {
        void onException(Watcher watcher, Throwable error);
    }

    /** The loop's view of time, replaceable for tests. Both in nanoseconds. */
    public interface Clock {
        /** A monotonic clock: never jumps, only its differences mean anything. */
        long monotonicNanos();

        /** Wall-clock time since the epoch, which may jump when the system clock is set. */
        long realtimeNanos();

        /** The clocks of the system: {@link System#nanoTime()} and {@link System#currentTimeMillis()}-based time. */
        Clock SYSTEM = new Clock() {
            @Override
            public long monotonicNanos() {
                return System.nanoTime();
            }

            @Override
            public long realtimeNanos() {
                java.time.Instant now = java.time.Instant.now();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }
        };
    }

    private static final ExceptionHandler LOG_HANDLER = (w, e) ->
            LOG.log(System.Logger.Level.ERROR, "callback of " + w + " threw; the loop carries on", e);

    static {
        LoopAccess.install(new LoopAccess() {
            @Override
            public LoopBackend backend(EventLoop loop) {
                loop.checkOwner();
                return loop.driver;
            }

            @Override
            public MemorySegment callState(EventLoop loop) {
                loop.checkOwner();
                return loop.callState;
            }

            @Override
            public Arena arena(EventLoop loop) {
                loop.checkOwner();
                return loop.arena;
            }

            @Override
            public BackendOptions options(EventLoop loop) {
                loop.checkOwner();
                return loop.options;
            }

            @Override
            public void reportException(EventLoop loop, Object source, Throwable error) {
                loop.checkOwner();
                loop.reportException(source, error);
            }
        });
    }

    // run flags and break states, as libev's EVRUN_* and EVBREAK_*
    private static final int RUN_ONCE = 1;
    private static final int RUN_NOWAIT = 2;
    private static final int BREAK_CANCEL = 0;
    private static final int BREAK_ONE = 1;
    private static final int BREAK_ALL = 2;

    // fd change flags, as libev's EV_ANFD_REIFY and EV__IOFDSET
    private static final byte REIFY = 1;
    private static final byte FDSET = 2;

    private final Thread owner;
    private final Arena arena;
    private final MemorySegment callState;
    private final Backend backend;
    private final LoopBackend driver;
    private final List<String> backendRefusals;
    private final ExceptionHandler exceptionHandler;
    private final Clock clock;
    private final BackendOptions options;
    private volatile boolean closed;

    // time
    private long now;

    // run state
    private int activeCount;
    private int loopDone;
    private int depth;
    private long iteration;
    private boolean invoking;

    // pending queues, one per priority, FIFO; a slot whose watcher was stopped holds null
    private final Watcher[][] pendingW = new Watcher[NUM_PRI][];
    private final int[][] pendingEv = new int[NUM_PRI][];
    private final int[] pendingHead = new int[NUM_PRI];
    private final int[] pendingTail = new int[NUM_PRI];
    private final int[] pendingLive = new int[NUM_PRI];
    private int pendingPri;

    // fd table: the io watchers of each fd, the interest last handed to the backend, the change flags
    private IoWatcher[] fdHead = new IoWatcher[64];
    private int[] fdEvents = new int[64];
    private byte[] fdReify = new byte[64];
    private int[] fdChanges = new int[16];
    private int fdChangeCount;

    private final TimerHeap timers = new TimerHeap();

    // idle watchers by priority; prepare, check, async, cleanup watchers in flat arrays
    private final Watcher[][] idles = new Watcher[NUM_PRI][];
    private final int[] idleCount = new int[NUM_PRI];
    private int idleAll;
    private Watcher[] prepares = new Watcher[4];
    private int prepareCount;
    private Watcher[] checks = new Watcher[4];
    private int checkCount;
    private AsyncWatcher[] asyncs = new AsyncWatcher[4];
    private int asyncCount;
    private Watcher[] cleanups = new Watcher[4];
    private int cleanupCount;

    // cross-thread wakeup (libev's async_pending / pipe_write_wanted / pipe_write_skipped), all accessed volatile
    private final AtomicInteger asyncPending = new AtomicInteger();
    private final AtomicInteger wakeupWanted = new AtomicInteger();
    private final AtomicInteger wakeupSkipped = new AtomicInteger();
    /** Foreign threads inside backend.wakeup(), plus CLOSING_BIT once close() began: close waits for them to leave. */
    private final AtomicInteger wakeupGate = new AtomicInteger();
    private static final int CLOSING_BIT = 1 << 30;

    private Object userData;

    private EventLoop(Builder b) {
        this.owner = Thread.currentThread();
        this.clock = b.clock;
        this.exceptionHandler = b.exceptionHandler;
        this.arena = Arena.ofConfined();
        this.callState = Libc.allocateCallState(arena);
        for (int p = 0; p < NUM_PRI; p++) {
            pendingW[p] = new Watcher[16];
            pendingEv[p] = new int[16];
            idles[p] = new Watcher[2];
        }
        this.options = new BackendOptions(b.options);
        BackendSelector.Selection sel;
        try {
            sel = BackendSelector.select(b.backend, options, new Host(), arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        this.backend = sel.backend();
        this.driver = sel.driver();
        this.backendRefusals = List.copyOf(sel.refusals());
        this.now = clock.monotonicNanos();
    }

    /** Opens a loop on the best backend available here, owned by the calling thread. */
    public static EventLoop open() {
        return builder().open();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options for {@link EventLoop#open()}. */
    public static final class Builder {
        private Backend backend;
        private ExceptionHandler exceptionHandler = LOG_HANDLER;
        private Clock clock = Clock.SYSTEM;
        private final Map<String, String> options = new HashMap<>();

        private Builder() {}

        /**
         * Forces a backend. Unlike {@code EVRING_BACKEND}, which falls back when the named backend cannot open, an
         * explicit choice that cannot open makes {@link #open()} throw, saying why.
         */
        public Builder backend(Backend backend) {
            this.backend = backend;
            return this;
        }

        /** Where exceptions thrown by callbacks go; by default a {@link System.Logger} at ERROR. */
        public Builder exceptionHandler(ExceptionHandler handler) {
            if (handler == null) throw new IllegalArgumentException("exception handler is null");
            this.exceptionHandler = handler;
            return this;
        }

        /** Replaces the clocks (tests of time-dependent behaviour). */
        public Builder clock(Clock clock) {
            if (clock == null) throw new IllegalArgumentException("clock is null");
            this.clock = clock;
            return this;
        }

        /**
         * A backend option, overriding the system property {@code evring.<key>}. The keys are listed in the README
         * (for example {@code io_uring.poll=oneshot}).
         */
        public Builder option(String key, String value) {
            if (key == null || key.isBlank()) throw new IllegalArgumentException("option key is empty");
            if (value == null) options.remove(key);
            else options.put(key, value);
            return this;
        }

        /**
         * Opens the loop; the calling thread owns it.
         *
         * @throws IllegalStateException if an explicitly chosen backend cannot open here (the message says why)
         */
        public EventLoop open() {
            return new EventLoop(this);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // confinement

    /** Throws unless called on the owner thread of an open loop. Every public entry point starts here. */
    final void checkOwner() {
        if (Thread.currentThread() != owner || closed) throw ownerFailure();
    }

    private IllegalStateException ownerFailure() {
        if (closed) return new IllegalStateException("the event loop is closed");
        return new IllegalStateException("the event loop belongs to thread \"" + owner.getName()
                + "\" and was called from thread \"" + Thread.currentThread().getName()
                + "\"; use an AsyncWatcher to reach it from other threads");
    }

    private void checkWatcher(Watcher w) {
        if (w == null) throw new IllegalArgumentException("watcher is null");
        if (w.loop != this) throw new IllegalArgumentException("watcher " + w + " belongs to another loop");
    }

    static <T> T requireCallback(T callback) {
        if (callback == null) throw new IllegalArgumentException("callback is null");
        return callback;
    }

    // ------------------------------------------------------------------------------------------------------------
    // watcher factories

    /** A watcher for {@code fd} becoming readable and/or writable ({@code events}: {@link Events#READ}, WRITE). Not started. */
    public IoWatcher io(int fd, int events, Watcher.Callback<IoWatcher> callback) {
        checkOwner();
        return new IoWatcher(this, fd, events, callback);
    }

    /** A timer firing {@code after} from when it is started, then every {@code repeat} (zero: once). Not started. */
    public TimerWatcher timer(Duration after, Duration repeat, Watcher.Callback<TimerWatcher> callback) {
        checkOwner();
        return new TimerWatcher(this, TimerWatcher.toNanos("after", after), TimerWatcher.toNanos("repeat", repeat), callback);
    }

    /** {@link #timer(Duration, Duration, Watcher.Callback)} in nanoseconds. */
    public TimerWatcher timer(long afterNanos, long repeatNanos, Watcher.Callback<TimerWatcher> callback) {
        checkOwner();
        return new TimerWatcher(this, TimerWatcher.checkNanos("after", afterNanos), TimerWatcher.checkNanos("repeat", repeatNanos), callback);
    }

    /** An idle watcher. Not started. */
    public IdleWatcher idle(Watcher.Callback<IdleWatcher> callback) {
        checkOwner();
        return new IdleWatcher(this, callback);
    }

    /** A prepare watcher. Not started. */
    public PrepareWatcher prepare(Watcher.Callback<PrepareWatcher> callback) {
        checkOwner();
        return new PrepareWatcher(this, callback);
    }

    /** A check watcher. Not started. */
    public CheckWatcher check(Watcher.Callback<CheckWatcher> callback) {
        checkOwner();
        return new CheckWatcher(this, callback);
    }

    /** An async watcher, the cross-thread entry. Not started. */
    public AsyncWatcher async(Watcher.Callback<AsyncWatcher> callback) {
        checkOwner();
        return new AsyncWatcher(this, callback);
    }

    /** A cleanup watcher, run when the loop closes. Not started. */
    public CleanupWatcher cleanup(Watcher.Callback<CleanupWatcher> callback) {
        checkOwner();
        return new CleanupWatcher(this, callback);
    }

    // ------------------------------------------------------------------------------------------------------------
    // loop state

    /** The backend this loop runs on. */
    public Backend backend() {
        checkOwner();
        return backend;
    }

    /**
     * What the backend uses (for io_uring: the features found and used) and, if it is not the first choice, why the
     * better ones were refused, in words a user can act on.
     */
    public String backendDetails() {
        checkOwner();
        String d = driver.details();
        return backendRefusals.isEmpty() ? d : d + " [" + String.join("; ", backendRefusals) + "]";
    }

    /** Why each backend tried before the chosen one was refused (empty when the first choice opened). */
    public List<String> backendRefusals() {
        checkOwner();
        return backendRefusals;
    }

    /**
     * The loop's time, in nanoseconds of the monotonic clock: taken once per iteration, after the wait, so every
     * callback of an iteration sees the same value (libev's {@code ev_now}). Timers count from it.
     */
    public long now() {
        checkOwner();
        return now;
    }

    long nowNanosUnchecked() {
        return now;
    }

    /** Reads the clock again ({@code ev_now_update}): for a callback that ran long and starts timers. A clock read, no syscall. */
    public void updateNow() {
        checkOwner();
        now = clock.monotonicNanos();
    }

    /** How many times the loop has polled the backend ({@code ev_iteration}). */
    public long iteration() {
        checkOwner();
        return iteration;
    }

    /** How many {@code run} calls are on the stack ({@code ev_depth}). */
    public int depth() {
        checkOwner();
        return depth;
    }

    /** How many watchers have an event whose callback has not run yet ({@code ev_pending_count}). */
    public int pendingCount() {
        checkOwner();
        int n = 0;
        for (int p = 0; p < NUM_PRI; p++) n += pendingLive[p];
        return n;
    }

    /** Data of the caller's, kept with the loop ({@code ev_set_userdata}). */
    public Object userData() {
        checkOwner();
        return userData;
    }

    public void userData(Object data) {
        checkOwner();
        this.userData = data;
    }

    // ------------------------------------------------------------------------------------------------------------
    // refs

    /** Counts one more reason to keep running, as an active watcher does ({@code ev_ref}). */
    public void ref() {
        checkOwner();
        activeCount++;
    }

    /**
     * Lets the loop end while one active watcher remains ({@code ev_unref}): for a watcher that should not keep the
     * program alive by itself (a signal watcher, a housekeeping timer). Pair with {@link #ref()} before stopping it.
     */
    public void unref() {
        checkOwner();
        activeCount--;
    }

    // ------------------------------------------------------------------------------------------------------------
    // run

    /**
     * Runs until no active, referenced watcher remains or {@link #breakLoop} is called.
     *
     * @return whether active referenced watchers remain (true after a break)
     */
    public boolean run() {
        return run(0);
    }

    /** Runs one iteration, waiting for at least one event if there is nothing to do yet ({@code EVRUN_ONCE}). */
    public boolean runOnce() {
        return run(RUN_ONCE);
    }

    /** Runs one iteration without waiting ({@code EVRUN_NOWAIT}). */
    public boolean runNoWait() {
        return run(RUN_NOWAIT);
    }

    /** Makes the innermost ({@link Break#ONE}) or every ({@link Break#ALL}) running {@code run} return after the current callbacks. */
    public void breakLoop(Break how) {
        checkOwner();
        if (how == null) throw new IllegalArgumentException("break mode is null");
        loopDone = how == Break.ALL ? BREAK_ALL : BREAK_ONE;
    }

    private boolean run(int flags) {
        checkOwner();
        depth++;
        try {
            loopDone = BREAK_CANCEL;
            invokePending(); // a nested run first finishes what its caller left pending, in order
            do {
                if (prepareCount > 0) {
                    queueAll(prepares, prepareCount, Events.PREPARE);
                    invokePending();
                }
                if (loopDone != BREAK_CANCEL || closed) break;

                fdReify();

                now = clock.monotonicNanos();
                long wait = 0;
                wakeupWanted.set(1); // a sender that sees this writes to the backend instead of skipping
                if ((flags & RUN_NOWAIT) == 0 && idleAll == 0 && activeCount > 0 && wakeupSkipped.get() == 0) {
                    wait = MAX_BLOCK_NANOS;
                    if (!timers.isEmpty()) wait = Math.max(0, Math.min(wait, timers.topAt() - now));
                    // backends round a wait up to their resolution (never early); an overdue timer polls without blocking
                }
                iteration++;
                driver.poll(wait);
                wakeupWanted.set(0);
                if (wakeupSkipped.get() != 0) drainAsyncs();

                now = clock.monotonicNanos();
                timersReify();
                if (idleAll > 0) idleReify();
                if (checkCount > 0) queueAll(checks, checkCount, Events.CHECK);
                invokePending();
            } while (activeCount > 0 && loopDone == BREAK_CANCEL && (flags & (RUN_ONCE | RUN_NOWAIT)) == 0 && !closed);
            if (loopDone == BREAK_ONE) loopDone = BREAK_CANCEL;
            return activeCount > 0;
        } finally {
            depth--;
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // pending queue

    /**
     * Queues {@code revents} for {@code w} as if the loop had seen them ({@code ev_feed_event}); its callback runs in
     * this or the next iteration, in priority order. The watcher need not be active.
     *
     * @throws IllegalArgumentException if {@code w} belongs to another loop
     */
    public void feedEvent(Watcher w, int revents) {
        checkOwner();
        checkWatcher(w);
        feed(w, revents);
    }

    /** Queues {@code revents} for every io watcher on {@code fd} that wants them ({@code ev_feed_fd_event}). */
    public void feedFdEvent(int fd, int revents) {
        checkOwner();
        if (fd < 0) throw new IllegalArgumentException("fd " + fd + " is negative");
        if (fd < fdHead.length) fdEventNow(fd, revents);
    }

    void feed(Watcher w, int revents) {
        int p = w.priority - Watcher.MIN_PRIORITY;
        if (w.pending != 0) {
            pendingEv[p][w.pending - 1] |= revents;
            return;
        }
        int i = pendingTail[p];
        if (i == pendingW[p].length) {
            if (pendingHead[p] > 0) {
                compactPending(p);
                i = pendingTail[p];
            }
            if (i == pendingW[p].length) {
                pendingW[p] = Arrays.copyOf(pendingW[p], i * 2);
                pendingEv[p] = Arrays.copyOf(pendingEv[p], i * 2);
            }
        }
        pendingW[p][i] = w;
        pendingEv[p][i] = revents;
        pendingTail[p] = i + 1;
        pendingLive[p]++;
        w.pending = i + 1;
        if (invoking) pendingPri = NUM_PRI; // a callback fed something: look again from the top
    }

    /** Moves the live part of a queue to its front (keeps positions in {@code w.pending} right). */
    private void compactPending(int p) {
        Watcher[] ws = pendingW[p];
        int[] evs = pendingEv[p];
        int head = pendingHead[p];
        int tail = pendingTail[p];
        int j = 0;
        for (int i = head; i < tail; i++) {
            Watcher w = ws[i];
            if (w == null) continue;
            ws[j] = w;
            evs[j] = evs[i];
            w.pending = j + 1;
            j++;
        }
        Arrays.fill(ws, j, tail, null);
        pendingHead[p] = 0;
        pendingTail[p] = j;
    }

    int clearPending(Watcher w) {
        int pos = w.pending;
        if (pos == 0) return 0;
        int p = w.priority - Watcher.MIN_PRIORITY;
        int ev = pendingEv[p][pos - 1];
        pendingW[p][pos - 1] = null;
        pendingLive[p]--;
        w.pending = 0;
        return ev;
    }

    private void invokePending() {
        boolean outer = !invoking;
        invoking = true;
        try {
            pendingPri = NUM_PRI;
            while (pendingPri > 0) {
                int p = --pendingPri;
                while (pendingHead[p] < pendingTail[p]) {
                    int i = pendingHead[p]++;
                    Watcher w = pendingW[p][i];
                    if (w == null) continue;
                    int ev = pendingEv[p][i];
                    pendingW[p][i] = null;
                    pendingLive[p]--;
                    w.pending = 0;
                    invokeSafely(w, ev);
                    if (pendingPri > p) break; // something of higher priority was fed: run it first
                    if (closed) return;
                }
                if (pendingHead[p] == pendingTail[p]) pendingHead[p] = pendingTail[p] = 0;
            }
        } finally {
            if (outer) invoking = false;
        }
    }

    private void invokeSafely(Watcher w, int revents) {
        try {
            w.invoke(revents);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            reportException(w, t);
        }
    }

    /** Hands {@code error} to the exception handler; a handler that throws is logged, never propagated. */
    private void reportException(Object source, Throwable error) {
        try {
            exceptionHandler.onException(source instanceof Watcher w ? w : null, error);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable again) {
            again.addSuppressed(error);
            LOG.log(System.Logger.Level.ERROR, "the exception handler threw while handling an exception of " + source, again);
        }
    }

    private void queueAll(Watcher[] ws, int count, int revents) {
        for (int i = 0; i < count; i++) feed(ws[i], revents);
    }

    // ------------------------------------------------------------------------------------------------------------
    // io watchers and fd reification

    private void ensureFd(int fd) {
        if (fd >= fdHead.length) {
            int n = Math.max(fdHead.length * 2, Integer.highestOneBit(fd) * 2);
            fdHead = Arrays.copyOf(fdHead, n);
            fdEvents = Arrays.copyOf(fdEvents, n);
            fdReify = Arrays.copyOf(fdReify, n);
        }
    }

    void ioStart(IoWatcher w) {
        int fd = w.fd;
        ensureFd(fd);
        w.active = 1;
        activeCount++;
        w.next = fdHead[fd];
        fdHead[fd] = w;
        fdChange(fd, w.fdSet ? (byte) (REIFY | FDSET) : REIFY);
        w.fdSet = false;
    }

    void ioStop(IoWatcher w) {
        int fd = w.fd;
        IoWatcher prev = null;
        for (IoWatcher x = fdHead[fd]; x != null; prev = x, x = x.next) {
            if (x == w) {
                if (prev == null) fdHead[fd] = w.next;
                else prev.next = w.next;
                break;
            }
        }
        w.next = null;
        w.active = 0;
        activeCount--;
        fdChange(fd, REIFY);
    }

    private void fdChange(int fd, byte flags) {
        byte old = fdReify[fd];
        fdReify[fd] = (byte) (old | flags);
        if (old == 0) {
            if (fdChangeCount == fdChanges.length) fdChanges = Arrays.copyOf(fdChanges, fdChangeCount * 2);
            fdChanges[fdChangeCount++] = fd;
        }
    }

    /** Hands the interest changes collected since the last iteration to the backend, once per fd (libev's fd_reify). */
    private void fdReify() {
        // fdKill from inside modify may append to fdChanges: re-read the count each time round
        for (int i = 0; i < fdChangeCount; i++) {
            int fd = fdChanges[i];
            int oldEvents = fdEvents[fd];
            byte flags = fdReify[fd];
            fdReify[fd] = 0;
            int want = 0;
            for (IoWatcher w = fdHead[fd]; w != null; w = w.next) want |= w.events;
            fdEvents[fd] = want;
            if (oldEvents != want || (flags & FDSET) != 0) {
                driver.modify(fd, oldEvents, want, (flags & FDSET) != 0);
            }
        }
        fdChangeCount = 0;
    }

    /** Queues {@code revents} for the fd's watchers that want them (libev's fd_event_nocheck). */
    private void fdEventNow(int fd, int revents) {
        for (IoWatcher w = fdHead[fd]; w != null; w = w.next) {
            int ev = w.events & revents;
            if (ev != 0) feed(w, ev);
        }
    }

    /** Stops every watcher of a bad fd and hands it an error event (libev's fd_kill). */
    private void fdKill(int fd) {
        IoWatcher w;
        while ((w = fdHead[fd]) != null) {
            clearPending(w);
            ioStop(w);
            feed(w, Events.ERROR | Events.READ | Events.WRITE);
        }
    }

    /** The loop's side of the backend contract; a separate object so the public class exposes none of it. */
    private final class Host implements BackendHost {
        @Override
        public void fdEvent(int fd, int revents) {
            // an fd whose watchers changed since the backend last heard of it may be a different file: skip (libev)
            if (fd >= 0 && fd < fdHead.length && fdReify[fd] == 0) fdEventNow(fd, revents);
        }

        @Override
        public void fdKill(int fd) {
            if (fd >= 0 && fd < fdHead.length) EventLoop.this.fdKill(fd);
        }

        @Override
        public int fdWanted(int fd) {
            return fd >= 0 && fd < fdEvents.length ? fdEvents[fd] : 0;
        }

        @Override
        public void wakeupReceived() {
            drainAsyncs();
        }

        @Override
        public void reportException(Object source, Throwable error) {
            EventLoop.this.reportException(source, error);
        }

        @Override
        public MemorySegment callState() {
            return callState;
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // timers

    void timerStart(TimerWatcher w, long afterNanos) {
        w.at = saturatedAdd(now, afterNanos);
        timers.insert(w);
        activeCount++;
    }

    void timerStop(TimerWatcher w) {
        timers.remove(w);
        activeCount--;
    }

    void timerAgain(TimerWatcher w) {
        clearPending(w);
        if (w.active != 0) {
            if (w.repeatNanos > 0) {
                w.at = saturatedAdd(now, w.repeatNanos);
                timers.update(w);
            } else {
                timerStop(w);
            }
        } else if (w.repeatNanos > 0) {
            timerStart(w, w.repeatNanos);
        }
    }

    static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /** Queues every timer due by {@link #now}, in due order; re-arms repeating ones from their due time (no drift). */
    private void timersReify() {
        while (!timers.isEmpty() && timers.topAt() < now) {
            TimerWatcher w = (TimerWatcher) timers.top();
            if (w.repeatNanos > 0) {
                w.at = saturatedAdd(w.at, w.repeatNanos);
                if (w.at < now) w.at = now; // fell behind by more than a period: fire once, resume from now
                timers.update(w);
            } else {
                timerStop(w);
            }
            feed(w, Events.TIMER);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // idle, prepare, check, cleanup, async

    void idleStart(IdleWatcher w) {
        int p = w.priority - Watcher.MIN_PRIORITY;
        if (idleCount[p] == idles[p].length) idles[p] = Arrays.copyOf(idles[p], idleCount[p] * 2);
        idles[p][idleCount[p]++] = w;
        w.active = idleCount[p];
        idleAll++;
        activeCount++;
    }

    void idleStop(IdleWatcher w) {
        int p = w.priority - Watcher.MIN_PRIORITY;
        removeFromArray(idles[p], idleCount[p]--, w);
        idleAll--;
        activeCount--;
    }

    /** Queues the idle watchers of the highest priority that has any, unless something of that priority or higher is pending. */
    private void idleReify() {
        for (int p = NUM_PRI - 1; p >= 0; p--) {
            if (pendingLive[p] > 0) break;
            if (idleCount[p] > 0) {
                queueAll(idles[p], idleCount[p], Events.IDLE);
                break;
            }
        }
    }

    /** Swap-removes {@code w} (at {@code w.active - 1}) from an array holding {@code count} watchers. */
    private static void removeFromArray(Watcher[] ws, int count, Watcher w) {
        int i = w.active - 1;
        int last = count - 1;
        ws[i] = ws[last];
        ws[i].active = i + 1;
        ws[last] = null;
        w.active = 0;
    }

    private static Watcher[] append(Watcher[] ws, int count, Watcher w) {
        if (count == ws.length) ws = Arrays.copyOf(ws, count * 2);
        ws[count] = w;
        w.active = count + 1;
        return ws;
    }

    void prepareStart(PrepareWatcher w) {
        prepares = append(prepares, prepareCount++, w);
        activeCount++;
    }

    void prepareStop(PrepareWatcher w) {
        removeFromArray(prepares, prepareCount--, w);
        activeCount--;
    }

    void checkStart(CheckWatcher w) {
        checks = append(checks, checkCount++, w);
        activeCount++;
    }

    void checkStop(CheckWatcher w) {
        removeFromArray(checks, checkCount--, w);
        activeCount--;
    }

    /** Cleanup watchers do not keep the loop alive (libev unrefs them). */
    void cleanupStart(CleanupWatcher w) {
        cleanups = append(cleanups, cleanupCount++, w);
    }

    void cleanupStop(CleanupWatcher w) {
        removeFromArray(cleanups, cleanupCount--, w);
    }

    void asyncStart(AsyncWatcher w) {
        w.clearSent(); // as ev_async_start: a send before start is not carried over
        if (asyncCount == asyncs.length) asyncs = Arrays.copyOf(asyncs, asyncCount * 2);
        asyncs[asyncCount++] = w;
        w.active = asyncCount;
        activeCount++;
    }

    void asyncStop(AsyncWatcher w) {
        int i = w.active - 1;
        int last = --asyncCount;
        asyncs[i] = asyncs[last];
        asyncs[i].active = i + 1;
        asyncs[last] = null;
        w.active = 0;
        activeCount--;
    }

    /**
     * Any thread, after the watcher's sent flag was set: make sure the loop will look at its async watchers. Only the
     * first send since the loop last looked goes further; of those, only one that finds the loop blocked makes a
     * system call.
     */
    void asyncSend() {
        if (closed) throw new IllegalStateException("the event loop is closed");
        if (asyncPending.get() != 0 || asyncPending.getAndSet(1) != 0) return; // the loop will look anyway
        requestWakeup();
    }

    /**
     * Wakes the loop if it is blocked in, or about to enter, its backend wait; callable from any thread
     * ({@code ev_break} from another thread needs this plus an async watcher). At most one system call.
     */
    public void wakeup() {
        if (closed) throw new IllegalStateException("the event loop is closed");
        requestWakeup();
    }

    private void requestWakeup() {
        // Dekker with the loop: it sets wakeupWanted then reads wakeupSkipped; we set wakeupSkipped then read
        // wakeupWanted. Both volatile, so at least one side sees the other: the loop skips its wait, or we write.
        wakeupSkipped.set(1);
        if (wakeupWanted.get() != 0) {
            wakeupSkipped.set(0);
            if ((wakeupGate.incrementAndGet() & CLOSING_BIT) == 0) driver.wakeup();
            wakeupGate.decrementAndGet();
        }
    }

    /** Loop thread: runs after a wakeup (or a skipped one); queues every async watcher that was sent. */
    private void drainAsyncs() {
        wakeupSkipped.set(0);
        if (asyncPending.get() == 0) return;
        asyncPending.set(0); // before reading the flags: a send racing with this scan wakes us once more
        for (int i = 0; i < asyncCount; i++) {
            AsyncWatcher w = asyncs[i];
            if (w.takeSent()) feed(w, Events.ASYNC);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // close

    /**
     * Runs the cleanup watchers, stops every watcher and frees the backend and all native memory. Idempotent; must be
     * called on the loop's thread, outside {@link #run()}.
     *
     * @throws IllegalStateException from another thread, or from inside a callback of this loop
     */
    @Override
    public void close() {
        if (closed) return;
        checkOwner();
        if (depth > 0) throw new IllegalStateException("close() called from inside run(): call breakLoop(Break.ALL) and close after run returns");
        try {
            if (cleanupCount > 0) {
                queueAll(cleanups, cleanupCount, Events.CLEANUP);
                invokePending();
            }
        } finally {
            closed = true;
            if ((wakeupGate.getAndAdd(CLOSING_BIT) & ~CLOSING_BIT) != 0) {
                while ((wakeupGate.get() & ~CLOSING_BIT) != 0) Thread.onSpinWait();
            }
            try {
                driver.close();
            } finally {
                arena.close();
            }
        }
    }

    /** Whether {@link #close()} has run. Callable from any thread. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "EventLoop[" + backend.id() + (closed ? ", closed" : "") + "]";
    }
}
