package dev.evring;

import java.time.Duration;
import java.time.Instant;

/**
 * A timer on the wall clock (libev's {@code ev_periodic}), in one of libev's three modes:
 * <ul>
 * <li><b>absolute</b> ({@code interval} 0, no reschedule function): fires once, when the wall clock reaches
 *     {@code offset} (nanoseconds since the epoch), even if the clock is set forwards or backwards meanwhile; then
 *     stops.</li>
 * <li><b>interval</b> ({@code interval} &gt; 0): fires at every {@code offset + N * interval} of the wall clock, so it
 *     never drifts: {@code offset} 0 and {@code interval} one hour fires on every full hour, whatever the clock does.
 *     A loop that falls behind fires once and resumes at the next point ahead.</li>
 * <li><b>reschedule function</b>: the function is asked, with the current wall-clock time, when to fire next (at
 *     start, after each firing and after a clock jump); it must answer a time not before the one it is given.</li>
 * </ul>
 * When the wall clock jumps (moves by a second or more against the monotonic clock), the loop reschedules every
 * periodic watcher (interval and function modes recompute their next time; absolute ones keep theirs); timers
 * ({@link TimerWatcher}) are not affected.
 *
 * <p>Time is {@code long} nanoseconds since the epoch, as {@link EventLoop#realtimeNanos()}. The callback sees
 * {@link Events#PERIODIC}.
 */
public final class PeriodicWatcher extends Watcher {
    /** Smallest interval, as libev's MIN_INTERVAL (1/8192 s): a shorter one would let the loop spin. */
    public static final long MIN_INTERVAL_NANOS = 122_071L;

    /**
     * When a periodic in function mode fires next (libev's {@code reschedule_cb}). Called on the loop's thread, with
     * the loop's wall-clock time; it must return a time not before {@code nowNanos}, must not start or stop periodic
     * watchers, and should not allocate if it runs often.
     */
    @FunctionalInterface
    public interface Reschedule {
        long next(PeriodicWatcher watcher, long nowNanos);
    }

    long offsetNanos;
    long intervalNanos;
    Reschedule reschedule;
    private final Callback<PeriodicWatcher> callback;

    PeriodicWatcher(EventLoop loop, long offsetNanos, long intervalNanos, Reschedule reschedule, Callback<PeriodicWatcher> callback) {
        super(loop);
        this.callback = EventLoop.requireCallback(callback);
        this.offsetNanos = offsetNanos;
        this.intervalNanos = checkInterval(intervalNanos);
        this.reschedule = reschedule;
    }

    static long checkInterval(long intervalNanos) {
        if (intervalNanos < 0) throw new IllegalArgumentException("interval " + intervalNanos + "ns is negative");
        if (intervalNanos > 0 && intervalNanos < MIN_INTERVAL_NANOS) {
            throw new IllegalArgumentException("interval " + intervalNanos + "ns is below the minimum of " + MIN_INTERVAL_NANOS + "ns");
        }
        return intervalNanos;
    }

    static long epochNanos(Instant at) {
        if (at == null) throw new IllegalArgumentException("time is null");
        try {
            return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000_000L), at.getNano());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("time " + at + " is outside the years 1678 to 2262 that nanoseconds since the epoch can hold");
        }
    }

    /**
     * Makes this an interval periodic: fires at every {@code offset + N * interval}. Every {@code set} acts as
     * {@link #stop()} (a pending event is dropped), the change, then {@link #start()} if it was active.
     */
    public PeriodicWatcher set(Duration offset, Duration interval) {
        if (offset == null) throw new IllegalArgumentException("offset is null");
        return setNanos(TimerWatcher.saturatedNanos(offset), TimerWatcher.toNanos("interval", interval));
    }

    /**
     * libev's {@code ev_periodic_set(offset, interval, 0)} in nanoseconds: interval 0 makes {@code offset} an absolute
     * wall-clock time. Drops a reschedule function. Restarts an active watcher.
     */
    public PeriodicWatcher setNanos(long offsetNanos, long intervalNanos) {
        loop.checkOwner();
        checkInterval(intervalNanos);
        loop.clearPending(this);
        boolean wasActive = active != 0;
        if (wasActive) loop.periodics().stop(this);
        this.offsetNanos = offsetNanos;
        this.intervalNanos = intervalNanos;
        this.reschedule = null;
        if (wasActive) loop.periodics().start(this);
        return this;
    }

    /** Makes this an absolute periodic, firing once at {@code at}; restarts an active watcher. */
    public PeriodicWatcher set(Instant at) {
        return setNanos(epochNanos(at), 0);
    }

    /** Makes this a function-mode periodic; restarts an active watcher. */
    public PeriodicWatcher set(Reschedule reschedule) {
        loop.checkOwner();
        if (reschedule == null) throw new IllegalArgumentException("reschedule function is null");
        loop.clearPending(this);
        boolean wasActive = active != 0;
        if (wasActive) loop.periodics().stop(this);
        this.reschedule = reschedule;
        if (wasActive) loop.periodics().start(this);
        return this;
    }

    public long offsetNanos() {
        loop.checkOwner();
        return offsetNanos;
    }

    public long intervalNanos() {
        loop.checkOwner();
        return intervalNanos;
    }

    /** The reschedule function, or null in absolute and interval modes. */
    public Reschedule reschedule() {
        loop.checkOwner();
        return reschedule;
    }

    /** The wall-clock time it fires next, in nanoseconds since the epoch ({@code ev_periodic_at}); meaningful while active. */
    public long atNanos() {
        loop.checkOwner();
        return at;
    }

    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.periodics().start(this);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.periodics().stop(this);
    }

    /** Stops (dropping a pending event) and starts again, recomputing the next time ({@code ev_periodic_again}). */
    public void again() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.periodics().stop(this);
        loop.periodics().start(this);
    }

    @Override
    void invoke(int revents) throws Exception {
        callback.onEvent(this, revents);
    }

    @Override
    Object callback() {
        return callback;
    }
}
