package dev.evring.net;

import dev.evring.linux.Errno;
import dev.evring.linux.SysSocket;

import java.lang.foreign.MemorySegment;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;

/**
 * A connected (or connecting) stream socket: TCP over IPv4 or IPv6, or Unix-domain. Made by {@link Net#connect},
 * {@link Net#openStream}, {@link Net#socketPair()} or an accept.
 *
 * <h2>Completion style</h2>
 * {@link #recv(RecvCallback)} delivers every chunk that arrives, in pooled buffers, until end of stream, an error or
 * {@link #stopRecv()} (on io_uring: IORING_OP_RECV with buffers picked by the kernel from the receive pool's
 * ring). {@link #send(Buffer, CompletionCallback)} queues data: sends go out one after the other in call order, a
 * partial send continues by itself, and each callback comes when all of its bytes are written. When the connection
 * breaks (EPIPE, ECONNRESET), the send in progress and every send queued behind it fail with that error.
 *
 * <h2>Readiness style</h2>
 * Watch {@link #fd()} with an {@link dev.evring.IoWatcher} and call {@link #read(byte[], int, int)} /
 * {@link #write(byte[], int, int)}: one non-blocking system call each, returning 0 when the call would block, as
 * {@link java.nio.channels.SocketChannel} does. Do not mix the two styles on one direction of one socket.
 */
public final class StreamSocket extends NetSocket {
    /** A graceful close under way: sends are refused, the close's steps run. */
    GracefulClose graceful;

    StreamSocket(Net net, int fd, ProtocolFamily family) {
        super(net, fd, family);
    }

    /** Open, and taking sends: not closing gracefully. */
    private void checkSendable() {
        checkOpen();
        if (graceful != null) throw new IllegalStateException(this + " is closing gracefully: it takes no more sends");
    }

    /** A timeout as nanoseconds (0 for none, null); refused by name when not positive or too long for nanoseconds. */
    static long timeoutNanos(Duration timeout) {
        return timeout == null ? 0 : NetSettings.positiveNanos("timeout", timeout);
    }

    /** Refuses a null array by name; a range outside it is an IndexOutOfBoundsException, as the JDK's I/O does. */
    static void checkArray(String name, byte[] a, int off, int len) {
        if (a == null) throw new IllegalArgumentException(name + " is null");
        java.util.Objects.checkFromIndexSize(off, len, a.length);
    }

    /** bind(2) before connecting, to choose the local address or port. One system call. */
    public StreamSocket bind(SocketAddress local) {
        bindNow(local);
        return this;
    }

    @Override
    public <T> StreamSocket setOption(SocketOption<T> option, T value) {
        super.setOption(option, value);
        return this;
    }

    /** The peer's address (getpeername(2)), or null when not connected. One system call. */
    public SocketAddress remoteAddress() {
        return peerAddress();
    }

    // ------------------------------------------------------------------------------------------------------------
    // completion style

    /**
     * Connects to {@code remote}; {@code callback} gets 0 once connected, or {@code -errno} ({@link Status#ECONNREFUSED},
     * {@link Status#ENOENT} for a Unix path nobody listens on, ...). Send after the callback said 0.
     *
     * @return the operation id
     */
    public long connect(SocketAddress remote, CompletionCallback<StreamSocket> callback) {
        return net.startConnect(this, remote, 0, callback);
    }

    /** As {@link #connect(SocketAddress, CompletionCallback)}, failing with {@link Status#ETIMEDOUT} after {@code timeout}. */
    public long connect(SocketAddress remote, Duration timeout, CompletionCallback<StreamSocket> callback) {
        return net.startConnect(this, remote, timeoutNanos(timeout), callback);
    }

    /**
     * Receives every chunk that arrives (see {@link RecvCallback}), until end of stream, an error or
     * {@link #stopRecv()}. One receive may run at a time.
     *
     * @return the operation id
     * @throws IllegalStateException if a receive is already running
     */
    public long recv(RecvCallback callback) {
        return net.startContinuous(this, Op.RECV, callback, 0);
    }

    /**
     * As {@link #recv(RecvCallback)}, with an idle timeout: when no data arrives for {@code idleTimeout}, receiving
     * ends with {@link Status#ETIMEDOUT}. (On io_uring each chunk is then its own receive with a linked timeout.)
     */
    public long recv(Duration idleTimeout, RecvCallback callback) {
        return net.startContinuous(this, Op.RECV, callback, timeoutNanos(idleTimeout));
    }

    /**
     * Stops receiving: the callback gets {@link Status#ECANCELED} as its final call (chunks the kernel delivered before
     * the stop took effect come first). Returns whether a receive was running.
     */
    public boolean stopRecv() {
        return cancelReadSide();
    }

    /** Whether a receive is running. */
    public boolean isReceiving() {
        return readSideRunning();
    }

