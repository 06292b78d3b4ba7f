package dev.evring;

import java.util.Arrays;

/**
 * Active watchers of one kind in an array, in no particular order (libev's {@code prepares}, {@code checks},
 * {@code idles}, {@code asyncs}): O(1) add and swap-remove, the position kept in {@code w.active} (index + 1).
 * Loop thread only; no allocation once the array has grown.
 */
final class WatcherList<W extends Watcher> {
    private Watcher[] watchers;
    private int count;

    WatcherList(int capacity) {
        watchers = new Watcher[capacity];
    }

    int size() {
        return count;
    }

    @SuppressWarnings("unchecked")
    W get(int i) {
        return (W) watchers[i];
    }

    /** Adds {@code w} (inactive) and makes it active. */
    void add(W w) {
        if (count == watchers.length) watchers = Arrays.copyOf(watchers, count * 2);
        watchers[count] = w;
        w.active = ++count;
    }

    /** Removes {@code w} (active in this list), moving the last watcher into its place, and makes it inactive. */
    void remove(W w) {
        int i = w.active - 1;
        int last = --count;
        watchers[i] = watchers[last];
        watchers[i].active = i + 1;
        watchers[last] = null;
        w.active = 0;
    }

    /** Removes every watcher, making each inactive (the loop is closing under them). */
    void clear() {
        for (int i = 0; i < count; i++) {
            watchers[i].active = 0;
            watchers[i] = null;
        }
        count = 0;
    }

    /** Queues {@code revents} for every watcher of the list. */
    void feedAll(PendingQueue pending, int revents) {
        pending.feedAll(watchers, count, revents);
    }
}
