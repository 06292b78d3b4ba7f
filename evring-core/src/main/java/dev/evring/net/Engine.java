package dev.evring.net;

import dev.evring.TimerWatcher;
import dev.evring.Watcher;
import dev.evring.uring.RingOps;

/**
 * How a {@link Net} gets its operations done: by the kernel on the loop's io_uring ({@link RingEngine}), or by
 * readiness plus the plain system calls ({@link ReadinessEngine}). Both report through {@link Net#complete}, so the
 * callbacks users see are the same.
 */
abstract class Engine {
    final Net net;
    /** The accept pause timers call whichever engine the Net has when they fire (a ring reset may swap it). */
    private final Watcher.Callback<TimerWatcher> onAcceptResume;

    Engine(Net net) {
        this.net = net;
        this.onAcceptResume = (w, ev) -> net.engine.acceptResume((IoHandle) w.attachment());
    }

    /**
     * Out of fds or memory ({@link Status#isAcceptPause}): the pending connection stays in the backlog and the listener stays readable, so
     * accepting again at once would fail again, forever: the spinning loop of libev's and libuv's classic pitfall.
     * Tell the callback, pause for the backoff, then {@link #acceptResume}.
     */
    final void pauseAccepting(IoHandle h, Op op, int res) {
        net.acceptPauses++;
        NetEvents.acceptPaused(h, res, net.acceptBackoffNanos, net.acceptPauses);
        net.complete(op, res, null, false);
        TimerWatcher t = h.acceptPause;
        if (t == null) {
            t = net.loop.timer(net.acceptBackoffNanos, 0L, onAcceptResume);
            t.attach(h);
            h.acceptPause = t;
        }
        t.stop();
        t.setNanos(net.acceptBackoffNanos, 0L);
        t.start();
    }

    /** The accept pause of {@code h} is over: accept again. */
    abstract void acceptResume(IoHandle h);

    /**
     * The engine for {@code net}'s loop: the ring while the loop has one (the loop says so: no ring on epoll and poll,
     * nor once an io_uring loop moved to epoll), unless {@code net.completion=readiness} asks for the emulation there
     * too; else readiness.
     */
    static Engine create(Net net) {
        if (!net.settings.readinessOnly()) {
            RingOps ring = net.access.ring(net.loop);
            if (ring != null) return new RingEngine(net, ring);
        }
        return new ReadinessEngine(net);
    }

    /** Short name, for stats: "io_uring" or "readiness". */
    abstract String name();

    /** The forms in use, for stats: e.g. "multishot accept, buffer ring, multishot recv". */
    abstract String features();

    /**
     * Whether a datagram receive starting now takes its buffers from the receive pool's kernel ring (multishot
     * IORING_OP_RECVMSG, {@code net.udp_multishot}) rather than one general-pool buffer per datagram.
     */
    boolean datagramsFromRecvRing() {
        return false;
    }

    /** Starts {@code op} (ACTIVE); for the head of a send queue, its turn has come. */
    abstract void submit(Op op);

    /**
     * Before the loop waits: {@code h}'s send queue changed and no request of it is in the kernel: start the head's
     * (for stream sends, a gathered write of the head and the sends behind it), unless it waits for writability.
     */
    abstract void flushSends(IoHandle h);

    /** A send in {@code h}'s write request in flight was cancelled: cancel the request ({@link Outbound#requestEnded} settles it). */
    abstract void cancelSends(IoHandle h);

    /** The application paused or resumed {@code h}'s receiving: stop or start reading accordingly. */
    abstract void recvPauseChanged(IoHandle h);

    /** Ends a started operation early ({@code op.cancelRequested} or the handle closing); it must reach {@link Net#complete} with fin. */
    abstract void cancel(Op op);

    /** An operation of {@code h} ended outside the engine (cancelled while waiting for a buffer): adjust interest. */
    abstract void ended(IoHandle h);

    /** A pool resumed {@code op}, which waited for a buffer. */
    abstract void bufferAvailable(Op op);

    /** The receive {@code op} paused for its connection's share may go on: the connection gave buffers back. */
    abstract void shareAvailable(Op op);

    /** {@code h} is closing: drop its watchers and timers (its operations were cancelled already). */
    abstract void handleClosing(IoHandle h);

    /** The Net is closing: release what the engine holds (buffer ring registration, timers). */
    abstract void close();
}
