package dev.evring;

import java.time.Duration;

/**
 * A relative timer on the loop's monotonic clock (libev's {@code ev_timer}): fires once {@code after} has elapsed
 * and then, if {@code repeat} is not zero, every {@code repeat}.
 *
 * <p>It never fires early: the callback runs only once the loop's clock has reached the due time. A repeating timer
 * is re-armed from the time it was due, not from when its callback ran, so it does not drift; if the loop fell more
 * than one period behind, it fires once and is re-armed from now (as libev).
 *
 * <p>Unlike libev, {@link #start()} always counts {@code after} from the current loop time (libev resumes the time
 * that was left at {@code ev_timer_stop}); use {@link #again()} for the "reset an inactivity timeout" idiom.
 */
public final class TimerWatcher extends Watcher {
    long afterNanos;
    long repeatNanos;
    private final Callback<TimerWatcher> callback;

    TimerWatcher(EventLoop loop, long afterNanos, long repeatNanos, Callback<TimerWatcher> callback) {
        super(loop);
        this.callback = EventLoop.requireCallback(callback);
        setNanos(afterNanos, repeatNanos);
    }

    static long checkNanos(String what, long nanos) {
        if (nanos < 0) throw new IllegalArgumentException(what + " " + nanos + "ns is negative");
        return nanos;
    }

    static long toNanos(String what, Duration d) {
        if (d == null) throw new IllegalArgumentException(what + " is null");
        if (d.isNegative()) throw new IllegalArgumentException(what + " " + d + " is negative");
        return saturatedNanos(d);
    }

    /** {@code d} in nanoseconds, {@code Long.MAX_VALUE} or {@code MIN_VALUE} where it does not fit. */
    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /**
     * A delay until something is due: a negative one means "already due" and counts as 0, as libev does (the timer fires
     * at the next iteration).
     */
    static long delayNanos(long nanos) {
        return Math.max(0, nanos);
    }

    /** {@link #delayNanos(long)} of a {@code Duration}. */
    static long delayNanos(String what, Duration d) {
        if (d == null) throw new IllegalArgumentException(what + " is null");
        return delayNanos(saturatedNanos(d));
    }

    /** Sets {@code after} and {@code repeat}; see {@link #setNanos}. */
    public TimerWatcher set(Duration after, Duration repeat) {
        return setNanos(delayNanos("after", after), toNanos("repeat", repeat));
    }

    /**
     * Sets {@code after} and {@code repeat} in nanoseconds: as {@link #stop()} (a pending expiry is dropped), the change,
     * then {@link #start()} if it was active. A negative {@code after} is 0: the timer is due at once (libev's way).
     *
     * @throws IllegalArgumentException if {@code repeat} is negative
     */
    public TimerWatcher setNanos(long afterNanos, long repeatNanos) {
        loop.checkOwner();
        checkNanos("repeat", repeatNanos);
        loop.clearPending(this);
        boolean wasActive = active != 0;
        if (wasActive) loop.timerStop(this);
        this.afterNanos = delayNanos(afterNanos);
        this.repeatNanos = repeatNanos;
        if (wasActive) loop.timerStart(this, this.afterNanos);
        return this;
    }

    /** The repeat interval in nanoseconds (0: fires once). */
    public long repeatNanos() {
        loop.checkOwner();
        return repeatNanos;
    }

    /** Changes the repeat interval; it takes effect the next time the timer fires or {@link #again()} is called. */
    public TimerWatcher repeat(Duration repeat) {
        loop.checkOwner();
        this.repeatNanos = toNanos("repeat", repeat);
        return this;
    }

    /** Starts the timer: it fires {@code after} from the loop's current time ({@link EventLoop#now()}). */
    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.timerStart(this, afterNanos);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.timerStop(this);
    }

    /**
     * libev's {@code ev_timer_again}: clears a pending event, then if the timer repeats, (re)starts it to fire
     * {@code repeat} from now; if it does not repeat, stops it. The cheap way to push back an inactivity timeout on
     * every bit of activity: O(log n), no allocation, no system call.
     */
    public void again() {
        loop.checkOwner();
        loop.timerAgain(this);
    }

    /** Nanoseconds until the timer fires (may be negative if overdue); for an inactive timer, its {@code after}. */
    public long remainingNanos() {
        loop.checkOwner();
        return active != 0 ? at - loop.nowNanosUnchecked() : afterNanos;
    }

    /** {@link #remainingNanos()} as a {@link Duration}. */
    public Duration remaining() {
        return Duration.ofNanos(remainingNanos());
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
