package dev.evring.net;

import dev.evring.IoWatcher;
import dev.evring.TimerWatcher;
import dev.evring.linux.Errno;
import dev.evring.linux.SysSocket;

import java.lang.foreign.MemorySegment;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;

/**
 * A listening stream socket, TCP (IPv4, IPv6) or Unix-domain. Made by {@link Net#listen} or
 * {@link Net#openListener} then {@link #bind} and {@link #listen}.
 *
 * <p>Completion style: {@link #accept(AcceptCallback)} calls back for every connection until stopped (on io_uring one
 * multishot IORING_OP_ACCEPT serves them all). Readiness style: watch {@link #fd()} for READ and call
 * {@link #tryAccept()}.
 *
 * <p>Out of fds (EMFILE, ENFILE) or memory (ENOBUFS, ENOMEM), or refused by a security module (EPERM), a listener
 * cannot take the pending connection, which stays in the backlog, so its fd stays readable: a naive loop spins at
 * 100% CPU. evring pauses accepting instead ({@code Net.Builder.acceptBackoff}, 100 ms by default; counted in
 * {@link NetStats#acceptPauses()}) in both styles: the completion style tells the accept callback (status
 * {@code -EMFILE}, ...: {@link Status#isAcceptPause}) and resumes by itself; the readiness style's
 * {@link #tryAccept(IoWatcher)} returns null and rests your watcher for the pause. The waiting connection is accepted
 * as soon as the shortage passed, none is dropped.
 */
public final class StreamListener extends NetSocket {
    /** Readiness style: accepting paused after a shortage ({@link Status#isAcceptPause}) until this timer fires. */
    private TimerWatcher readinessPause;
    /** The caller's watcher stopped for that pause, started again when it ends. */
    private IoWatcher pausedWatcher;

    StreamListener(Net net, int fd, ProtocolFamily family) {
        super(net, fd, family);
    }

    /** Closing: the readiness pause ends without restarting anything. */
    void closing() {
        if (readinessPause != null) readinessPause.stop();
        pausedWatcher = null;
    }

    /** bind(2) to {@code local}. One system call. */
    public StreamListener bind(SocketAddress local) {
        bindNow(local);
        return this;
    }

    /** listen(2) with {@code backlog} pending connections at most (the kernel caps it at net.core.somaxconn). One system call. */
    public StreamListener listen(int backlog) {
        checkOpen();
        if (backlog < 1) throw new IllegalArgumentException("backlog " + backlog + " must be at least 1");
        Errno.check(SysSocket.listen(net.callState, fd, backlog), "listen(fd " + fd + ", " + backlog + ")");
        return this;
    }

    @Override
    public <T> StreamListener setOption(SocketOption<T> option, T value) {
        super.setOption(option, value);
        return this;
    }

    /**
     * Accepts every connection, calling {@code callback} for each (see {@link AcceptCallback}), until
     * {@link #stopAccept()}, a close, or an error. One accept may run at a time.
     *
     * @return the operation id, for {@link Net#cancel(long)}
     * @throws IllegalStateException if an accept is already running
     */
    public long accept(AcceptCallback callback) {
        return net.startContinuous(this, Op.ACCEPT, callback, 0);
    }

    /**
     * As {@link #accept(AcceptCallback)}, but each wait for the next connection is bounded by {@code timeout}: when it
     * expires the accept ends with {@link Status#ETIMEDOUT}.
     */
    public long accept(Duration timeout, AcceptCallback callback) {
        return net.startContinuous(this, Op.ACCEPT, callback, StreamSocket.timeoutNanos(timeout));
    }

    /** Stops the running accept; its callback gets {@link Status#ECANCELED}. Returns whether one was running. */
    public boolean stopAccept() {
        return cancelReadSide();
    }

    /** Whether an accept is running. */
    public boolean isAccepting() {
        return readSideRunning();
    }

    /**
     * Readiness style: accepts one pending connection (accept4(2), non-blocking), or returns null when none can be
     * taken now: none is waiting, or the process is short of fds or memory, or EPERM ({@link Status#isAcceptPause}).
     * Then accepting pauses as the completion style's does ({@code Net.Builder.acceptBackoff}, 100 ms by default;
     * counted in {@link NetStats#acceptPauses()}): until the pause ends this returns null without a system call, and
     * the waiting connection stays in the backlog, accepted once the shortage passed. The listener's fd stays readable
     * meanwhile, so a watcher on it would be called on every iteration: use {@link #tryAccept(IoWatcher)}, which stops
     * it for the pause. A connection that failed on its own (ECONNABORTED, EPROTO, a network error) is skipped and the
     * next one taken.
     *
     * @throws dev.evring.ErrnoException on any other failure (the listener is broken: EBADF, EINVAL, ...)
     */
    public StreamSocket tryAccept() {
        return tryAccept(null);
    }

    /**
     * As {@link #tryAccept()}, and when accepting pauses for lack of fds, {@code watcher} (yours, watching this
     * listener's fd) is stopped for the pause and started again when it ends: no spinning on a listener that stays
     * readable. Null: as {@link #tryAccept()}.
     */
    public StreamSocket tryAccept(IoWatcher watcher) {
        checkOpen();
        if (watcher != null && watcher.fd() != fd) {
            throw new IllegalArgumentException(watcher + " does not watch this listener's fd " + fd);
        }
        if (readinessPause != null && readinessPause.isActive()) return null; // out of fds a moment ago: no syscall
        while (true) {
            int r = SysSocket.accept4(net.callState, fd, MemorySegment.NULL, MemorySegment.NULL,
                    SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC);
            if (r >= 0) return new StreamSocket(net, r, family);
            if (r == -Errno.EAGAIN) return null;
            if (transientAcceptError(r)) continue;
            if (Status.isAcceptPause(r)) {
                pauseReadinessAccept(watcher);
                return null;
            }
            throw Errno.exception("accept4(fd " + fd + ")", -r);
        }
    }

    /** Out of fds in readiness style: no accept4 until the backoff ends; the caller's watcher rests meanwhile. */
    private void pauseReadinessAccept(IoWatcher watcher) {
        net.acceptPauses++;
        NetEvents.acceptPaused(this, 0, net.acceptBackoffNanos, net.acceptPauses);
        pausedWatcher = watcher;
        if (watcher != null) watcher.stop();
        if (readinessPause == null) {
            readinessPause = net.loop.timer(net.acceptBackoffNanos, 0L, (t, ev) -> {
                IoWatcher w = pausedWatcher;
                pausedWatcher = null;
                if (w != null && !closed) w.start();
            });
        }
        readinessPause.stop();
        readinessPause.setNanos(net.acceptBackoffNanos, 0L);
        readinessPause.start();
    }

    /**
     * Errors accept(2) reports for one connection, which it took off the backlog (it died there, or the network under
     * it failed), and for a signal; the man page says to retry the network ones as EAGAIN. They never end an accept,
     * and the connections behind them are still accepted.
     */
    static boolean transientAcceptError(int r) {
        return r == -Errno.ECONNABORTED || r == -Errno.EINTR || r == -Errno.EPROTO || r == -Errno.ENETDOWN
                || r == -Errno.ENOPROTOOPT || r == -Errno.EHOSTDOWN || r == -Errno.ENONET || r == -Errno.EHOSTUNREACH
                || r == -Errno.EOPNOTSUPP || r == -Errno.ENETUNREACH;
    }
}
