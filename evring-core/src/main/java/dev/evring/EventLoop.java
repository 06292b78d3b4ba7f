package dev.evring;

import dev.evring.backend.BackendCounters;
import dev.evring.backend.BackendHost;
import dev.evring.backend.BackendOptions;
import dev.evring.backend.LoopBackend;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Libc;
import dev.evring.uring.RingOps;


import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

/**
 * An event loop in libev's model: watchers for fds, timers and the rest, callbacks run by one thread in priority
 * order, one backend (io_uring, epoll or poll) to wait on.
 *
 * <h2>Thread contract</h2>
 * A loop belongs to the thread that opened it. Every method, and every method of its watchers, throws
 * {@link IllegalStateException} when called from another thread or after {@link #close()}, except the documented
 * cross-thread calls {@link #execute(Runnable)}, {@link #wakeup()}, {@link #isClosed()} and {@link AsyncWatcher#send()}.
 *
 * <h2>An iteration</h2>
 * As libev's {@code ev_run}: run prepare watchers; hand collected fd interest changes to the backend; update the
 * time (and, while periodic watchers are active, read the wall clock and look for jumps); compute the wait from the nearest timer
 * and periodic (none if idle watchers are active), raised to the timeout collect interval, after sleeping out the io
 * collect interval; poll the backend; queue expired timers, then due periodics, then idle watchers if nothing of
 * their priority or higher is pending, then check watchers; run the pending callbacks, highest priority first (or
 * hand them to the {@link #invokePendingHook invoke-pending hook}).
 *
 * <h2>Costs</h2>
 * An iteration makes one system call to wait (none more on io_uring, where fd changes ride along), plus what the
 * callbacks do. Starting and stopping watchers never makes a system call, and a loop in steady state allocates nothing
 * per event.
 *
 * <h2>Where the loop's parts live</h2>
 * This class is the public face of the loop (libev's whole {@code ev_loop} interface: the watcher factories, run
 * control, time, refs, execute, close) and {@link #run}, kept whole as {@code ev_run}. It stays above the 800 lines
 * the project aims at for that reason: about 500 of its lines are the Javadoc of its public methods (thread contract
 * and cost, as the guide asks) and blank lines. The rooms it used to hold are classes of their own: the pending
 * queues ({@code PendingQueue}), the fd table ({@code FdTable}), the cross-thread wakeup ({@code LoopWakeup}) and the
 * tasks of execute ({@code TaskQueue}), the timers ({@code Timers}, {@code TimerHeap}) and periodics
 * ({@code Periodics}), the watcher arrays ({@code WatcherList}), the failure policy ({@code ExceptionReporter}), the
 * internals handed to the layers above ({@code LoopInternals}), signals ({@code LoopSignals}) and inotify
 * ({@code InotifyHub}). Names: {@link Backend} is the public name of the multiplexer a loop runs on; the
 * {@code backend.LoopBackend} behind it is its implementation, driven through libev's backend contract; the loop's
 * side of that contract is a {@code backend.BackendHost}.
 */
public final class EventLoop implements AutoCloseable, Executor {
    private static final System.Logger LOG = System.getLogger("dev.evring");

    /** libev's MAX_BLOCKTIME: even with nothing to do the loop wakes up now and then (keeps clock jumps in check). */
    static final long MAX_BLOCK_NANOS = 59_743_000_000L;
    /** libev's MIN_TIMEJUMP: the wall clock moving this much against the monotonic one is a jump, not drift. */
    static final long MIN_TIMEJUMP_NANOS = 1_000_000_000L;
    private static final int NUM_PRI = PendingQueue.NUM_PRI;

    /** How far a nested or outer {@link #run} should unwind on {@link #breakLoop}. */
    public enum Break {
        /** Make the innermost {@code run} return. */
        ONE,
        /** Make every nested {@code run} return. */
        ALL,
        /** Take back a break asked for earlier in this iteration ({@code EVBREAK_CANCEL}). */
        CANCEL
    }

    /**
     * Receives what a callback threw, on the loop's thread; the loop goes on with the remaining callbacks either way.
     * {@code source} says whose callback it was: the {@link Watcher}; for completion I/O ({@code dev.evring.net}) the
     * socket, listener or file whose callback threw; the {@link Runnable} given to {@link #execute}; the
     * {@link InvokePendingHook} or a periodic's reschedule function's watcher. Never null.
     *
     * <p>A handler that throws is reported through the {@code dev.evring} {@link System.Logger}, and if even that fails
     * a line goes to standard error; it never stops the loop. Which errors the loop does not survive (and does not
     * report): {@link OutOfMemoryError}, {@link InternalError}, {@link UnknownError}; see the README.
     */
    @FunctionalInterface
    public interface ExceptionHandler {
        void onException(Object source, Throwable error);
    }

    /**
     * Replaces the loop's invocation of pending callbacks (libev's {@code ev_set_invoke_pending_cb}): the loop calls
     * it wherever it would run them, and it is expected to call {@link EventLoop#invokePending()} (at once, or after
     * taking a lock, or counting, ...). What it throws goes to the exception handler.
     */
    @FunctionalInterface
    public interface InvokePendingHook {
        void invokePending(EventLoop loop) throws Exception;
    }

    /**
     * Told once when the loop's graceful shutdown begins ({@link EventLoop#shutdownGracefully}, or its
     * {@link LoopGroup}'s): stop taking new work (close listening sockets), and finish what is in flight by
     * {@code deadlineNanos} (on the loop's clock, {@link EventLoop#now()}), after which the loop's {@code run()} returns
     * and its owner closes it. Whatever is still active keeps the loop running until then, so a connection that is
     * still sending its last reply needs nothing more than to stay open until it is done. Called on the loop's thread;
     * what it throws goes to the exception handler.
     */
    @FunctionalInterface
    public interface ShutdownListener {
        void onShutdown(EventLoop loop, long deadlineNanos) throws Exception;
    }

