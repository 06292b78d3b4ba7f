package dev.evring;

import dev.evring.linux.Time;

import java.util.Arrays;

/**
 * A 4-ary min-heap of watchers by due time (libev's timer heap with its cached {@code at}): the next expiry is
 * {@code at[0]}, O(1); insert, remove and re-key are O(log n) and touch parallel {@code long[]}s of due times and
 * sequence numbers, so sifting reads no watcher objects. A watcher's {@code active} field is its heap position + 1.
 *
 * <p>Equal due times come out in the order they were scheduled (inserted or re-keyed), as libuv and the JDK's
 * ScheduledThreadPoolExecutor promise: each scheduling takes the next number of a per-heap counter, and the heap
 * orders by (due time, number). No allocation beyond the arrays' growth.
 */
final class TimerHeap {
    private static final int D = 4;

    private Watcher[] nodes = new Watcher[16];
    private long[] at = new long[16];
    /** When each node was scheduled: breaks ties between equal due times, first scheduled first. */
    private long[] seq = new long[16];
    private long nextSeq;
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Due time of the earliest watcher; the heap must not be empty. */
    long topAt() {
        return at[0];
    }

    Watcher top() {
        return nodes[0];
    }

    Watcher get(int i) {
        return nodes[i];
    }

    void insert(Watcher w) {
        if (size == nodes.length) {
            nodes = Arrays.copyOf(nodes, size * 2);
            at = Arrays.copyOf(at, size * 2);
            seq = Arrays.copyOf(seq, size * 2);
        }
        int i = size++;
        nodes[i] = w;
        at[i] = w.at;
        seq[i] = nextSeq++;
        w.active = i + 1;
        siftUp(i);
    }

    void remove(Watcher w) {
        int i = w.active - 1;
        int last = --size;
        w.active = 0;
        if (i != last) {
            nodes[i] = nodes[last];
            at[i] = at[last];
            seq[i] = seq[last];
            nodes[i].active = i + 1;
            nodes[last] = null;
            adjust(i);
        } else {
            nodes[last] = null;
        }
    }

    /** Re-keys {@code w} after its {@code at} changed: it is scheduled anew, after others due at the same time. */
    void update(Watcher w) {
        int i = w.active - 1;
        at[i] = w.at;
        seq[i] = nextSeq++;
        adjust(i);
    }

    private void adjust(int i) {
        int parent = (i - 1) / D;
        if (i > 0 && before(at[i], seq[i], at[parent], seq[parent])) siftUp(i);
        else siftDown(i);
    }

    /** Whether (due time, sequence) a comes before b. */
    private static boolean before(long atA, long seqA, long atB, long seqB) {
        return atA < atB || (atA == atB && seqA < seqB);
    }

    private void siftUp(int i) {
        Watcher w = nodes[i];
        long key = at[i];
        long keySeq = seq[i];
        while (i > 0) {
            int parent = (i - 1) / D;
            if (!before(key, keySeq, at[parent], seq[parent])) break;
            move(parent, i);
            i = parent;
        }
        place(w, key, keySeq, i);
    }

    private void siftDown(int i) {
        Watcher w = nodes[i];
        long key = at[i];
        long keySeq = seq[i];
        final int n = size;
        for (;;) {
            int first = i * D + 1;
            if (first >= n) break;
            int end = Math.min(first + D, n);
            int min = first;
            for (int c = first + 1; c < end; c++) {
                if (before(at[c], seq[c], at[min], seq[min])) min = c;
            }
            if (!before(at[min], seq[min], key, keySeq)) break;
            move(min, i);
            i = min;
        }
        place(w, key, keySeq, i);
    }

    private void move(int from, int to) {
        nodes[to] = nodes[from];
        at[to] = at[from];
        seq[to] = seq[from];
        nodes[to].active = to + 1;
    }

    private void place(Watcher w, long key, long keySeq, int i) {
        nodes[i] = w;
        at[i] = key;
        seq[i] = keySeq;
        w.active = i + 1;
    }

    /**
     * Adds {@code delta} (not negative) to every due time (resume after suspend): order is preserved. Saturates, so
     * a timer due "never" ({@code Long.MAX_VALUE}) stays so instead of wrapping into the past.
     */
    void shiftAll(long delta) {
        for (int i = 0; i < size; i++) {
            at[i] = Time.saturatedAdd(at[i], delta);
            nodes[i].at = at[i];
        }
    }

    /** Re-reads every watcher's {@code at} after they were changed in place, and restores the heap order (Floyd). */
    void rekeyAll() {
        for (int i = 0; i < size; i++) at[i] = nodes[i].at;
        if (size < 2) return;
        for (int i = (size - 2) / D; i >= 0; i--) siftDown(i);
    }
}
