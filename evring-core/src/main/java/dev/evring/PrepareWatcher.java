package dev.evring;

/**
 * Runs at the start of every loop iteration, before the loop collects fd changes and blocks (libev's
 * {@code ev_prepare}). A place to flush buffered output or adjust watchers for the coming wait.
 */
public final class PrepareWatcher extends Watcher {
    private final Callback<PrepareWatcher> callback;

    PrepareWatcher(EventLoop loop, Callback<PrepareWatcher> callback) {
        super(loop);
        this.callback = EventLoop.requireCallback(callback);
    }

    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.prepareStart(this);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.prepareStop(this);
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