    /** The callback of {@link EventLoop#once}: {@code revents} is READ and/or WRITE, or TIMER on timeout. */
    @FunctionalInterface
    public interface OnceCallback {
        void onEvent(int revents) throws Exception;
    }

    /** Something a watcher holds that must be given back when the loop closes under it (a pidfd, the inotify fd). */
    interface Resource {
        void release();
    }

    /** The loop's view of time, replaceable for tests. Both in nanoseconds. */
    public interface Clock {
        /** A monotonic clock: never jumps, only its differences mean anything. */
        long monotonicNanos();

        /** Wall-clock time since the epoch, which may jump when the system clock is set. */
        long realtimeNanos();

        /**
         * The clocks of the system: {@link System#nanoTime()} and {@code clock_gettime(CLOCK_REALTIME)}; neither
         * allocates.
         */
        Clock SYSTEM = new Clock() {
            @Override
            public long monotonicNanos() {
                return System.nanoTime();
            }

            @Override
            public long realtimeNanos() {
                return SystemClock.realtimeNanos();
            }
        };
    }


    static {
        LoopAccess.install(new LoopInternals());
    }

    // activeCount and iteration, read by other threads for stats and load with getOpaque: a whole, fresh-enough value,
    // for no cost on the loop's side (iteration is written with setOpaque, activeCount is an int)
    private static final VarHandle ACTIVE_COUNT;
    private static final VarHandle ITERATION;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ACTIVE_COUNT = l.findVarHandle(EventLoop.class, "activeCount", int.class);
            ITERATION = l.findVarHandle(EventLoop.class, "iteration", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The loop of this thread whose {@link WakeSender} its wakeups of other loops use ({@link LoopWakeup} asks it
     * first): the first loop the thread opened that has one, until that loop closes.
     */
    private static final ThreadLocal<EventLoop> SENDING = new ThreadLocal<>();

    // run flags and break states, as libev's EVRUN_* and EVBREAK_*
    private static final int RUN_ONCE = 1;
    private static final int RUN_NOWAIT = 2;
    private static final int BREAK_CANCEL = 0;
    private static final int BREAK_ONE = 1;
    private static final int BREAK_ALL = 2;

    private final Thread owner;
    private final Arena arena;
    private final MemorySegment callState;
    /** Which multiplexer this is (the public name); {@link #backend} is its implementation. */
    private final Backend kind;
    /** The backend behind the contract the loop drives (libev's backend_modify, backend_poll). */
    private final LoopBackend backend;
    private final List<String> backendRefusals;
    private final ExceptionReporter reporter;
    private final Clock clock;
    private final BackendOptions options;
    private volatile boolean closed;
    /** close() has begun: a close() from a task or cleanup watcher it runs returns at once. */
    private boolean closing;

    // time: the monotonic now and the wall clock's offset from it (libev's rtmn_diff): ev_rt_now is now + rtmnDiff
    private long now;
    private long rtmnDiff;
    private boolean suspended;
    private long suspendedAt;
    private long ioCollectNanos;
    private long timeoutCollectNanos;
    private InvokePendingHook invokePendingHook;

    // run state
    private int activeCount;
    private int loopDone;
    private int depth;
    private long iteration;

    /** Time waiting and working, callbacks run, and the loop's JFR events (made on the owner thread, as the loop). */
    private final LoopMetrics metrics = new LoopMetrics();
    private final PendingQueue pending = new PendingQueue(this);
    private final FdTable fds = new FdTable(this, pending);
    /** How other threads wake the loop; made with the backend. */
    private final LoopWakeup wakeup;
    /** The tasks of {@link #execute}. */
    private final TaskQueue tasks;
    /** This loop's way to wake other loops from its thread, if it has one besides their backends (see WakeSender). */
    private WakeSender wakeSender;
    private final LoopShutdown shutdown = new LoopShutdown(this);
    private final Timers timers = new Timers(this);
    private final Periodics periodics = new Periodics(this);
    /** Created with the first signal watcher (the JVM's signal thread reaches it through SignalRegistry, not here). */
    private LoopSignals signals;
    private InotifyHub inotify;
    private boolean inotifyTried;
    /** What watchers hold that close() must give back (cold: changes on child and stat start/stop only). */
    private final List<Resource> resources = new ArrayList<>();

    // idle watchers by priority; prepare, check, async, cleanup watchers in flat arrays
    @SuppressWarnings("unchecked")
    private final WatcherList<IdleWatcher>[] idles = new WatcherList[NUM_PRI];
    private int idleAll;
    private final WatcherList<PrepareWatcher> prepares = new WatcherList<>(4);
    private final WatcherList<CheckWatcher> checks = new WatcherList<>(4);
    private final WatcherList<AsyncWatcher> asyncs = new WatcherList<>(4);
    private final WatcherList<CleanupWatcher> cleanups = new WatcherList<>(4);

    private Object userData;

    private EventLoop(Builder b) {
        this.owner = Thread.currentThread();
        this.clock = b.clock;
        this.reporter = new ExceptionReporter(b.exceptionHandler);
        this.options = new BackendOptions(b.options);
        // first what can fail by the caller's doing (a bad option, a clock that throws), before anything is opened
        // that would then leak. loop.wakeup_messages=false keeps other loops' wakeups on the eventfd (for comparison)
        boolean wakeupMessages = options.flag("loop.wakeup_messages", true);
        long mono = clock.monotonicNanos();
        long realtime = clock.realtimeNanos();
        this.arena = Arena.ofConfined();
        this.callState = Libc.allocateCallState(arena);
        for (int p = 0; p < NUM_PRI; p++) idles[p] = new WatcherList<>(2);
        BackendSelector.Selection sel;
        try {
            metrics.configure(options, clock.monotonicNanos()); // a bad loop.* option is refused before anything opens
            sel = BackendSelector.select(b.backend, options, new Host(), arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        this.kind = sel.kind();
        this.backend = sel.backend();
        this.wakeup = new LoopWakeup(backend);
        this.tasks = new TaskQueue(this);
        RingOps ring = backend.ringOps();
        if (ring != null && ring.messagesSupported() && wakeupMessages) sendWakeupsThrough(new RingWakeSender(ring));
        this.backendRefusals = List.copyOf(sel.refusals());
        this.now = mono;
        this.rtmnDiff = realtime - mono;
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
        private ExceptionHandler exceptionHandler = ExceptionReporter.LOG_HANDLER;
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

        /** A builder with the same settings, for opening loops like this one on other threads ({@link LoopGroup}). */
        Builder copy() {
            Builder b = new Builder();
            b.backend = backend;
            b.exceptionHandler = exceptionHandler;
            b.clock = clock;
            b.options.putAll(options);
            return b;
        }

        /**
         * Opens the loop; the calling thread owns it.
         *
         * @throws IllegalStateException if an explicitly chosen backend cannot open here (the message says why)
         */
        public EventLoop open() {
            EventLoop loop = new EventLoop(this);
            LoopEvents.opened(loop);
            return loop;
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

    /**
     * A watcher for {@code fd} becoming readable and/or writable ({@code events}: {@link Events#READ}, WRITE). Not
     * started. An fd that is not open gets {@link Events#ERROR} once started (see {@link IoWatcher}).
     *
     * @throws IllegalArgumentException for a bad mask, or an fd no file can have: negative, or at or above the
     *                                  process's hard RLIMIT_NOFILE
     */
    public IoWatcher io(int fd, int events, Watcher.Callback<IoWatcher> callback) {
        checkOwner();
        return new IoWatcher(this, fd, events, callback);
    }

    /**
     * A timer firing {@code after} from when it is started, then every {@code repeat} (zero: once). Not started. A
     * negative {@code after} is due at once: the timer fires at the next iteration (libev's way). Timers due at the
     * same time fire in the order they were started.
     *
     * @throws IllegalArgumentException if {@code repeat} is negative, or either is null
     */
    public TimerWatcher timer(Duration after, Duration repeat, Watcher.Callback<TimerWatcher> callback) {
        checkOwner();
        return new TimerWatcher(this, TimerWatcher.delayNanos("after", after), TimerWatcher.toNanos("repeat", repeat), callback);
    }

    /** {@link #timer(Duration, Duration, Watcher.Callback)} in nanoseconds. */
    public TimerWatcher timer(long afterNanos, long repeatNanos, Watcher.Callback<TimerWatcher> callback) {
        checkOwner();
        return new TimerWatcher(this, TimerWatcher.delayNanos(afterNanos), TimerWatcher.checkNanos("repeat", repeatNanos), callback);
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

    /**
     * An absolute periodic: fires once, when the wall clock reaches {@code at}; a time already past fires at the next
     * iteration. Not started.
     */
    public PeriodicWatcher periodic(Instant at, Watcher.Callback<PeriodicWatcher> callback) {
        checkOwner();
        return new PeriodicWatcher(this, PeriodicWatcher.epochNanos(at), 0, null, callback);
    }

    /**
     * An interval periodic: fires at every {@code offset + N * interval} of the wall clock ({@code offset} zero and
     * {@code interval} one hour: on every full hour; any {@code offset}, negative too, names the same points as its
     * remainder by {@code interval}). Not started.
     */
    public PeriodicWatcher periodic(Duration offset, Duration interval, Watcher.Callback<PeriodicWatcher> callback) {
        checkOwner();
        long i = TimerWatcher.toNanos("interval", interval);
        if (i == 0) throw new IllegalArgumentException("interval is zero: use periodic(Instant, callback) for an absolute time");
        if (offset == null) throw new IllegalArgumentException("offset is null");
        return new PeriodicWatcher(this, TimerWatcher.saturatedNanos(offset), i, null, callback);
    }

    /**
     * libev's {@code ev_periodic_init(offset, interval, 0)} in nanoseconds: {@code interval} 0 makes {@code offset}
     * an absolute wall-clock time (nanoseconds since the epoch). Not started.
     */
    public PeriodicWatcher periodic(long offsetNanos, long intervalNanos, Watcher.Callback<PeriodicWatcher> callback) {
        checkOwner();
        return new PeriodicWatcher(this, offsetNanos, intervalNanos, null, callback);
    }

    /** A periodic whose next time {@code reschedule} computes. Not started. */
    public PeriodicWatcher periodic(PeriodicWatcher.Reschedule reschedule, Watcher.Callback<PeriodicWatcher> callback) {
        checkOwner();
        if (reschedule == null) throw new IllegalArgumentException("reschedule function is null");
        return new PeriodicWatcher(this, 0, 0, reschedule, callback);
    }

    /**
     * A watcher for a signal, by name ({@code "TERM"} or {@code "SIGTERM"}). Not started.
     *
     * @throws IllegalArgumentException for an unknown name, or a signal the JVM keeps for itself (see {@link SignalWatcher})
     */
    public SignalWatcher signal(String name, Watcher.Callback<SignalWatcher> callback) {
        checkOwner();
        return new SignalWatcher(this, SignalWatcher.parse(name), callback);
    }

    /** A watcher for the exit of {@code process}, which keeps working with {@link Process#waitFor()}. Not started. */
    public ChildWatcher child(Process process, Watcher.Callback<ChildWatcher> callback) {
        checkOwner();
        return new ChildWatcher(this, ChildWatcher.pidOf(process), process, callback);
    }

    /** A watcher for the exit of the child process {@code pid}. Not started. */
    public ChildWatcher child(int pid, Watcher.Callback<ChildWatcher> callback) {
        checkOwner();
        return new ChildWatcher(this, pid, null, callback);
    }

    /**
     * A watcher for changes of {@code path}'s attributes, polling every {@code interval} besides inotify (zero: libev's
     * default of about 5 s). Not started.
     */
    public StatWatcher stat(Path path, Duration interval, Watcher.Callback<StatWatcher> callback) {
        checkOwner();
        return new StatWatcher(this, path, TimerWatcher.toNanos("interval", interval), callback);
    }

    /**
     * Embeds {@code other} (a loop of the same thread, on epoll or io_uring) in this one; with a null callback its
     * ready watchers run automatically. Not started.
     *
     * @throws IllegalArgumentException if {@code other} is this loop, belongs to another thread, or runs on poll
     */
    public EmbedWatcher embed(EventLoop other, Watcher.Callback<EmbedWatcher> callback) {
        checkOwner();
        return new EmbedWatcher(this, other, callback);
    }

    /**
     * libev's {@code ev_once}: calls {@code callback} once, when {@code fd} is ready for {@code events} or when
     * {@code timeout} has passed, whichever comes first, then forgets both. {@code fd} negative: the timeout only;
     * {@code timeout} null: the fd only; a negative timeout is due at once (the callback runs at the next iteration
     * with TIMER, unless the fd is ready too). Started at once; cannot be cancelled (as in libev): use watchers for that.
     */
    public void once(int fd, int events, Duration timeout, OnceCallback callback) {
        checkOwner();
        requireCallback(callback);
        if (fd >= 0) {
            IoWatcher.validate(fd, events);
            checkFd(fd);
        }
        long t = timeout == null ? -1 : TimerWatcher.delayNanos("timeout", timeout);
        if (fd < 0 && t < 0) throw new IllegalArgumentException("once needs an fd, a timeout, or both: fd " + fd + ", timeout null");
        new Once(this, fd, events, t, callback).start();
    }

    // ------------------------------------------------------------------------------------------------------------
    // loop state

    /** The backend this loop runs on. */
    public Backend backend() {
        checkOwner();
        return kind;
    }

    /**
     * What the backend uses (for io_uring: the features found and used) and, if it is not the first choice, why the
     * better ones were refused, in words a user can act on.
     */
    public String backendDetails() {
        checkOwner();
        String d = backend.details();
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

    /**
     * Reads the clocks again ({@code ev_now_update}): for a callback that ran long and starts timers, or that wants a
     * fresh {@link #realtimeNanos()}. Clock reads, no system call.
     */
    public void updateNow() {
        checkOwner();
        timeUpdate(true);
    }

    /**
     * The wall-clock time of the loop's current iteration, in nanoseconds since the epoch (libev's {@code ev_now}, which
     * is wall-clock time there; evring's {@link #now()} is monotonic). Periodic watchers are scheduled against it.
     * Loops with active periodic watchers read the wall clock on every iteration; others derive it from the monotonic
     * clock and the offset between the two measured when the loop opened, at {@link #updateNow()}, or when a first
     * periodic started, so a clock set meanwhile shows only after {@link #updateNow()}.
     */
    public long realtimeNanos() {
        checkOwner();
        return now + rtmnDiff;
    }

    long realtimeNanosUnchecked() {
        return now + rtmnDiff;
    }

    /**
     * libev's time_update: the monotonic time, and the wall clock of the same moment. With {@code readRealtime} (the
     * loop passes it while periodics are active, so loops without them never read the wall clock) the wall clock is
     * read too, and if it moved against the monotonic clock by a second or more since the last look, it jumped and the
     * periodics are rescheduled. Timers run on the monotonic clock and do not care. Returns whether it rescheduled.
     */
    private boolean timeUpdate(boolean readRealtime) {
        long mono = clock.monotonicNanos();
        now = mono;
        if (!readRealtime) return false;
        long oldDiff = rtmnDiff;
        long rt = clock.realtimeNanos();
        // as libev, look a few times before deciding: a thread preempted between the two reads looks like a jump
        for (int tries = 3; ; ) {
            rtmnDiff = rt - mono;
            if (Math.abs(oldDiff - rtmnDiff) < MIN_TIMEJUMP_NANOS) return false;
            if (--tries == 0) break;
            rt = clock.realtimeNanos();
            mono = clock.monotonicNanos();
            now = mono;
        }
        if (periodics.isEmpty()) return false;
        periodics.reschedule(now + rtmnDiff);
        return true;
    }

    /**
     * A first periodic starts: measure the offset between the clocks afresh (it may be stale in a loop that has not
     * read the wall clock for a while), keeping the iteration's monotonic {@link #now}.
     */
    void resyncRealtime() {
        rtmnDiff = clock.realtimeNanos() - clock.monotonicNanos();
    }

    /**
     * Stops the loop's clock ({@code ev_suspend}), for example before the process is stopped or the machine sleeps:
     * until {@link #resume()}, time spent does not count against timers. Do not run the loop while it is suspended.
     *
     * @throws IllegalStateException if the loop is suspended already
     */
    public void suspend() {
        checkOwner();
        if (suspended) throw new IllegalStateException("the loop is suspended already");
        timeUpdate(true);
        suspendedAt = now;
        suspended = true;
    }

    /**
     * Restarts the loop's clock ({@code ev_resume}): every timer is pushed back by the time spent suspended, so it has
     * as long to go as it had at {@link #suspend()}; periodic watchers are rescheduled against the wall clock.
     *
     * @throws IllegalStateException if the loop is not suspended
     */
    public void resume() {
        checkOwner();
        if (!suspended) throw new IllegalStateException("the loop is not suspended");
        suspended = false;
        boolean rescheduled = timeUpdate(true); // a clock jump (the usual case after a sleep) reschedules already
        long delta = now - suspendedAt;
        if (delta > 0) timers.shiftAll(delta);
        if (!rescheduled) periodics.reschedule(now + rtmnDiff);
    }

    /** Whether {@link #suspend()} was called without {@link #resume()} yet. */
    public boolean isSuspended() {
        checkOwner();
        return suspended;
    }

    /**
     * libev's {@code ev_set_io_collect_interval}: each iteration lasts at least this long (the loop sleeps out the rest
     * before polling), so fd events arriving close together are handled in one batch: fewer iterations and system
     * calls, for up to this much more latency. Zero (the default) turns it off. Only iterations that would block sleep.
     */
    public void ioCollectInterval(Duration interval) {
        checkOwner();
        ioCollectNanos = TimerWatcher.toNanos("io collect interval", interval);
    }

    public Duration ioCollectInterval() {
        checkOwner();
        return Duration.ofNanos(ioCollectNanos);
    }

    /**
     * libev's {@code ev_set_timeout_collect_interval}: the loop never blocks for less than this when it waits for a
     * timer, so timers due close together fire in one batch, up to this much late. Zero (the default) turns it off.
     */
    public void timeoutCollectInterval(Duration interval) {
        checkOwner();
        timeoutCollectNanos = TimerWatcher.toNanos("timeout collect interval", interval);
    }

    public Duration timeoutCollectInterval() {
        checkOwner();
        return Duration.ofNanos(timeoutCollectNanos);
    }

    /**
     * Installs a hook that runs instead of the loop's own invocation of pending callbacks (libev's
     * {@code ev_set_invoke_pending_cb}); null restores the default. The hook should call {@link #invokePending()}.
     */
    public void invokePendingHook(InvokePendingHook hook) {
        checkOwner();
        this.invokePendingHook = hook;
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
        return pending.count();
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

    /**
     * Makes the innermost ({@link Break#ONE}) or every ({@link Break#ALL}) running {@code run} return after the current
     * callbacks, or takes such a request back ({@link Break#CANCEL}).
     */
    public void breakLoop(Break how) {
        checkOwner();
        if (how == null) throw new IllegalArgumentException("break mode is null");
        loopDone = switch (how) {
            case ONE -> BREAK_ONE;
            case ALL -> BREAK_ALL;
            case CANCEL -> BREAK_CANCEL;
        };
    }

    private boolean run(int flags) {
        checkOwner();
        if (suspended) throw new IllegalStateException("the loop is suspended: call resume() before running it");
        depth++;
        try {
            loopDone = BREAK_CANCEL;
            invokeAllPending(); // a nested run first finishes what its caller left pending, in order
            do {
                if (prepares.size() > 0) {
                    prepares.feedAll(pending, Events.PREPARE);
                    invokeAllPending();
                }
                if (loopDone != BREAK_CANCEL || closed) break;

                fds.reify(backend);

                long prevNow = now;
                timeUpdate(!periodics.isEmpty());
                metrics.waitBegins(now);
                long wait = 0;
                boolean mayBlock = wakeup.enterWait();
                if ((flags & RUN_NOWAIT) == 0 && idleAll == 0 && activeCount > 0 && mayBlock && !tasks.hasWork()) {
                    wait = blockTime(prevNow);
                }
                ITERATION.setOpaque(this, iteration + 1);
                backend.poll(wait);
                if (wakeup.leaveWait()) drainAsyncs();

                timeUpdate(!periodics.isEmpty());
                metrics.waitEnds(now, wait, iteration);
                timers.reify(now);
                if (!periodics.isEmpty()) periodics.reify(now + rtmnDiff);
                if (idleAll > 0) idleReify();
                if (checks.size() > 0) checks.feedAll(pending, Events.CHECK);
                invokeAllPending();
            } while (alive() && loopDone == BREAK_CANCEL && (flags & (RUN_ONCE | RUN_NOWAIT)) == 0 && !closed);
            if (loopDone == BREAK_ONE) loopDone = BREAK_CANCEL;
            return alive();
        } finally {
            depth--;
        }
    }

    /** Whether something keeps the loop running: an active, referenced watcher, or a task not run yet. */
    private boolean alive() {
        return activeCount > 0 || tasks.hasWork();
    }

    /**
     * How long the coming poll may block: until the nearest timer or periodic, at most MAX_BLOCK_NANOS, at least the
     * timeout collect interval; part of it may be slept first to honour the io collect interval (libev's ev_run).
     */
    private long blockTime(long prevNow) {
        long wait = MAX_BLOCK_NANOS;
        if (!timers.isEmpty()) wait = Math.min(wait, timers.topAt() - now);
        if (!periodics.isEmpty()) wait = Math.min(wait, periodics.topAt() - (now + rtmnDiff));
        // backends round a wait up to their resolution (never early); an overdue timer polls without blocking
        wait = Math.max(0, wait);
        if (wait < timeoutCollectNanos) wait = timeoutCollectNanos;
        if (ioCollectNanos > 0) {
            long sleep = Math.min(ioCollectNanos - (now - prevNow), wait - backend.minWaitNanos());
            if (sleep > 0) {
                sleepNanos(sleep);
                wait -= sleep;
            }
        }
        return wait;
    }

    /** libev's ev_sleep, for the io collect interval; an interrupt ends it early (the interrupt stays set). */
    private static void sleepNanos(long nanos) {
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
            if (Thread.currentThread().isInterrupted()) return;
            LockSupport.parkNanos(left);
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
        fds.feed(fd, revents);
    }

    void feed(Watcher w, int revents) {
        pending.feed(w, revents);
    }

    int clearPending(Watcher w) {
        return pending.clear(w);
    }

    void feedAll(WatcherList<?> ws, int revents) {
        ws.feedAll(pending, revents);
    }

    /**
     * Runs every pending callback now, highest priority first ({@code ev_invoke_pending}): what an
     * {@link #invokePendingHook invoke-pending hook} calls. Callable from callbacks too.
     */
    public void invokePending() {
        checkOwner();
        invokePendingNow();
    }

    /** Where the loop runs pending callbacks: through the hook if one is installed (libev's EV_INVOKE_PENDING). */
    private void invokeAllPending() {
        InvokePendingHook hook = invokePendingHook;
        if (hook == null) {
            invokePendingNow();
            return;
        }
        try {
            hook.invokePending(this);
        } catch (Throwable t) {
            reportException(hook, t);
        }
    }

    private void invokePendingNow() {
        pending.invokeAll();
    }

    boolean isClosedUnchecked() {
        return closed;
    }

    /** Runs one watcher's callback; what it throws goes to the exception handler (see {@link ExceptionReporter}). */
    void invokeWatcher(Watcher w, int revents) {
        long t0 = metrics.callbackStarts(); // counts it; the clock only while a recording wants slow callbacks
        try {
            w.invoke(revents);
        } catch (Throwable t) {
            reportException(w, t);
        }
        metrics.end(t0, w, w.callback());
    }

    /** For watchers of this package, on the loop's thread. */
    void reportExceptionUnchecked(Object source, Throwable error) {
        reportException(source, error);
    }

    /**
     * Hands {@code error} to the exception handler; a handler that throws is logged, never propagated. Errors the loop
     * does not survive are rethrown (see {@link ExceptionReporter}).
     */
    private void reportException(Object source, Throwable error) {
        reporter.report(source, error);
    }

    // ------------------------------------------------------------------------------------------------------------
    // io watchers and fd reification

    void ioStart(IoWatcher w) {
        fds.start(w);
    }

    /** Refuses an fd no file can have (see {@link FdTable#check}). */
    void checkFd(int fd) {
        fds.check(fd);
    }

    void ioStop(IoWatcher w) {
        fds.stop(w);
    }

    /** The loop's side of the backend contract; a separate object so the public class exposes none of it. */
    private final class Host implements BackendHost {
        @Override
        public void fdEvent(int fd, int revents) {
            fds.backendEvent(fd, revents);
        }

        @Override
        public void fdKill(int fd) {
            fds.kill(fd);
        }

        @Override
        public int fdWanted(int fd) {
            return fds.wanted(fd);
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
        timers.start(w, afterNanos, now);
    }

    void timerStop(TimerWatcher w) {
        timers.stop(w);
    }

    void timerAgain(TimerWatcher w) {
        clearPending(w);
        timers.again(w, now);
    }

    // ------------------------------------------------------------------------------------------------------------
    // idle, prepare, check, cleanup, async

    void idleStart(IdleWatcher w) {
        idles[w.priority - Watcher.MIN_PRIORITY].add(w);
        idleAll++;
        activeCount++;
    }

    void idleStop(IdleWatcher w) {
        idles[w.priority - Watcher.MIN_PRIORITY].remove(w);
        idleAll--;
        activeCount--;
    }

    /** Queues the idle watchers of the highest priority that has any, unless something of that priority or higher is pending. */
    private void idleReify() {
        for (int p = NUM_PRI - 1; p >= 0; p--) {
            if (pending.anyAt(p)) break;
            if (idles[p].size() > 0) {
                idles[p].feedAll(pending, Events.IDLE);
                break;
            }
        }
    }

    void prepareStart(PrepareWatcher w) {
        prepares.add(w);
        activeCount++;
    }

    void prepareStop(PrepareWatcher w) {
        prepares.remove(w);
        activeCount--;
    }

    void checkStart(CheckWatcher w) {
        checks.add(w);
        activeCount++;
    }

    void checkStop(CheckWatcher w) {
        checks.remove(w);
        activeCount--;
    }

    /** Cleanup watchers do not keep the loop alive (libev unrefs them). */
    void cleanupStart(CleanupWatcher w) {
        cleanups.add(w);
    }

    void cleanupStop(CleanupWatcher w) {
        cleanups.remove(w);
    }

    void asyncStart(AsyncWatcher w) {
        w.clearSent(); // as ev_async_start: a send before start is not carried over
        asyncs.add(w);
        activeCount++;
    }

    void asyncStop(AsyncWatcher w) {
        asyncs.remove(w);
        activeCount--;
    }

    /**
     * Any thread, after the watcher's sent flag was set: make sure the loop will look at its async watchers. Only the
     * first send since the loop last looked goes further; of those, only one that finds the loop blocked makes a
     * system call.
     */
    void asyncSend() {
        if (closed) throw new IllegalStateException("the event loop is closed");
        wakeup.markPending();
    }

    /**
     * Runs {@code task} on the loop's thread, after the tasks submitted before it (from any thread: submission order is
     * the order the calls took effect), and before the loop closes. Callable from any thread, the loop's own included
     * (the task then runs at the next iteration, never inside this call).
     *
     * <p>Tasks run in batches: when the loop wakes it takes every task queued so far and runs them in order, as one
     * callback among the iteration's others (priority 0, with the async watchers); what they submit runs at the next
     * iteration. A task that throws goes to the {@link ExceptionHandler} (its {@code source} is the task) and the
     * batch goes on. A task not run yet keeps the loop running, as an active watcher does; a loop whose {@code run()}
     * has returned runs later tasks at its next {@code run()} (keep one running, or {@link #ref()} it, to serve tasks).
     *
     * <p>{@link #close()} first refuses new tasks, then runs every task accepted before, then the cleanup watchers.
     *
     * <p>Costs: on the caller's side an array store under a lock shared with other submitters, and at most one wakeup
     * system call (an eventfd write, or a ring message on io_uring) for a burst of tasks: only the first task since the
     * loop last looked wakes it, and only if it is blocked in its wait. No allocation per task on either side once the
     * queue has grown to the largest burst.
     *
     * @throws NullPointerException       if {@code task} is null (the {@link Executor} contract)
     * @throws RejectedExecutionException once {@link #close()} has begun
     */
    @Override
    public void execute(Runnable task) {
        if (task == null) throw new NullPointerException("task is null");
        if (!tasks.offer(task)) throw new RejectedExecutionException("the event loop is closed (or closing): " + task + " was not accepted");
        wakeup.markPending();
    }

    /** Loop thread: runs one task of {@link #execute}; what it throws goes to the exception handler. */
    void runTask(Runnable task) {
        long t0 = metrics.start();
        try {
            task.run();
        } catch (Throwable t) {
            reportException(task, t);
        }
        metrics.end(t0, task, task);
    }

    /** How many wakeup system calls other threads made so far (tests). */
    int backendWakeupsForTest() {
        return wakeup.backendWakeups();
    }

    /** Loop thread: tasks are still waiting after a batch; look again at the next iteration. */
    void tasksPending() {
        wakeup.markPending();
    }

    /**
     * Wakes the loop if it is blocked in, or about to enter, its backend wait; callable from any thread
     * ({@code ev_break} from another thread needs this plus an async watcher). At most one system call.
     */
    public void wakeup() {
        if (closed) throw new IllegalStateException("the event loop is closed");
        wakeup.wake();
    }

    /** Any thread: the wake sender of the calling thread's loop, if it has one ({@link LoopWakeup#wake()} asks it). */
    static WakeSender wakeSenderOfThisThread() {
        EventLoop own = SENDING.get();
        return own == null ? null : own.wakeSender;
    }

    /**
     * Loop thread: this loop wakes other loops through {@code sender} (null: through their backends), and this thread's
     * wakeups of other loops go through this loop's sender, unless another loop of the thread has one already.
     */
    void sendWakeupsThrough(WakeSender sender) {
        if (Thread.currentThread() != owner) throw ownerFailure();
        this.wakeSender = sender;
        EventLoop own = SENDING.get();
        if (sender != null && own == null) SENDING.set(this);
        else if (sender == null && own == this) SENDING.remove();
    }

    /** The wake sender this loop has (tests). */
    WakeSender wakeSenderForTest() {
        return wakeSender;
    }

    /** Loop thread: runs after a wakeup (or a skipped one); queues every async watcher that was sent. */
    private void drainAsyncs() {
        if (!wakeup.takePending()) return;
        for (int i = 0, n = asyncs.size(); i < n; i++) {
            AsyncWatcher w = asyncs.get(i);
            if (w.takeSent()) feed(w, Events.ASYNC);
        }
        LoopSignals sigs = signals;
        if (sigs != null) sigs.dispatch();
        if (tasks.hasWork()) feed(tasks, Events.ASYNC);
    }

    /**
     * The JVM's signal thread, after marking a signal caught in {@link LoopSignals}: the same path as an async send,
     * but silent on a closed loop (a signal may race with close; close leaves the registry, so this is its last word).
     */
    void wakeupForSignal() {
        if (!closed) wakeup.markPending();
    }

    // ------------------------------------------------------------------------------------------------------------
    // graceful shutdown

    /**
     * Begins a graceful shutdown: at the loop's next iteration (as a task given to {@link #execute}, so tasks submitted
     * before this call run first), every {@link ShutdownListener} is told once, in the order they were added, with the
     * deadline {@code timeout} from then; from then on {@code run()} returns as soon as nothing keeps the loop alive
     * (everything drained), or at the deadline, whichever comes first, and the loop's owner closes it
     * ({@link LoopGroup} does this for its loops). A later call with an earlier deadline moves it closer
     * ({@code Duration.ZERO}: at once); one with a later deadline changes nothing. Callable from any thread; nothing
     * happens on a loop that is closed or closing.
     *
     * <p>Costs: one task (a lambda allocated), then one timer that does not keep the loop alive.
     *
     * @throws IllegalArgumentException if {@code timeout} is null or negative
     */
    public void shutdownGracefully(Duration timeout) {
        long t = TimerWatcher.toNanos("shutdown timeout", timeout);
        try {
            execute(() -> shutdown.begin(t));
        } catch (RejectedExecutionException closing) {
            // closed or closing: nothing left to shut down gracefully
        }
    }

    /** Loop thread: {@link #shutdownGracefully}'s task, for the group's own (which first releases its ref). */
    void beginShutdown(long timeoutNanos) {
        shutdown.begin(timeoutNanos);
    }

    /**
     * Adds a listener told when the loop's graceful shutdown begins (see {@link ShutdownListener}). Register one per
     * component (a server, a pool of connections), not per connection: removal looks through the list. A listener
     * added once the shutdown began is told at the next iteration. Loop thread.
     *
     * @throws IllegalArgumentException if {@code listener} is null
     */
    public void addShutdownListener(ShutdownListener listener) {
        checkOwner();
        shutdown.add(listener);
    }

    /** Removes a listener added before; false if it was not there (or was told already). Loop thread. */
    public boolean removeShutdownListener(ShutdownListener listener) {
        checkOwner();
        return shutdown.remove(listener);
    }

    /** Whether the loop's graceful shutdown has begun (its listeners were told). Loop thread. */
    public boolean isShuttingDown() {
        checkOwner();
        return shutdown.begun();
    }

    boolean isShuttingDownUnchecked() {
        return shutdown.begun();
    }

    // ------------------------------------------------------------------------------------------------------------
    // stats

    /**
     * The loop's counters now (see {@link LoopStats}): iterations, time waiting and working, callbacks, tasks, wakeups,
     * and its backend's system calls, SQEs, CQEs, overflows, rebuilds and messages. Callable from any thread, also after
     * close.
     *
     * <p>Costs: no system call, no lock, no clock read. On the loop's thread it allocates the record and nothing else,
     * and the figures are exact. On another thread it also allocates a small array for the backend's figures, and reads
     * each counter on its own as its writer last stored it (see {@link LoopStats}).
     */
    public LoopStats stats() {
        long[] c;
        if (Thread.currentThread() == metrics.owner) {
            c = statsScratch;
        } else {
            c = BackendCounters.newArray();
            VarHandle.acquireFence(); // the backend's counters are plain fields: read them afresh, never hoisted
        }
        backend.counters(c);
        return new LoopStats(kind, (long) ITERATION.getOpaque(this), (int) ACTIVE_COUNT.getOpaque(this), tasks.executed(),
                tasks.waiting(), wakeup.received(), wakeup.backendWakeups(), wakeup.messages(),
                metrics.waitNanos(), metrics.workNanos(), metrics.callbacks(),
                c[BackendCounters.ENTER_WAIT], c[BackendCounters.ENTER_SUBMIT], c[BackendCounters.SQES_SUBMITTED],
                c[BackendCounters.CQES_REAPED], c[BackendCounters.CQES_BACKEND], c[BackendCounters.CQES_HANDLERS],
                c[BackendCounters.CQES_STRAY], c[BackendCounters.CQES_STALE], c[BackendCounters.CQ_OVERFLOWS],
                c[BackendCounters.RING_REBUILDS], c[BackendCounters.MOVES_TO_EPOLL], c[BackendCounters.WAKEUPS_RECEIVED],
                c[BackendCounters.EPOLL_WAITS], c[BackendCounters.EPOLL_EVENTS], c[BackendCounters.POLL_CALLS],
                c[BackendCounters.POLL_EVENTS], c[BackendCounters.MESSAGES_SENT], c[BackendCounters.MESSAGES_RECEIVED]);
    }

    /** The loop's own array for its backend's counters, so that {@link #stats()} on its thread allocates only the record. */
    private final long[] statsScratch = BackendCounters.newArray();

    /** The loop's metrics (its JFR events and {@code LoopAccess.callbackTimer} use them). */
    LoopMetrics metrics() {
        return metrics;
    }

    /**
     * Any thread: how loaded the loop is, for {@link LoopGroup#leastLoaded()}: its active watchers and refs as of its
     * latest change, plus the tasks accepted and not run yet (which counts a hand-off the moment it is made).
     */
    long load() {
        return (int) ACTIVE_COUNT.getOpaque(this) + tasks.waiting();
    }

    // ------------------------------------------------------------------------------------------------------------
    // signals, resources and other services of the newer watchers

    LoopSignals signals() {
        LoopSignals s = signals;
        if (s == null) signals = s = new LoopSignals(this);
        return s;
    }

    Periodics periodics() {
        return periodics;
    }

    /**
     * Queues the watchers this loop has for signal {@code name} as if it had arrived ({@code ev_feed_signal_event}).
     *
     * @throws IllegalArgumentException for an unknown signal name
     */
    public void feedSignalEvent(String name) {
        checkOwner();
        int signum = SignalWatcher.number(name);
        LoopSignals s = signals;
        if (s != null) s.feed(signum);
    }

    /**
     * Delivers signal {@code name} to every loop in the process watching it, as if the process had received it
     * ({@code ev_feed_signal}). Callable from any thread.
     *
     * @throws IllegalArgumentException for an unknown signal name
     */
    public static void feedSignal(String name) {
        SignalRegistry.simulate(SignalWatcher.number(name));
    }

    /** The loop's inotify instance, opened with the first stat watcher; null if the kernel refuses one. */
    InotifyHub inotifyHub() {
        if (!inotifyTried) {
            inotifyTried = true;
            inotify = InotifyHub.open(this);
            if (inotify != null) addResource(inotify);
        }
        return inotify;
    }

    void addResource(Resource r) {
        resources.add(r);
    }

    void removeResource(Resource r) {
        resources.remove(r);
    }

    void activeDelta(int delta) {
        activeCount += delta;
    }

    MemorySegment callStateUnchecked() {
        return callState;
    }

    LoopBackend backendUnchecked() {
        return backend;
    }

    BackendOptions optionsUnchecked() {
        return options;
    }

    Arena arenaUnchecked() {
        return arena;
    }

    /** The fd another loop watches to embed this one, or -1. */
    int backendPollFd() {
        return closed ? -1 : backend.pollFd();
    }

    /** An embed watcher of another loop starts ({@code +1}) or stops ({@code -1}) embedding this one. */
    void embedded(int delta) {
        wakeup.embedded(delta);
    }

    boolean hasFdChanges() {
        return fds.hasChanges();
    }

    /** Hands collected fd changes to the backend now (the embedding loop's prepare phase does this). */
    void reifyFdChanges() {
        checkOwner();
        fds.reify(backend);
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
        if (closed || closing) return;
        checkOwner();
        if (depth > 0) throw new IllegalStateException("close() called from inside run(): call breakLoop(Break.ALL) and close after run returns");
        closing = true;
        try {
            tasks.close(); // execute() refuses from now on; what it accepted runs now, in order
            pending.clear(tasks);
            while (tasks.hasWork()) tasks.invoke(Events.ASYNC);
            if (cleanups.size() > 0) {
                cleanups.feedAll(pending, Events.CLEANUP);
                invokeAllPending();
            }
        } finally {
            reportTasksNotRun();
            LoopSignals sigs = signals;
            if (sigs != null) sigs.closeAll(); // before closed: no signal may wake a loop whose backend is gone
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).release();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "releasing " + resources.get(i) + " while closing " + this, e);
                }
            }
            resources.clear();
            LoopEvents.closed(this);
            if (SENDING.get() == this) SENDING.remove(); // its ring goes now
            closed = true;
            wakeup.shut();
            try {
                backend.close();
            } finally {
                arena.close();
            }
        }
    }

    /** After an error the loop does not survive cut close() short: accepted tasks are reported, never dropped silently. */
    private void reportTasksNotRun() {
        for (Runnable task : tasks.leftOver()) {
            try {
                reportException(task, new RejectedExecutionException("the event loop closed before " + task + " could run"));
            } catch (Throwable t) {
                // an error the loop does not survive, while already failing: the close goes on regardless
            }
        }
    }

    /** Whether {@link #close()} has run. Callable from any thread. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "EventLoop[" + kind.id() + (closed ? ", closed" : "") + "]";
    }
}
