package dev.evring;

import java.util.Arrays;

/**
 * The loop's pending watchers (libev's {@code pendings} and {@code ev_invoke_pending}): one FIFO queue per priority of
 * watchers whose event has been seen but whose callback has not run. A watcher is in a queue at most once; a second
 * event before its callback ORs into the first ({@code w.pending} is its position + 1). A watcher stopped while
 * pending leaves a null slot behind, skipped when reached. Loop thread only; no allocation once the arrays have grown.
 */
final class PendingQueue {
    static final int NUM_PRI = Watcher.MAX_PRIORITY - Watcher.MIN_PRIORITY + 1;

    private final EventLoop loop;
    private final Watcher[][] watchers = new Watcher[NUM_PRI][];
    private final int[][] events = new int[NUM_PRI][];
    private final int[] head = new int[NUM_PRI];
    private final int[] tail = new int[NUM_PRI];
    /** Live (non-null) entries per priority. */
    private final int[] live = new int[NUM_PRI];
    /** The priority being invoked + 1; raised by a feed of higher priority from inside a callback. */
    private int invokingPri;
    private boolean invoking;

    PendingQueue(EventLoop loop) {
        this.loop = loop;
        for (int p = 0; p < NUM_PRI; p++) {
            watchers[p] = new Watcher[16];
            events[p] = new int[16];
        }
    }

    /** Queues {@code revents} for {@code w}, or ORs them into the event it has pending already (libev's ev_feed_event). */
    void feed(Watcher w, int revents) {
        int p = w.priority - Watcher.MIN_PRIORITY;
        if (w.pending != 0) {
            events[p][w.pending - 1] |= revents;
            return;
        }
        int i = tail[p];
        if (i == watchers[p].length) {
            if (head[p] > 0) {
                compact(p);
                i = tail[p];
            }
            if (i == watchers[p].length) {
                watchers[p] = Arrays.copyOf(watchers[p], i * 2);
                events[p] = Arrays.copyOf(events[p], i * 2);
            }
        }
        watchers[p][i] = w;
        events[p][i] = revents;
        tail[p] = i + 1;
        live[p]++;
        w.pending = i + 1;
        // a callback fed something of higher priority than the one running: run that first
        if (invoking && p > invokingPri) invokingPri = p + 1;
    }

    /** Moves the live part of a queue to its front (keeps positions in {@code w.pending} right). */
    private void compact(int p) {
        Watcher[] ws = watchers[p];
        int[] evs = events[p];
        int j = 0;
        for (int i = head[p], end = tail[p]; i < end; i++) {
            Watcher w = ws[i];
            if (w == null) continue;
            ws[j] = w;
            evs[j] = evs[i];
            w.pending = j + 1;
            j++;
        }
        Arrays.fill(ws, j, tail[p], null);
        head[p] = 0;
        tail[p] = j;
    }

    /** Takes {@code w} out of its queue; returns the events it had pending, or 0 (libev's clear_pending). */
    int clear(Watcher w) {
        int pos = w.pending;
        if (pos == 0) return 0;
        int p = w.priority - Watcher.MIN_PRIORITY;
        int ev = events[p][pos - 1];
        watchers[p][pos - 1] = null;
        live[p]--;
        w.pending = 0;
        return ev;
    }

    /** Queues {@code revents} for the first {@code count} watchers of {@code ws}, in order. */
    void feedAll(Watcher[] ws, int count, int revents) {
        for (int i = 0; i < count; i++) feed(ws[i], revents);
    }

    /** How many watchers are pending ({@code ev_pending_count}). */
    int count() {
        int n = 0;
        for (int p = 0; p < NUM_PRI; p++) n += live[p];
        return n;
    }

    /** Whether a watcher of priority index {@code p} (0 = lowest) is pending. */
    boolean anyAt(int p) {
        return live[p] > 0;
    }

    /**
     * Runs every pending callback, highest priority first and in arrival order within a priority, until none is
     * left or the loop closed (libev's ev_invoke_pending). Re-entrant: a nested run continues from where the outer
     * invocation is.
     */
    void invokeAll() {
        boolean outer = !invoking;
        invoking = true;
        try {
            invokingPri = NUM_PRI;
            while (invokingPri > 0) {
                int p = --invokingPri;
                Watcher[] ws = watchers[p];
                while (head[p] < tail[p]) {
                    int i = head[p]++;
                    Watcher w = ws[i];
                    if (w == null) continue;
                    int ev = events[p][i];
                    ws[i] = null;
                    live[p]--;
                    w.pending = 0;
                    loop.invokeWatcher(w, ev);
                    if (invokingPri > p || loop.isClosedUnchecked()) break; // higher priority fed, or closed
                    ws = watchers[p]; // the callback may have fed this priority and grown its array
                }
                if (loop.isClosedUnchecked()) return;
                if (head[p] == tail[p]) head[p] = tail[p] = 0;
            }
        } finally {
            if (outer) invoking = false;
        }
    }
}
