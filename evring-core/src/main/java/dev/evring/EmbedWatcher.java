package dev.evring;

/**
 * Runs another loop inside this one (libev's {@code ev_embed}): the outer loop watches the inner loop's backend fd
 * (its epoll fd, or its io_uring ring) and, when it signals, gives the inner loop a non-blocking iteration
 * ({@link #sweep()}), so the inner loop's watchers run on the outer loop's thread without a thread of their own.
 *
 * <p>With no callback, the sweep is automatic; with one, the callback runs (with {@link Events#EMBED}) and should
 * call {@link #sweep()} when it sees fit, as in libev. Before each outer iteration, fd changes made on the inner loop
 * are handed to its backend (libev's embed prepare watcher), so they take effect without the inner loop running.
 *
 * <p>As in libev, the inner loop's timers only run when it is swept: an embedded loop suits fds (the use libev
 * names: a loop on a backend that handles some kind of fd better); give timers to the outer loop. Both loops must
 * belong to the same thread. A loop on the poll backend has no fd to watch and cannot be embedded.
 *
 * <p>Costs: one io watcher in the outer loop; each sweep is one non-blocking iteration of the inner loop.
 */
public final class EmbedWatcher extends Watcher {
    private final EventLoop other;
    private final Callback<EmbedWatcher> callback;
    private final IoWatcher io;
    private final PrepareWatcher prepare;

    EmbedWatcher(EventLoop loop, EventLoop other, Callback<EmbedWatcher> callback) {
        super(loop);
        if (other == null) throw new IllegalArgumentException("loop to embed is null");
        if (other == loop) throw new IllegalArgumentException("a loop cannot embed itself");
        try {
            other.checkOwner();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("cannot embed " + other + ": " + e.getMessage()
                    + " (an embedded loop runs on the thread of the loop embedding it)", e);
        }
        int fd = other.backendPollFd();
        if (fd < 0) {
            throw new IllegalArgumentException("cannot embed " + other + ": its backend (" + other.backend().id()
                    + ") has no fd another loop could watch; open it on epoll or io_uring");
        }
        this.other = other;
        this.callback = callback;
        this.io = new IoWatcher(loop, fd, Events.READ, (w, revents) -> onReady(revents));
        this.prepare = new PrepareWatcher(loop, (w, revents) -> beforeOuterWait());
    }

    /** The embedded loop. */
    public EventLoop other() {
        loop.checkOwner();
        return other;
    }

    /**
     * Gives the embedded loop one non-blocking iteration ({@code ev_embed_sweep}): what is ready runs now, on this
     * thread.
     */
    public void sweep() {
        loop.checkOwner();
        other.runNoWait();
    }

    @Override
    public void start() {
        loop.checkOwner();
        if (active != 0) return;
        if (other.isClosed()) throw new IllegalStateException("the embedded loop " + other + " is closed");
        io.set(other.backendPollFd(), Events.READ);
        io.priority = priority;
        io.start();
        prepare.start();
        loop.activeDelta(-1); // the prepare watcher is housekeeping: only the io watcher keeps the loop alive
        other.embedded(1);
        active = 1;
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active == 0) return;
        loop.activeDelta(1);
        prepare.stop();
        io.stop();
        if (!other.isClosed()) other.embedded(-1);
        active = 0;
    }

    /** The inner backend's fd signalled (or went bad: a backend may replace its fd, as epoll does when it rebuilds). */
    private void onReady(int revents) {
        if (!checkOther()) return;
        if ((revents & Events.ERROR) != 0 || io.fd != other.backendPollFd()) {
            follow();
            return;
        }
        if (callback == null) other.runNoWait();
        else loop.feed(this, Events.EMBED);
    }

    /** Outer prepare phase: hand the inner loop's fd changes to its backend, so its fd reflects them (libev). */
    private void beforeOuterWait() {
        if (!checkOther()) return;
        while (other.hasFdChanges()) {
            other.reifyFdChanges();
            other.runNoWait();
        }
        if (io.fd != other.backendPollFd()) follow();
    }

    /** The inner backend's fd changed: watch the new one. */
    private void follow() {
        int fd = other.backendPollFd();
        if (fd < 0) {
            stop();
            return;
        }
        io.set(fd, Events.READ);
        if (io.active == 0) io.start();
    }

    private boolean checkOther() {
        if (!other.isClosed()) return true;
        stop();
        loop.reportExceptionUnchecked(this, new IllegalStateException("the embedded loop was closed while embedded; the embed watcher stopped"));
        return false;
    }

    @Override
    void invoke(int revents) throws Exception {
        if (callback == null) other.runNoWait(); // fed by hand (feed(EMBED)) on an automatic embed: sweep
        else callback.onEvent(this, revents);
    }

    @Override
    Object callback() {
        return callback;
    }
}
