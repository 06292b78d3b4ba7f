package dev.evring;

import dev.evring.linux.Time;

/**
 * A loop's timers (libev's {@code timers}, {@code timers_reify}, {@code ev_timer_again}): a {@link TimerHeap} keyed by
 * monotonic due time. The sibling of {@link Periodics}, which keeps the wall-clock ones. Loop thread only.
 */
final class Timers {
    private final EventLoop loop;
    private final TimerHeap heap = new TimerHeap();

    Timers(EventLoop loop) {
        this.loop = loop;
    }

    boolean isEmpty() {
        return heap.isEmpty();
    }

    /** Due time of the earliest timer; there must be one. */
    long topAt() {
        return heap.topAt();
    }

    void start(TimerWatcher w, long afterNanos, long now) {
        w.at = Time.saturatedAdd(now, afterNanos);
        heap.insert(w);
        loop.activeDelta(1);
    }

    void stop(TimerWatcher w) {
        heap.remove(w);
        loop.activeDelta(-1);
    }

    /** libev's ev_timer_again, after the caller cleared a pending event: restart from now, or stop. */
    void again(TimerWatcher w, long now) {
        if (w.active != 0) {
            if (w.repeatNanos > 0) {
                w.at = Time.saturatedAdd(now, w.repeatNanos);
                heap.update(w);
            } else {
                stop(w);
            }
        } else if (w.repeatNanos > 0) {
            start(w, w.repeatNanos, now);
        }
    }

    /** Queues every timer due by {@code now}, in due order; re-arms repeating ones from their due time (no drift). */
    void reify(long now) {
        while (!heap.isEmpty() && heap.topAt() < now) {
            TimerWatcher w = (TimerWatcher) heap.top();
            if (w.repeatNanos > 0) {
                w.at = Time.saturatedAdd(w.at, w.repeatNanos);
                if (w.at < now) w.at = now; // fell behind by more than a period: fire once, resume from now
                heap.update(w);
            } else {
                stop(w);
            }
            loop.feed(w, Events.TIMER);
        }
    }

    /** Pushes every timer back by {@code delta} (resume after suspend). */
    void shiftAll(long delta) {
        heap.shiftAll(delta);
    }
}
