package dev.evring;

import dev.evring.backend.BackendOptions;
import dev.evring.internal.CallbackTimer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a loop measures of itself, for {@link EventLoop#stats()} and its JFR events ({@link LoopEvents}): the time it
 * waited in its backend and the time it worked, the callbacks it ran, and, while a recording wants them, the
 * iteration events and the timing of each callback for slow ones.
 *
 * <p>Time costs no clock read of its own: the loop reads its clock before each backend wait and after it anyway (its
 * {@code now}), and the wait is the difference of those two, the work the time from one wait's end to the next one's
 * start. Callbacks are timed only while a recording has {@code dev.evring.SlowCallback} on (asked once per
 * iteration): then two {@link System#nanoTime()} reads per callback. The counters are written on the loop's thread with
 * {@code setOpaque} (a plain store on x86) and read anywhere with {@code getOpaque}.
 */
final class LoopMetrics extends CallbackTimer {
    private static final VarHandle WAIT_NANOS;
    private static final VarHandle WORK_NANOS;
    private static final VarHandle CALLBACKS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WAIT_NANOS = l.findVarHandle(LoopMetrics.class, "waitNanos", long.class);
            WORK_NANOS = l.findVarHandle(LoopMetrics.class, "workNanos", long.class);
            CALLBACKS = l.findVarHandle(LoopMetrics.class, "callbacks", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The option that sets the slow-callback threshold, in milliseconds. */
    static final String SLOW_CALLBACK_OPTION = "loop.slow_callback_ms";
    static final int DEFAULT_SLOW_CALLBACK_MS = 100;

    private static final AtomicInteger IDS = new AtomicInteger();

    /** The loop's number in this JVM (1, 2, ...), as its JFR events name it. */
    final int id = IDS.incrementAndGet();
    /** The loop's thread (made on it). */
    final Thread owner = Thread.currentThread();
    /** A callback that runs this long or longer is reported (while a recording wants it). */
    private long slowNanos = DEFAULT_SLOW_CALLBACK_MS * 1_000_000L;

    // written by the loop's thread only (setOpaque), read by any
    private long waitNanos;
    private long workNanos;
    private long callbacks;

    // the loop's thread only
    /** The loop's time when its latest wait began, and ended (the current work began). */
    private long waitStart;
    private long workStart;
    /** When the latest slow callback was reported, so that the callback around it is not reported too. */
    private long slowReportedAt;
    private boolean slowReported;
    /** The iteration event begun at the latest wait's start, and what it needs from its iteration. */
    private LoopEvents.Iteration iteration;
    private long iterationNumber;
    private long iterationWait;
    private long iterationWaitAsked;
    private long iterationCallbacks;

    /**
     * Reads the options the metrics take ({@code loop.slow_callback_ms}), refusing a bad value by name; the loop calls
     * it before it opens anything. Loads the loop's JFR events' gate, so no iteration needs a class file later.
     */
    void configure(BackendOptions options, long now) {
        int ms = options.integer(SLOW_CALLBACK_OPTION, DEFAULT_SLOW_CALLBACK_MS);
        if (ms < 0) throw new IllegalArgumentException("option " + SLOW_CALLBACK_OPTION + "=" + ms + " is negative");
        slowNanos = ms * 1_000_000L;
        workStart = now;
        LoopEvents.recorderStarted();
    }

    /**
     * Loop thread, before the backend wait, with the loop's fresh time: the work since the last wait ends. Asks JFR, at
     * one volatile read while it has never run, whether this iteration's events and callback timing are wanted.
     */
    void waitBegins(long now) {
        WORK_NANOS.setOpaque(this, workNanos + (now - workStart));
        waitStart = now;
        LoopEvents.Iteration e = iteration;
        if (e != null) {
            iteration = null;
            LoopEvents.commitIteration(e, id, iterationNumber, iterationWait, iterationWaitAsked, now - workStart,
                    callbacks - iterationCallbacks);
        }
        if (LoopEvents.recorderStarted()) recorderRunning();
        else timing = false;
    }

    private void recorderRunning() {
        timing = LoopEvents.slowCallbackEnabled();
        if (LoopEvents.iterationEnabled()) {
            iteration = LoopEvents.beginIteration();
            iterationCallbacks = callbacks;
        }
    }

    /** Loop thread, after the backend wait (which was allowed {@code asked} ns), with the loop's fresh time. */
    void waitEnds(long now, long asked, long iterationNumber) {
        long waited = now - waitStart;
        WAIT_NANOS.setOpaque(this, waitNanos + waited);
        workStart = now;
        if (iteration != null) {
            this.iterationNumber = iterationNumber;
            iterationWait = waited;
            iterationWaitAsked = asked;
        }
    }

    /** Loop thread, before a watcher's callback: counts it, and returns the clock if callbacks are timed now, else 0. */
    long callbackStarts() {
        CALLBACKS.setOpaque(this, callbacks + 1);
        return start();
    }

    @Override
    protected void timed(long start, Object source, Object callback) {
        long end = System.nanoTime();
        long took = end - start;
        // a callback that ran a slow one inside (a nested run, net's completions) is not the one to blame
        if (took < slowNanos || slowReported && slowReportedAt - start > 0) return;
        slowReportedAt = end;
        slowReported = true;
        LoopEvents.slowCallback(id, source, callback, took, slowNanos);
    }

    long waitNanos() {
        return (long) WAIT_NANOS.getOpaque(this);
    }

    long workNanos() {
        return (long) WORK_NANOS.getOpaque(this);
    }

    long callbacks() {
        return (long) CALLBACKS.getOpaque(this);
    }
}
