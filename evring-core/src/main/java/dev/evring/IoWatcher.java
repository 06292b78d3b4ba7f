package dev.evring;

/**
 * Watches a file descriptor for readability and/or writability (libev's {@code ev_io}). Level-triggered: as long as
 * the fd stays ready and the watcher active, the callback runs on every loop iteration, on every backend.
 *
 * <p>Any number of watchers may watch one fd. A watcher whose fd goes bad (closed while watched and found so by the
 * backend) receives {@link Events#ERROR} together with READ and WRITE, and is stopped.
 *
 * <p>Closing an fd while a watcher is active on it is a mistake (as in libev): stop the watcher first. The loop makes
 * sure no event of the old file reaches a watcher started after the number was reused.
 */
public final class IoWatcher extends Watcher {
    int fd;
    int events;
    /** Set when fd or events were (re)set since the last start: the backend must look at the fd afresh. */
    boolean fdSet;
    /** Next watcher on the same fd. */
    IoWatcher next;
    private final Callback<IoWatcher> callback;

    IoWatcher(EventLoop loop, int fd, int events, Callback<IoWatcher> callback) {
        super(loop);
        validate(fd, events);
        loop.checkFd(fd);
        this.callback = EventLoop.requireCallback(callback);
        this.fd = fd;
        this.events = events;
        this.fdSet = true;
    }

    /** Checks the mask, and the fd's sign (the loop checks it against the process's fd limit). */
    static void validate(int fd, int events) {
        if (fd < 0) throw new IllegalArgumentException("fd " + fd + " is negative");
        if (events == 0) throw new IllegalArgumentException("event mask is empty: give Events.READ, Events.WRITE or both");
        if ((events & ~(Events.READ | Events.WRITE)) != 0) {
            throw new IllegalArgumentException("event mask 0x" + Integer.toHexString(events)
                    + " has bits other than Events.READ and Events.WRITE");
        }
    }

    /** The watched fd. */
    public int fd() {
        loop.checkOwner();
        return fd;
    }

    /** The interest mask: {@link Events#READ}, {@link Events#WRITE} or both. */
    public int events() {
        loop.checkOwner();
        return events;
    }

    /**
     * Changes the fd and interest mask: as {@link #stop()}, the change, then {@link #start()} if it was active, so a
     * pending event of the old setting is dropped and the change takes effect at the next loop iteration (libev
     * requires the watcher to be stopped; evring does it for you).
     */
    public IoWatcher set(int fd, int events) {
        loop.checkOwner();
        validate(fd, events);
        loop.checkFd(fd);
        loop.clearPending(this);
        boolean wasActive = active != 0;
        if (wasActive) loop.ioStop(this);
        this.fd = fd;
        this.events = events;
        this.fdSet = true;
        if (wasActive) loop.ioStart(this);
        return this;
    }

    /** Changes only the interest mask; see {@link #set(int, int)}. */
    public IoWatcher events(int events) {
        return set(fd, events);
    }

    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.ioStart(this);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.ioStop(this);
    }

    @Override
    void invoke(int revents) throws Exception {
        callback.onEvent(this, revents);
    }

    @Override
    public String toString() {
        return "IoWatcher[fd " + fd + ", " + Events.toString(events) + (active != 0 ? ", active" : "")
                + (pending != 0 ? ", pending" : "") + "]";
    }

    @Override
    Object callback() {
        return callback;
    }
}
