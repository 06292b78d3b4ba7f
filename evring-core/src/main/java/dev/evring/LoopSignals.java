package dev.evring;

import dev.evring.linux.SysSignal;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * One loop's signal watchers, by signal, and the flags the JVM's signal thread sets for it (libev's
 * {@code signals[].pending} and {@code sig_pending}). The loop looks at the flags when it drains its async watchers.
 */
final class LoopSignals {
    private final EventLoop loop;
    /** Set by the signal thread (volatile), cleared by the loop with getAndSet. */
    private final AtomicIntegerArray caught = new AtomicIntegerArray(SysSignal.NSIG);
    @SuppressWarnings("unchecked")
    private final WatcherList<SignalWatcher>[] bySignal = new WatcherList[SysSignal.NSIG];
    /** The signals with at least one watcher, so a dispatch looks at those only. */
    private int[] watched = new int[4];
    private int watchedCount;

    LoopSignals(EventLoop loop) {
        this.loop = loop;
    }

    void start(SignalWatcher w) {
        int sig = w.signum;
        if (bySignal[sig] == null || bySignal[sig].size() == 0) {
            SignalRegistry.register(this, sig); // may throw: nothing changed yet
            if (watchedCount == watched.length) watched = Arrays.copyOf(watched, watchedCount * 2);
            watched[watchedCount++] = sig;
            if (bySignal[sig] == null) bySignal[sig] = new WatcherList<>(2);
        }
        bySignal[sig].add(w);
        loop.activeDelta(1);
    }

    void stop(SignalWatcher w) {
        int sig = w.signum;
        bySignal[sig].remove(w);
        loop.activeDelta(-1);
        if (bySignal[sig].size() == 0) unwatch(sig);
    }

    private void unwatch(int sig) {
        SignalRegistry.unregister(this, sig);
        caught.set(sig, 0);
        for (int i = 0; i < watchedCount; i++) {
            if (watched[i] == sig) {
                watched[i] = watched[--watchedCount];
                break;
            }
        }
    }

    /** The JVM's signal thread: mark and wake. Never runs user code, never throws. */
    void deliver(int sig) {
        caught.set(sig, 1); // before the wakeup's volatile flag: the loop clears that flag, then reads this
        loop.wakeupForSignal();
    }

    /** Loop thread, after a wakeup: queues the watchers of every signal caught since the last look. */
    void dispatch() {
        for (int i = 0; i < watchedCount; i++) {
            int sig = watched[i];
            if (caught.get(sig) != 0 && caught.getAndSet(sig, 0) != 0) feed(sig);
        }
    }

    /** Loop thread: queues the watchers of {@code sig} as if it had arrived ({@code ev_feed_signal_event}). */
    void feed(int sig) {
        WatcherList<SignalWatcher> ws = bySignal[sig];
        if (ws != null) loop.feedAll(ws, Events.SIGNAL);
    }

    /** The loop is closing: leave the registry so the JVM's handlers are restored and no wakeup targets this loop. */
    void closeAll() {
        while (watchedCount > 0) {
            int sig = watched[watchedCount - 1];
            bySignal[sig].clear();
            unwatch(sig);
        }
    }
}
