package dev.evring;

/**
 * Runs when the loop has nothing better to do (libev's {@code ev_idle}): only in iterations where no watcher of equal
 * or higher priority is pending. While an idle watcher is active, the loop polls without blocking.
 */
public final class IdleWatcher extends Watcher {
    private final Callback<IdleWatcher> callback;

    IdleWatcher(EventLoop loop, Callback<IdleWatcher> callback) {
        super(loop);
        this.callback = EventLoop.requireCallback(callback);
    }

    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.idleStart(this);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.idleStop(this);
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
