package dev.evring;

/**
 * A loop's periodic watchers: a second {@link TimerHeap} keyed by wall-clock due time, and libev's periodic_recalc,
 * periodics_reify and periodics_reschedule. Loop thread only.
 */
final class Periodics {
    private final EventLoop loop;
    private final TimerHeap heap = new TimerHeap();
    /** True while user reschedule functions run from inside the heap walk: they must not change the heap. */
    private boolean rescheduling;

    Periodics(EventLoop loop) {
        this.loop = loop;
    }

    boolean isEmpty() {
        return heap.isEmpty();
    }

    long topAt() {
        return heap.topAt();
    }

    private void checkNotRescheduling() {
        if (rescheduling) {
            throw new IllegalStateException("a reschedule function must not start or stop periodic watchers");
        }
    }

    void start(PeriodicWatcher w) {
        checkNotRescheduling();
        if (heap.isEmpty()) loop.resyncRealtime(); // the loop did not read the wall clock without periodics
        long rt = loop.realtimeNanosUnchecked();
        if (w.reschedule != null) {
            rescheduling = true;
            try {
                w.at = w.reschedule.next(w, rt);
            } finally {
                rescheduling = false;
            }
        } else if (w.intervalNanos > 0) {
            w.at = nextPoint(w, rt);
        } else {
            w.at = w.offsetNanos;
        }
        heap.insert(w);
        loop.activeDelta(1);
    }

    void stop(PeriodicWatcher w) {
        checkNotRescheduling();
        heap.remove(w);
        loop.activeDelta(-1);
    }

    /**
     * The first {@code offset + N * interval} strictly after {@code rt}, for any integer N (libev's periodic_recalc,
     * exact in integers); {@code Long.MAX_VALUE} ("never") past the year 2262.
     */
    static long nextPoint(PeriodicWatcher w, long rt) {
        try {
            long n = Math.floorDiv(Math.subtractExact(rt, w.offsetNanos), w.intervalNanos) + 1;
            return Math.addExact(w.offsetNanos, Math.multiplyExact(n, w.intervalNanos));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Queues every periodic due by the loop's wall-clock time, in due order, and schedules each one's next time. */
    void reify(long rt) {
        while (!heap.isEmpty() && heap.topAt() < rt) {
            PeriodicWatcher w = (PeriodicWatcher) heap.top();
            if (w.reschedule != null) {
                long next = callReschedule(w, rt);
                if (next < rt) {
                    // it fired, but cannot say when next: an answer in the past would fire it again at once, forever
                    stop(w);
                    if (next != FAILED) {
                        loop.reportExceptionUnchecked(w, new IllegalStateException("the reschedule function of " + w
                                + " returned " + next + ", before the loop's wall-clock time " + rt + "; the watcher was stopped"));
                    }
                } else {
                    w.at = next;
                    heap.update(w);
                }
            } else if (w.intervalNanos > 0) {
                w.at = nextPoint(w, rt);
                heap.update(w);
            } else {
                stop(w); // absolute: fires once
            }
            loop.feed(w, Events.PERIODIC);
        }
    }

    /**
     * After a clock jump or a resume: every interval periodic recomputes its next point and every function periodic
     * asks its function again, from the new wall-clock time; absolute ones keep their time (libev's
     * periodics_reschedule).
     */
    void reschedule(long rt) {
        int n = heap.size();
        boolean failed = false;
        for (int i = 0; i < n; i++) {
            PeriodicWatcher w = (PeriodicWatcher) heap.get(i);
            if (w.reschedule != null) {
                long next = callReschedule(w, rt);
                if (next == FAILED) failed = true;
                w.at = next;
            } else if (w.intervalNanos > 0) {
                w.at = nextPoint(w, rt);
            }
        }
        heap.rekeyAll();
        // a function that threw gave FAILED (Long.MIN_VALUE): those watchers now head the heap; stop them
        while (failed && !heap.isEmpty() && heap.topAt() == FAILED) {
            stop((PeriodicWatcher) heap.top());
        }
    }

    /** What {@link #callReschedule} returns for a function that threw. */
    private static final long FAILED = Long.MIN_VALUE;

    /** Runs a reschedule function; one that throws is reported and yields {@link #FAILED} (the caller stops it). */
    private long callReschedule(PeriodicWatcher w, long rt) {
        rescheduling = true;
        try {
            return w.reschedule.next(w, rt);
        } catch (Throwable t) {
            loop.reportExceptionUnchecked(w, t);
            return FAILED;
        } finally {
            rescheduling = false;
        }
    }
}
