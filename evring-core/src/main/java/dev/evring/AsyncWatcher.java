package dev.evring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The cross-thread entry into a loop (libev's {@code ev_async}): any thread calls {@link #send()}, and the callback
 * runs on the loop's thread.
 *
 * <p>Sends coalesce: several sends before the callback runs produce one callback. None is lost: after a
 * {@code send()} returns, the callback runs at least once more (if the watcher is active), and it observes every
 * write the sender made before {@code send()}.
 *
 * <p>Cost of {@code send()}: a few atomic operations; no system call while the loop is busy running callbacks, at
 * most one (an eventfd write, or a ring message on io_uring) to wake a loop that sleeps, however many threads send.
 */
public final class AsyncWatcher extends Watcher {
    private static final VarHandle SENT;

    static {
        try {
            SENT = MethodHandles.lookup().findVarHandle(AsyncWatcher.class, "sent", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through SENT
    private volatile int sent;
    private final Callback<AsyncWatcher> callback;

    AsyncWatcher(EventLoop loop, Callback<AsyncWatcher> callback) {
        super(loop);
        this.callback = EventLoop.requireCallback(callback);
    }

    /**
     * Asks for the callback to run on the loop's thread. Callable from any thread, including the loop's.
     *
     * @throws IllegalStateException if the loop is closed
     */
    public void send() {
        // Store-then-check against the loop's clear-then-scan (EventLoop.drainAsyncs): both volatile, so either the
        // loop's scan sees sent == 1 or this thread sees asyncPending == 0 and wakes the loop again.
        SENT.setVolatile(this, 1);
        loop.asyncSend();
    }

    /** Whether a send is waiting for the loop (libev's {@code ev_async_pending}). Callable from any thread. */
    public boolean isSent() {
        return (int) SENT.getVolatile(this) != 0;
    }

    /** Consumes the sent flag: true if a send was waiting. Loop thread only. */
    boolean takeSent() {
        return (int) SENT.getAndSet(this, 0) != 0;
    }

    void clearSent() {
        SENT.setVolatile(this, 0);
    }

    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.asyncStart(this);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.asyncStop(this);
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
