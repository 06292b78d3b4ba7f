package dev.evring.net;

import dev.evring.TimerWatcher;

/**
 * One {@link StreamSocket#closeGracefully}: the socket takes no new sends; the sends queued before are written in
 * order; then the write side is shut down (the peer sees end of stream); then, so that close(2) finds no unread data
 * (which would make the kernel reset the connection and could cost the peer the tail of what was sent), what the peer
 * still sends is read and dropped until its end of stream (nginx's lingering close); then the fd is closed. A timeout
 * bounds it all: when it expires the socket is closed at once, and what was still queued is cancelled.
 *
 * <p>Built from ordinary operations (a shutdown queued behind the sends, a receive that drops what it gets), so it runs
 * the same on every engine. One object per graceful close; nothing per chunk but the receive's buffer handles.
 */
final class GracefulClose implements CompletionCallback<StreamSocket>, RecvCallback {
    private final StreamSocket socket;
    private final CompletionCallback<StreamSocket> callback;
    private final TimerWatcher deadline;
    /** The queued sends and the shutdown were done: a timeout from now on is no failure. */
    private boolean sent;
    /** The lingering receive waits for the application's receive to end. */
    private boolean lingerWaiting;
    private boolean done;

    GracefulClose(StreamSocket socket, long timeoutNanos, CompletionCallback<StreamSocket> callback) {
        this.socket = socket;
        this.callback = callback;
        this.deadline = socket.net.loop.timer(timeoutNanos, 0L, (w, ev) -> finish(sent ? 0 : Status.ETIMEDOUT));
    }

    void start() {
        socket.net.startFromNow(deadline);
        socket.recvPaused = false; // the close reads what the peer still sends; nothing of it reaches the application
        socket.cancelReadSide(); // the application's receive ends (ECANCELED after what it already got)
        socket.net.enqueue(socket, Op.SHUTDOWN, null, this, 0, 0);
    }

    /** The shutdown behind the queued sends ended (the sends before it too): linger, or give up on a failure. */
    @Override
    public void onComplete(StreamSocket s, int status) {
        if (done) return;
        if (status < 0) {
            finish(status); // a send failed (EPIPE, ECONNRESET), or the socket was closed: the rest is moot
            return;
        }
        sent = true;
        linger();
    }

    private void linger() {
        if (socket.closed) {
            finish(0);
        } else if (socket.readOp != null) {
            lingerWaiting = true; // the application's receive is still ending: start once it has (readSideEnded)
        } else {
            socket.net.startContinuous(socket, Op.RECV, this, 0);
        }
    }

    /** The socket's read side is free again (the application's receive ended). */
    void readSideEnded() {
        if (lingerWaiting && !done) {
            lingerWaiting = false;
            linger();
        }
    }

    /** The lingering receive: what the peer still sends is dropped; its end of stream (or an error) ends the close. */
    @Override
    public void onRecv(StreamSocket s, Buffer data, int n) {
        if (data != null) {
            data.release();
            return;
        }
        if (!done) finish(n == Status.ECANCELED && socket.closed ? Status.ECANCELED : 0);
    }

    private void finish(int status) {
        if (done) return;
        done = true;
        deadline.stop();
        boolean wasOpen = !socket.closed;
        if (wasOpen) socket.close(); // cancels whatever is left (the sends on a timeout, the lingering receive)
        if (callback == null) return;
        try {
            callback.onComplete(socket, wasOpen ? status : status < 0 ? status : Status.ECANCELED);
        } catch (Throwable t) { // the loop decides what it survives (ExceptionReporter)
            socket.net.access.reportException(socket.net.loop, socket, t);
        }
    }
}
