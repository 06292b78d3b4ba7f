package dev.evring;

import dev.evring.linux.Time;

import java.util.Arrays;

/**
 * A 4-ary min-heap of watchers by due time (libev's timer heap with its cached {@code at}): the next expiry is
 * {@code at[0]}, O(1); insert, remove and re-key are O(log n) and touch a parallel {@code long[]} of due times, so
 * sifting reads no watcher objects. A watcher's {@code active} field is its heap position + 1.
 */
final class TimerHeap {
    private static final int D = 4;

    private Watcher[] nodes = new Watcher[16];
    private long[] at = new long[16];
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
        }
        int i = size++;
        nodes[i] = w;
        at[i] = w.at;
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
            nodes[i].active = i + 1;
            nodes[last] = null;
            adjust(i);
        } else {
            nodes[last] = null;
        }
    }

    /** Re-keys {@code w} after its {@code at} changed. */
    void update(Watcher w) {
        int i = w.active - 1;
        at[i] = w.at;
        adjust(i);
    }

    private void adjust(int i) {
        if (i > 0 && at[i] < at[(i - 1) / D]) siftUp(i);
        else siftDown(i);
    }

    private void siftUp(int i) {
        Watcher w = nodes[i];
        long key = at[i];
        while (i > 0) {
            int parent = (i - 1) / D;
            if (at[parent] <= key) break;
            nodes[i] = nodes[parent];
            at[i] = at[parent];
            nodes[i].active = i + 1;
            i = parent;
        }
        nodes[i] = w;
        at[i] = key;
        w.active = i + 1;
    }

    private void siftDown(int i) {
        Watcher w = nodes[i];
        long key = at[i];
        final int n = size;
        for (;;) {
            int first = i * D + 1;
            if (first >= n) break;
            int end = Math.min(first + D, n);
            int min = first;
            long minAt = at[first];
            for (int c = first + 1; c < end; c++) {
                if (at[c] < minAt) {
                    min = c;
                    minAt = at[c];
                }
            }
            if (minAt >= key) break;
            nodes[i] = nodes[min];
            at[i] = minAt;
            nodes[i].active = i + 1;
            i = min;
        }
        nodes[i] = w;
        at[i] = key;
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
