package dev.evring;

/**
 * Runs once when the loop is closed (libev's {@code ev_cleanup}), before its native resources are freed. An active
 * cleanup watcher does not keep the loop running.
 */
public final class CleanupWatcher extends Watcher {
    private final Callback<CleanupWatcher> callback;

    CleanupWatcher(EventLoop loop, Callback<CleanupWatcher> callback) {
        super(loop);
        this.callback = EventLoop.requireCallback(callback);
    }

    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.cleanupStart(this);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.cleanupStop(this);
    }

    @Override
    void invoke(int revents) throws Exception {
        callback.onEvent(this, revents);
    }

    @Override
    Object callback() {
        return callback;
    }
}
