package dev.evring.net;

import dev.evring.TimerWatcher;
import dev.evring.Watcher;

/**
 * How a {@link Net} gets its operations done: by the kernel on the loop's io_uring ({@link RingDriver}), or by
 * readiness plus the plain system calls ({@link ReadinessDriver}). Both report through {@link Net#complete}, so the
 * callbacks users see are the same.
 */
abstract class Driver {
    final Net net;
    /** The accept pause timers call whichever driver the Net has when they fire (a ring reset may swap it). */
    private final Watcher.Callback<TimerWatcher> onAcceptResume;

    Driver(Net net) {
        this.net = net;
        this.onAcceptResume = (w, ev) -> net.driver.acceptResume((IoHandle) w.attachment());
    }

    /**
     * Out of fds (EMFILE/ENFILE): the pending connection stays in the backlog and the listener stays readable, so
     * accepting again at once would fail again, forever: the spinning loop of libev's and libuv's classic pitfall.
     * Tell the callback, pause for the backoff, then {@link #acceptResume}.
     */
    final void pauseAccepting(IoHandle h, Op op, int res) {
        net.acceptPauses++;
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
     * The driver for {@code net}'s loop: the ring when the loop runs on io_uring (unless the option
     * {@code net.completion=readiness} asks for the emulation there too), else readiness.
     */
    static Driver create(Net net) {
        String mode = net.options.get("net.completion", "auto");
        if (!mode.equals("auto") && !mode.equals("readiness")) {
            throw new IllegalArgumentException("option net.completion=" + mode + " is not auto or readiness");
        }
        if (mode.equals("auto")) {
            Driver ring = RingDriver.tryCreate(net);
            if (ring != null) return ring;
        }
        return new ReadinessDriver(net);
    }

    /** Short name, for stats: "io_uring" or "readiness(epoll)". */
    abstract String name();

    /** The forms in use, for stats: e.g. "multishot accept, buffer ring, multishot recv". */
    abstract String features();

    /** Starts {@code op} (ACTIVE); for the head of a send queue, its turn has come. */
    abstract void submit(Op op);

    /** Ends a started operation early ({@code op.cancelRequested} or the handle closing); it must reach {@link Net#complete} with fin. */
    abstract void cancel(Op op);

    /** An operation of {@code h} ended outside the driver (cancelled while waiting for a buffer): adjust interest. */
    abstract void ended(IoHandle h);

    /** A pool resumed {@code op}, which waited for a buffer. */
    abstract void bufferAvailable(Op op);

    /** {@code h} is closing: drop its watchers and timers (its operations were cancelled already). */
    abstract void handleClosing(IoHandle h);

    /** The Net is closing: release what the driver holds (buffer ring registration, timers). */
    abstract void close();
}