    /**
     * Queues {@code data} for sending, and takes it: it is no longer yours, and goes back to its pool when sent. The
     * callback (may be null) gets the byte count once all were written, or {@code -errno}.
     *
     * @return the operation id
     * @throws IllegalStateException if {@code data} is not yours (released, already sent)
     */
    public long send(Buffer data, CompletionCallback<StreamSocket> callback) {
        return send(data, null, callback);
    }

    /** As {@link #send(Buffer, CompletionCallback)}, failing with {@link Status#ETIMEDOUT} if the kernel cannot take it within {@code timeout}. */
    public long send(Buffer data, Duration timeout, CompletionCallback<StreamSocket> callback) {
        checkSendable();
        long t = timeoutNanos(timeout);
        BufferSlot slot = net.lend(data);
        return net.enqueue(this, Op.SEND, slot, callback, t, slot.length);
    }

    /**
     * Copies {@code src[off, off + len)} into buffers of the general pool and queues them; the callback (may be null)
     * gets {@code len} once all were written. If the pool has too few free buffers, nothing is queued and the callback
     * gets {@link Status#ENOBUFS}.
     *
     * @return the operation id of the last part
     */
    public long send(byte[] src, int off, int len, CompletionCallback<StreamSocket> callback) {
        checkSendable();
        checkArray("src", src, off, len);
        int size = net.pool.bufferSize;
        int parts = Math.max(1, (len + size - 1) / size);
        BufferSlot[] taken = parts == 1 ? null : new BufferSlot[parts];
        BufferSlot first = net.pool.take();
        if (first == null || (parts > 1 && !takeMore(taken, first, parts))) {
            Op op = net.acquire(this, Op.SEND, callback, 0);
            net.complete(op, Status.ENOBUFS, null, true);
            return op.id();
        }
        long id = 0;
        for (int p = 0; p < parts; p++) {
            BufferSlot b = parts == 1 ? first : taken[p];
            int n = Math.min(size, len - p * size);
            MemorySegment.copy(src, off + p * size, b.memory, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, n);
            b.length = n;
            boolean last = p == parts - 1;
            id = net.enqueue(this, Op.SEND, b, last ? callback : null, 0, len);
        }
        return id;
    }

    private boolean takeMore(BufferSlot[] taken, BufferSlot first, int parts) {
        taken[0] = first;
        for (int p = 1; p < parts; p++) {
            taken[p] = net.pool.take();
            if (taken[p] == null) {
                for (int q = 0; q < p; q++) net.pool.recycle(taken[q]);
                return false;
            }
        }
        return true;
    }

    /**
     * Half-closes the sending side (shutdown(SHUT_WR), the peer sees end of stream) once every send queued before it
     * is written. The callback (may be null) gets 0 or {@code -errno}.
     *
     * @return the operation id
     */
    public long shutdown(CompletionCallback<StreamSocket> callback) {
        checkSendable();
        return net.enqueue(this, Op.SHUTDOWN, null, callback, 0, 0);
    }

    /**
     * Closes without losing what was sent: the socket takes no more sends at once; the sends queued before are
     * written, in order; then the write side is shut down (the peer sees end of stream); then what the peer still
     * sends is read and dropped until its end of stream, so that close(2) finds nothing unread (unread data makes the
     * kernel reset the connection, which can cost the peer the tail of what it was sent); then the fd is closed. A
     * receive still running ends first (its callback gets {@link Status#ECANCELED} after the chunks it got).
     *
     * <p>{@code callback} (may be null) comes once the socket is closed: 0 when every queued byte was written and the
     * write side shut down (whether the peer then ended its side or {@code timeout} expired while it lingered);
     * {@link Status#ETIMEDOUT} when {@code timeout} expired before the queued sends were written (they are
     * cancelled); a send's error ({@link Status#EPIPE}, {@link Status#ECONNRESET}) when the connection broke;
     * {@link Status#ECANCELED} when {@link #close()} came first. Does nothing on a socket that is closed or already
     * closing gracefully. {@link #close()} keeps its meaning: now, cancelling what is queued.
     *
     * @throws IllegalArgumentException when {@code timeout} is null, not positive or too long
     */
    public void closeGracefully(Duration timeout, CompletionCallback<StreamSocket> callback) {
        net.checkOwner();
        if (timeout == null) throw new IllegalArgumentException("timeout is null: a graceful close needs a bound");
        long t = NetSettings.positiveNanos("timeout", timeout);
        if (closed || graceful != null) return;
        graceful = new GracefulClose(this, t, callback);
        graceful.start();
    }

    /** How many sends (and shutdowns) are queued or in progress. */
    public int pendingSends() {
        net.checkOwner();
        return sendQueued;
    }

    // ------------------------------------------------------------------------------------------------------------
    // readiness style

