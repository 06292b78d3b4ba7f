package dev.evring;

/**
 * What every watcher shares: its loop, whether it is active (started) or pending (has an event waiting for its
 * callback), its priority and an attachment.
 *
 * <p>Thread contract: a watcher belongs to the thread of its loop. Every method throws
 * {@link IllegalStateException} when called from another thread or after the loop was closed; the one exception is
 * {@link AsyncWatcher#send()}.
 *
 * <p>Every {@code set} method of a watcher (and the periodic's {@code again}) acts as {@link #stop()}, the change,
 * then {@link #start()} if the watcher was active: a pending event of the old setting is dropped, never delivered
 * after the change.
 *
 * <p>Costs: starting and stopping never makes a system call. Io watchers' interest changes are collected and handed to
 * the backend once per loop iteration (libev's fd_reify); timers cost O(log n) to start or stop.
 */
public abstract class Watcher {
    /** Lowest priority, as libev's {@code EV_MINPRI}. */
    public static final int MIN_PRIORITY = -2;
    /** Highest priority, as libev's {@code EV_MAXPRI}. */
    public static final int MAX_PRIORITY = 2;

    /**
     * The function a watcher calls when it has an event.
     *
     * <p>It may throw: the exception goes to the loop's {@link EventLoop.ExceptionHandler}, and the loop carries on
     * with every other pending callback.
     */
    @FunctionalInterface
    public interface Callback<W extends Watcher> {
        void onEvent(W watcher, int revents) throws Exception;
    }

    final EventLoop loop;
    /** 0 when inactive; otherwise a position + 1 in whatever structure keeps the active watcher (heap, array), or 1. */
    int active;
    /** 0 when not pending; otherwise the position + 1 in the loop's pending queue of this watcher's priority. */
    int pending;
    int priority;
    /** Absolute due time in nanoseconds, for the watchers that live in a heap (timers, periodics). */
    long at;
    private Object attachment;

    Watcher(EventLoop loop) {
        loop.checkOwner();
        this.loop = loop;
    }

    /** The loop this watcher belongs to. May be called from any thread. */
    public final EventLoop loop() {
        return loop;
    }

    /** Starts the watcher. Starting an active watcher does nothing. */
    public abstract void start();

    /** Stops the watcher and clears a pending event it may have. Stopping an inactive watcher does nothing. */
    public abstract void stop();

    /** Whether the watcher is started. */
    public final boolean isActive() {
        loop.checkOwner();
        return active != 0;
    }

    /** Whether the watcher has an event whose callback has not run yet. */
    public final boolean isPending() {
        loop.checkOwner();
        return pending != 0;
    }

    /** The priority, from {@link #MIN_PRIORITY} to {@link #MAX_PRIORITY}; 0 by default. */
    public final int priority() {
        loop.checkOwner();
        return priority;
    }

    /**
     * Sets the priority. Within one loop iteration, callbacks of higher priority run before those of lower priority.
     *
     * @throws IllegalArgumentException if {@code priority} is outside [-2, 2]
     * @throws IllegalStateException if the watcher is active or pending (as in libev)
     */
    public final Watcher priority(int priority) {
        loop.checkOwner();
        if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority " + priority + " is outside [" + MIN_PRIORITY + ", " + MAX_PRIORITY + "]");
        }
        if (active != 0 || pending != 0) {
            throw new IllegalStateException("cannot change the priority of an active or pending watcher: stop it first");
        }
        this.priority = priority;
        return this;
    }

    /**
     * Clears a pending event without running the callback and returns its event bits (0 if none), as libev's
     * {@code ev_clear_pending}.
     */
    public final int clearPending() {
        loop.checkOwner();
        return loop.clearPending(this);
    }

    /** Queues {@code revents} for this watcher as if the loop had seen them (libev's {@code ev_feed_event}). */
    public final void feed(int revents) {
        loop.feedEvent(this, revents);
    }

    /** An object of the caller's, kept with the watcher (libev's {@code data} field). */
    public final Object attachment() {
        loop.checkOwner();
        return attachment;
    }

    /** Replaces the attachment and returns this watcher. */
    public final Watcher attach(Object attachment) {
        loop.checkOwner();
        this.attachment = attachment;
        return this;
    }

    /** Runs the callback. Called by the loop only. */
    abstract void invoke(int revents) throws Exception;

    /** The callback object, for reports that name it (a slow callback's JFR event); null where there is none. */
    Object callback() {
        return null;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + (active != 0 ? "[active" : "[inactive") + (pending != 0 ? ", pending" : "")
                + ", priority " + priority + "]";
    }
}
