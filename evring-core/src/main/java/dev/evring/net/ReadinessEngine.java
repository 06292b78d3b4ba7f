package dev.evring.net;

import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;
import dev.evring.linux.Errno;
import dev.evring.linux.SysSocket;
import dev.evring.linux.Unistd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Completion I/O emulated with readiness, for the epoll and poll backends (and io_uring with
 * {@code net.completion=readiness}): each socket gets a read and a write {@link IoWatcher}, started while an
 * operation waits for that direction; when the fd is ready the plain non-blocking call does the I/O and the result is
 * reported as a completion. Sends are tried at once (most succeed without waiting); timeouts are loop timers.
 *
 * <p>One read-side call per readiness event (the loop is level-triggered, so a socket with more data is reported again
 * next iteration: fair to the other connections), up to 16 accepts per event.
 */
final class ReadinessEngine extends Engine {
    private static final int ACCEPTS_PER_EVENT = 16;

    private final Watcher.Callback<IoWatcher> onReadable = (w, ev) -> readable((IoHandle) w.attachment(), ev);
    private final Watcher.Callback<IoWatcher> onWritable = (w, ev) -> writable((IoHandle) w.attachment(), ev);
    private final Watcher.Callback<TimerWatcher> onTimeout = (w, ev) -> timedOut((Op) w.attachment());
    private final MemorySegment callState;
    private boolean flushing;

    ReadinessEngine(Net net) {
        super(net);
        this.callState = net.callState;
    }

    @Override
    String name() {
        return "readiness";
    }

    @Override
    String features() {
        return "readiness emulation on " + net.loop.backend().id();
    }

    // ------------------------------------------------------------------------------------------------------------
    // interest

    /** Starts or stops the socket's watchers to match what its operations wait for. No system call (the loop batches). */
    private void updateInterest(IoHandle h) {
        if (h.closed) return;
        Op r = h.readOp;
        boolean wantRead = r != null && r.state == Op.ACTIVE && !r.waitingForBuffer && !r.sharePaused && !h.recvPaused
                && (h.acceptPause == null || !h.acceptPause.isActive());
        boolean wantWrite = h.connectOp != null || (h.sendHead != null && h.sendHead.state == Op.ACTIVE && writeBlocked(h));
        if (wantRead) {
            if (h.readWatcher == null) h.readWatcher = (IoWatcher) net.loop.io(h.fd, Events.READ, onReadable).attach(h);
            h.readWatcher.start();
        } else if (h.readWatcher != null) {
            h.readWatcher.stop();
        }
        if (wantWrite) {
            if (h.writeWatcher == null) h.writeWatcher = (IoWatcher) net.loop.io(h.fd, Events.WRITE, onWritable).attach(h);
            h.writeWatcher.start();
        } else if (h.writeWatcher != null) {
            h.writeWatcher.stop();
        }
    }

    /** A send waits for writability: its last attempt said EAGAIN. */
    private static boolean writeBlocked(IoHandle h) {
        return h.sendHead.writeBlocked;
    }

    private void armTimer(Op op) {
        if (op.timeoutNanos <= 0) return;
        TimerWatcher t = op.timer;
        if (t == null) {
            t = net.loop.timer(op.timeoutNanos, 0L, onTimeout);
            t.attach(op);
            op.timer = t;
        } else {
            t.stop();
            t.setNanos(op.timeoutNanos, 0L);
        }
        net.startFromNow(t);
    }

    // ------------------------------------------------------------------------------------------------------------
    // starting

    @Override
    void submit(Op op) {
        IoHandle h = op.handle;
        switch (op.kind) {
            case Op.ACCEPT, Op.RECV, Op.RECVFROM -> {
                armTimer(op);
                updateInterest(h);
            }
            case Op.CONNECT -> connect(op);
            case Op.SEND, Op.SENDTO, Op.SHUTDOWN -> {
                if (!flushing) flush(h);
            }
            case Op.READ, Op.WRITE -> fileIo(op);
            case Op.CLOSE -> {
                int r = Unistd.close(callState, h.fd);
                net.complete(op, r == -Errno.EINTR ? 0 : r, null, true);
            }
            default -> throw new IllegalStateException("unknown operation " + op);
        }
    }

    private void connect(Op op) {
        StreamSocket s = (StreamSocket) op.handle;
        int r = SysSocket.connect(callState, s.fd, op.scratch, op.addrLength);
        if (r == -Errno.EINPROGRESS || r == -Errno.EINTR) {
            armTimer(op);
            updateInterest(s);
        } else {
            net.complete(op, r, null, true);
        }
    }

