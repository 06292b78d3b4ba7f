package dev.evring;

/**
 * Runs in every loop iteration right after the loop has woken from its wait (libev's {@code ev_check}), queued after
 * the iteration's other events.
 */
public final class CheckWatcher extends Watcher {
    private final Callback<CheckWatcher> callback;

    CheckWatcher(EventLoop loop, Callback<CheckWatcher> callback) {
        super(loop);
        this.callback = EventLoop.requireCallback(callback);
    }

    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.checkStart(this);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.checkStop(this);
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