    /**
     * Starts a non-blocking connect (connect(2)): true if connected at once, false if in progress: wait for the fd to
     * be writable, then call {@link #finishConnect()}.
     *
     * @throws dev.evring.ErrnoException if the connect failed at once (ECONNREFUSED, ENOENT...)
     */
    public boolean startConnect(SocketAddress remote) {
        checkOpen();
        int len = SockAddr.write(remote, domain, net.addrScratch);
        int r = SysSocket.connect(net.callState, fd, net.addrScratch, len);
        if (r == 0) return true;
        if (r == -Errno.EINPROGRESS) return false;
        throw Errno.exception("connect(fd " + fd + ", " + remote + ")", -r);
    }

    /**
     * Completes a connect started by {@link #startConnect}, once the fd is writable: returns normally if connected.
     *
     * @throws dev.evring.ErrnoException with the reason the connect failed (SO_ERROR)
     */
    public void finishConnect() {
        checkOpen();
        int err = takeSocketError();
        if (err != 0) throw Errno.exception("connect(fd " + fd + ")", err);
    }

    /**
     * Reads into {@code dst[off, off + len)} (recv(2), non-blocking): the byte count, 0 if nothing is there yet, -1 at
     * end of stream. At most 64 KiB per call (the data passes through a native buffer of the Net's).
     *
     * @throws dev.evring.ErrnoException on failure (ECONNRESET...)
     */
    public int read(byte[] dst, int off, int len) {
        checkOpen();
        checkArray("dst", dst, off, len);
        MemorySegment scratch = net.ioScratch;
        long n = recvInto(scratch, Math.min(len, (int) scratch.byteSize()));
        if (n > 0) MemorySegment.copy(scratch, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, dst, off, (int) n);
        return (int) n;
    }

    /** Reads into a segment of yours; the byte count, 0 if nothing is there yet, -1 at end of stream. */
    public int read(MemorySegment dst) {
        checkOpen();
        return (int) recvInto(dst, dst.byteSize());
    }

    /** Reads into the free space of a buffer of yours, appending; the byte count, 0 if nothing yet, -1 at end of stream. */
    public int read(Buffer dst) {
        checkOpen();
        BufferSlot s = dst.own();
        int room = s.capacity() - s.length;
        int n = (int) recvInto(s.memory.asSlice(s.length, room), room);
        if (n > 0) s.length += n;
        return n;
    }

    private long recvInto(MemorySegment dst, long len) {
        while (true) {
            long n = SysSocket.recv(net.callState, fd, dst, len, 0);
            if (n > 0) return n;
            if (n == 0) return len == 0 ? 0 : -1;
            if (n == -Errno.EAGAIN) return 0;
            if (n != -Errno.EINTR) throw Errno.exception("recv(fd " + fd + ")", (int) -n);
        }
    }

    /**
     * Writes {@code src[off, off + len)} (send(2), non-blocking): the bytes the kernel took, 0 if none fit now. At most
     * 64 KiB per call.
     *
     * @throws dev.evring.ErrnoException on failure (EPIPE when the peer is gone, ECONNRESET...)
     */
    public int write(byte[] src, int off, int len) {
        checkOpen();
        checkArray("src", src, off, len);
        MemorySegment scratch = net.ioScratch;
        int n = Math.min(len, (int) scratch.byteSize());
        MemorySegment.copy(src, off, scratch, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, n);
        return (int) sendFrom(scratch, n);
    }

    /** Writes a segment of yours; the bytes the kernel took, 0 if none fit now. */
    public int write(MemorySegment src) {
        checkOpen();
        return (int) sendFrom(src, src.byteSize());
    }

    /** Writes the data of a buffer of yours from {@code from}; the bytes the kernel took, 0 if none fit now. The buffer stays yours. */
    public int write(Buffer src, int from) {
        checkOpen();
        BufferSlot s = src.own();
        int len = s.length - from;
        if (from < 0 || len < 0) throw new IndexOutOfBoundsException("from " + from + " outside [0, " + s.length + "]");
        return (int) sendFrom(s.memory.asSlice(from, len), len);
    }

    private long sendFrom(MemorySegment src, long len) {
        while (true) {
            long n = SysSocket.send(net.callState, fd, src, len, SysSocket.MSG_NOSIGNAL);
            if (n >= 0) return n;
            if (n == -Errno.EAGAIN) return 0;
            if (n != -Errno.EINTR) throw Errno.exception("send(fd " + fd + ")", (int) -n);
        }
    }

    /** shutdown(SHUT_RD) now. One system call. */
    public void shutdownInput() {
        checkOpen();
        Errno.check(SysSocket.shutdown(net.callState, fd, SysSocket.SHUT_RD), "shutdown(fd " + fd + ", SHUT_RD)");
    }

    /** shutdown(SHUT_WR) now, not waiting for queued sends (see {@link #shutdown(CompletionCallback)}). One system call. */
    public void shutdownOutput() {
        checkOpen();
        Errno.check(SysSocket.shutdown(net.callState, fd, SysSocket.SHUT_WR), "shutdown(fd " + fd + ", SHUT_WR)");
    }
}