    private void fileIo(Op op) {
        IoHandle h = op.handle;
        BufferSlot b = op.buffer;
        op.buffer = null;
        if (op.kind == Op.READ) {
            long n = Unistd.pread(callState, h.fd, b.memory.asSlice(b.length), b.capacity() - b.length, op.position);
            if (n > 0) b.length += (int) n;
            net.complete(op, (int) n, b, true);
        } else {
            long n = 0;
            while (op.done < b.length) {
                n = Unistd.pwrite(callState, h.fd, b.memory.asSlice(op.done), b.length - op.done, op.position + op.done);
                if (n < 0 && n != -Errno.EINTR) break;
                if (n > 0) op.done += (int) n;
            }
            op.buffer = b; // consumed: complete() returns it to its pool
            net.complete(op, n < 0 && n != -Errno.EINTR ? (int) n : op.done, null, true);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // readiness

    private void readable(IoHandle h, int revents) {
        Op op = h.readOp;
        if (op == null || op.state != Op.ACTIVE || op.waitingForBuffer) {
            updateInterest(h);
            return;
        }
        if ((revents & Events.ERROR) != 0) {
            end(op, -Errno.EBADF);
            return;
        }
        if (op.kind != Op.ACCEPT && net.shareFull(h)) {
            net.pauseForShare(op); // its data waits in its socket until it gives buffers back (shareAvailable)
            updateInterest(h);
            return;
        }
        switch (op.kind) {
            case Op.ACCEPT -> acceptSome((StreamListener) h, op);
            case Op.RECV -> recvOnce((StreamSocket) h, op);
            case Op.RECVFROM -> recvFromOnce((UdpSocket) h, op);
            default -> throw new IllegalStateException("read-side operation " + op);
        }
    }

    private void acceptSome(StreamListener l, Op op) {
        for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
            int fd = SysSocket.accept4(callState, l.fd, MemorySegment.NULL, MemorySegment.NULL,
                    SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC);
            if (fd >= 0) {
                net.complete(op, fd, null, false);
                armTimer(op);
                if (op.state != Op.ACTIVE) return;
                continue;
            }
            if (fd == -Errno.EAGAIN) return;
            if (StreamListener.transientAcceptError(fd)) continue;
            if (Status.isAcceptPause(fd)) {
                pauseAccepting(l, op, fd); // stops watching the listener until the pause ends
                updateInterest(l);
                return;
            }
            end(op, fd);
            return;
        }
    }

    @Override
    void acceptResume(IoHandle h) {
        updateInterest(h);
    }

    private void recvOnce(StreamSocket s, Op op) {
        BufferSlot b = net.recvPool.take(op);
        if (b == null) {
            net.recvPool.await(op); // resumed by bufferAvailable when one comes back
            updateInterest(s);
            return;
        }
        net.recvPool.assign(b, s);
        long n = SysSocket.recv(callState, s.fd, b.memory, b.capacity(), 0);
        if (n > 0) {
            b.length = (int) n;
            net.complete(op, (int) n, b, false);
            armTimer(op);
            return;
        }
        net.recvPool.recycle(b);
        if (n == -Errno.EAGAIN || n == -Errno.EINTR) return;
        end(op, (int) n); // 0: end of stream; < 0: the error
    }

    private void recvFromOnce(UdpSocket u, Op op) {
        BufferPool pool = net.bufferPoolOf(op); // (the receive pool for one that began on the ring's: net.udp_multishot)
        BufferSlot b = pool.take(op);
        if (b == null) {
            pool.await(op);
            updateInterest(u);
            return;
        }
        pool.assign(b, u);
        MemorySegment len = net.addrLenScratch;
        len.set(ValueLayout.JAVA_INT, 0, (int) SysSocket.SOCKADDR_STORAGE_SIZE);
        long n = SysSocket.recvfrom(callState, u.fd, b.memory, b.capacity(), 0, b.peer, len);
        if (n >= 0) { // an empty datagram is a datagram
            b.length = (int) n;
            b.peerLength = len.get(ValueLayout.JAVA_INT, 0);
            net.complete(op, (int) n, b, false);
            armTimer(op);
            return;
        }
        pool.recycle(b);
        if (n == -Errno.EAGAIN || n == -Errno.EINTR) return;
        end(op, (int) n);
    }

    private void writable(IoHandle h, int revents) {
        Op c = h.connectOp;
        if (c != null && c.state == Op.ACTIVE) {
            // the outcome of a non-blocking connect is in SO_ERROR once the socket turns writable
            int err = (revents & Events.ERROR) != 0 ? Errno.EBADF : ((StreamSocket) h).takeSocketError();
            net.complete(c, -err, null, true);
        }
        if (h.sendHead != null && h.sendHead.state == Op.ACTIVE) {
            h.sendHead.writeBlocked = false;
            flush(h);
        }
        updateInterest(h);
    }

    /**
     * Writes queued sends in order until one would block, fails, or the queue is empty: stream sends gathered into
     * one sendmsg (or one send for a single run), a partial write tried again at once (the kernel may have room by
     * now).
     */
    private void flush(IoHandle h) {
        flushing = true;
        try {
            Op op;
            while ((op = h.sendHead) != null && !h.closed) {
                op.state = Op.ACTIVE;
                if (op.timeoutNanos > 0 && (op.timer == null || !op.timer.isActive())) armTimer(op); // its turn came
                if (op.kind == Op.SHUTDOWN) {
                    int r = SysSocket.shutdown(callState, h.fd, SysSocket.SHUT_WR);
                    net.complete(op, r, null, true);
                    continue;
                }
                if (op.kind == Op.SEND) {
                    if (!writeGathered(h)) break;
                    continue;
                }
                BufferSlot b = op.buffer;
                long n = SysSocket.sendto(callState, h.fd, b.memory, b.length, SysSocket.MSG_NOSIGNAL, op.scratch, op.addrLength);
                if (n >= 0) {
                    net.complete(op, (int) n, null, true);
                    continue;
                }
                if (n == -Errno.EINTR) continue;
                if (n == -Errno.EAGAIN) {
                    op.writeBlocked = true; // wait for writability
                    break;
                }
                net.complete(op, (int) n, null, true);
            }
        } finally {
            flushing = false;
        }
        updateInterest(h);
    }

    /** One gathered write of the stream sends at the head of {@code h}'s queue; false when it would block. */
    private boolean writeGathered(IoHandle h) {
        Outbound out = net.outbound;
        MemorySegment msg = out.syncGather;
        int runs = out.gather(h, msg);
        // sendmsg for one run too: the iovec names it by address, where send(2) would need a slice (an object)
        long n = runs == 0 ? 0 : SysSocket.sendmsg(callState, h.fd, msg, SysSocket.MSG_NOSIGNAL);
        if (n > 0 || runs == 0) {
            out.written(h, n);
            out.requestEnded(h, 0);
            return true;
        }
        if (n == -Errno.EINTR) {
            out.requestEnded(h, 0);
            return true;
        }
        if (n == -Errno.EAGAIN) {
            out.requestEnded(h, 0);
            Op head = h.sendHead;
            if (head != null) { // its turn came: it waits for writability (and its timeout runs)
                head.state = Op.ACTIVE;
                head.writeBlocked = true;
            }
            return false;
        }
        out.requestEnded(h, n == 0 ? Status.EPIPE : (int) n);
        return true; // the queue is empty now
    }

    // ------------------------------------------------------------------------------------------------------------
    // ending early

    private void timedOut(Op op) {
        if (op.state != Op.ACTIVE && op.state != Op.QUEUED) return;
        if (op.kind == Op.SEND) {
            IoHandle h = op.handle;
            net.outbound.endEarly(op, Status.ETIMEDOUT); // cleanly if nothing of it was written, else the output breaks
            if (h.sendHead != null) {
                h.sendHead.writeBlocked = false;
                net.sendQueueChanged(h);
            }
            updateInterest(h);
            return;
        }
        end(op, Status.ETIMEDOUT);
    }

    @Override
    void cancel(Op op) {
        end(op, Status.ECANCELED);
    }

    /** Ends a started operation with {@code res}; nothing of it is in the kernel. */
    private void end(Op op, int res) {
        IoHandle h = op.handle;
        if (op.waitingForBuffer) net.bufferPoolOf(op).cancelWait(op);
        net.complete(op, res, null, true);
        updateInterest(h);
    }

    @Override
    void ended(IoHandle h) {
        updateInterest(h);
    }

    @Override
    void recvPauseChanged(IoHandle h) {
        updateInterest(h);
    }

    @Override
    void flushSends(IoHandle h) {
        Op head = h.sendHead;
        if (head.state == Op.ACTIVE && head.writeBlocked) return; // the write watcher tells when there is room
        flush(h);
    }

    @Override
    void cancelSends(IoHandle h) {
        // nothing is in the kernel: every write is done before the call that makes it returns
    }

    @Override
    void bufferAvailable(Op op) {
        if (op.state == Op.ACTIVE && op.handle.readOp == op) updateInterest(op.handle);
    }

    @Override
    void shareAvailable(Op op) {
        if (op.state == Op.ACTIVE && op.handle.readOp == op) updateInterest(op.handle);
    }

    @Override
    void handleClosing(IoHandle h) {
        if (h.readWatcher != null) h.readWatcher.stop();
        if (h.writeWatcher != null) h.writeWatcher.stop();
        if (h.acceptPause != null) h.acceptPause.stop();
    }

    @Override
    void close() {
        // watchers and timers belong to the loop and were stopped with their handles
    }
}
