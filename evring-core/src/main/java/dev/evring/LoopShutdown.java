package dev.evring;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * A loop's graceful shutdown ({@link EventLoop#shutdownGracefully}, and through it {@link LoopGroup}'s): the
 * {@link EventLoop.ShutdownListener}s that the parts of a program holding work on the loop added (the listening and
 * connected sockets of {@code dev.evring.net}, the user's own), told once each, in the order they were added, with the
 * deadline; then the deadline itself, a timer that does not keep the loop alive and breaks {@code run()} when it
 * fires. So {@code run()} returns when nothing keeps the loop alive any more (everything drained) or at the deadline,
 * whichever comes first, and its owner closes it. Loop thread only.
 *
 * <p>A later request with an earlier deadline moves the deadline (a {@code close()} after a graceful shutdown is a
 * request with the deadline now); one with a later deadline changes nothing, except that once the deadline has passed
 * every request breaks {@code run()} at once. A listener added once the shutdown began
 * is told at the next iteration (a task), so a connection accepted during the drain still hears of it.
 */
final class LoopShutdown {
    private final EventLoop loop;
    private EventLoop.ShutdownListener[] listeners = new EventLoop.ShutdownListener[4];
    private int count;
    private boolean begun;
    /** On the loop's monotonic clock ({@link EventLoop#now()}). */
    private long deadline;
    private TimerWatcher timer;

    LoopShutdown(EventLoop loop) {
        this.loop = loop;
    }

    boolean begun() {
        return begun;
    }

    void add(EventLoop.ShutdownListener listener) {
        if (listener == null) throw new IllegalArgumentException("shutdown listener is null");
        if (begun) {
            try {
                loop.execute(() -> tell(listener));
            } catch (RejectedExecutionException closing) {
                tell(listener); // the loop is closing: now or never
            }
            return;
        }
        if (count == listeners.length) listeners = Arrays.copyOf(listeners, count * 2);
        listeners[count++] = listener;
    }

    /** Removes {@code listener} (its first registration); false if it is not registered (or was told already). */
    boolean remove(EventLoop.ShutdownListener listener) {
        for (int i = 0; i < count; i++) {
            if (listeners[i] == listener) {
                System.arraycopy(listeners, i + 1, listeners, i, count - i - 1);
                listeners[--count] = null;
                return true;
            }
        }
        return false;
    }

    /** Begins the shutdown with a deadline {@code timeoutNanos} from now, or moves an earlier-begun one's closer. */
    void begin(long timeoutNanos) {
        long now = loop.nowNanosUnchecked();
        long at = timeoutNanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + timeoutNanos;
        if (!begun) {
            begun = true;
            deadline = at;
            EventLoop.ShutdownListener[] told = Arrays.copyOf(listeners, count); // a listener may add or remove others
            Arrays.fill(listeners, null);
            count = 0;
            for (EventLoop.ShutdownListener l : told) tell(l);
        } else if (at >= deadline) {
            if (deadline <= now) loop.breakLoop(EventLoop.Break.ALL); // past its deadline: a request ends run() at once
            return;
        }
        deadline = at;
        armDeadline();
    }

    private void tell(EventLoop.ShutdownListener listener) {
        try {
            listener.onShutdown(loop, deadline);
        } catch (Throwable t) {
            loop.reportExceptionUnchecked(listener, t);
        }
    }

    private void armDeadline() {
        long after = deadline - loop.nowNanosUnchecked();
        if (after <= 0) {
            if (timer != null && timer.isActive()) {
                loop.ref(); // the timer's share, given back before it stops (libev's rule for unref'd watchers)
                timer.stop();
            }
            loop.breakLoop(EventLoop.Break.ALL);
        } else if (timer == null) {
            timer = loop.timer(after, 0, (w, revents) -> {
                loop.ref(); // it stopped when it fired: give back the share unref took
                loop.breakLoop(EventLoop.Break.ALL);
            });
            timer.start();
            loop.unref(); // the deadline alone does not keep the loop running: drained is done
        } else if (timer.isActive()) {
            timer.setNanos(after, 0);
        }
        // else it fired already: the break is under way
    }

    @Override
    public String toString() {
        return "the shutdown of " + loop;
    }
}
