package dev.evring.internal;

/**
 * The loop's watch on slow callbacks, for callbacks that run inside one of its own (dev.evring.net's completion
 * callbacks run from one loop watcher, its delivery queue): {@code long t = timer.start();} before such a callback,
 * {@code timer.end(t, handle, callback);} after it, so a slow one is reported under the handle and callback that were
 * slow rather than under the watcher that ran them.
 *
 * <p>The loop decides once per iteration whether callbacks are timed (a JFR recording has {@code dev.evring.SlowCallback}
 * on); while they are not, {@code start} is one field read and {@code end} one comparison, no clock is read. Loop
 * thread only; get it with {@link LoopAccess#callbackTimer}.
 */
public abstract class CallbackTimer {
    /** Whether callbacks are timed in the current iteration (set by the loop, on its thread). */
    protected boolean timing;

    /** Before a callback: the clock if callbacks are timed now, else 0. */
    public final long start() {
        return timing ? System.nanoTime() : 0L;
    }

    /** After the callback that {@code start} began: reports it if it ran too long ({@code source} names its owner). */
    public final void end(long start, Object source, Object callback) {
        if (start != 0L) timed(start, source, callback);
    }

    /** A timed callback ended: report it if it was slow. */
    protected abstract void timed(long start, Object source, Object callback);
}
