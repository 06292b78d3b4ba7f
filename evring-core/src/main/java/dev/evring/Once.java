package dev.evring;

/**
 * libev's {@code ev_once}: an io watcher and a timer sharing one callback, whichever fires first, then both stopped.
 * Made by {@link EventLoop#once}.
 */
final class Once {
    private final IoWatcher io;
    private final TimerWatcher timer;
    private final EventLoop.OnceCallback callback;

    Once(EventLoop loop, int fd, int events, long timeoutNanos, EventLoop.OnceCallback callback) {
        this.callback = callback;
        this.io = fd >= 0 ? new IoWatcher(loop, fd, events, (w, revents) -> fire(revents)) : null;
        this.timer = timeoutNanos >= 0 ? new TimerWatcher(loop, timeoutNanos, 0, (w, revents) -> fire(revents)) : null;
    }

    void start() {
        if (io != null) io.start();
        if (timer != null) timer.start();
    }

    private void fire(int revents) throws Exception {
        if (io != null) io.stop();
        if (timer != null) timer.stop();
        callback.onEvent(revents);
    }
}
