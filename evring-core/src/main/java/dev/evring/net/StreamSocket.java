package dev.evring.net;

import dev.evring.linux.Errno;
import dev.evring.linux.SysSocket;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;

/**
 * A connected (or connecting) stream socket: TCP over IPv4 or IPv6, or Unix-domain. Made by {@link Net#connect},
 * {@link Net#openStream}, {@link Net#socketPair()} or an accept.
 *
 * <h2>Completion style</h2>
 * Receiving: {@link #recv(RecvCallback)} delivers every chunk that arrives, in a pooled {@link Buffer} (readable in
 * place through {@link Buffer#segment()}); {@link #recvAccumulated(InboundCallback)} shows a parser everything
 * received and not yet consumed, in place, keeping the unconsumed tail across chunks; both until end of stream, an
 * error or {@link #stopRecv()}. {@link #pauseRecv()} / {@link #resumeRecv()} pause and resume either in one call,
 * with no callback of their own. (On io_uring: IORING_OP_RECV into buffers the kernel picks from the receive pool's
 * ring.)
 *
 * <p>Sending: {@code send} takes a {@link Buffer} (handed over, no copy), several (a gather), a {@code byte[]} or a
 * {@code ByteBuffer} (copied at the call), of any size: every send is queued in call order, written in that order, and
 * never refused or failed for want of pool buffers; the sends one pass of callbacks queues leave together, gathered
 * into one write (IORING_OP_SENDMSG / sendmsg(2)). Each callback comes once all of its bytes are written. When the
 * connection breaks (EPIPE, ECONNRESET) the sends queued fail with that error, and later ones at once. A producer
 * follows {@link #isWritable()} / {@link #onWritabilityChanged} (the water marks) to keep what a connection queues
 * bounded. {@link #closeGracefully} writes what is queued, half-closes, then closes.
 *
 * <h2>Readiness style</h2>
 * Watch {@link #fd()} with an {@link dev.evring.IoWatcher} and call {@link #read(byte[], int, int)} /
 * {@link #write(byte[], int, int)}: one non-blocking system call each, returning 0 when the call would block and -1 at
 * end of stream, as {@link java.nio.channels.SocketChannel} does, and a failure as a negative status ({@code -errno},
 * below -1) rather than an exception. Do not mix the two styles on one direction of one socket.
 */
public final class StreamSocket extends NetSocket {
    /** A graceful close under way: sends are refused, the close's steps run. */
    GracefulClose graceful;

    StreamSocket(Net net, int fd, ProtocolFamily family) {
        super(net, fd, family);
        this.lowWater = net.settings.sendLowWater();
        this.highWater = net.settings.sendHighWater();
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
     * Receives with the bytes kept across chunks: every chunk that arrives is shown to {@code callback}, in place,
     * after whatever the callback left unconsumed before (see {@link InboundCallback}); what it does not consume is
     * kept in the socket's accumulation memory, compacted, and shown again with the next chunk. A parser sees whole
     * messages however the stream was split, no kernel buffer is held across chunks, and nothing is copied unless
     * bytes are left over (then only those). No allocation per chunk (no {@link Buffer} handle is made). Until end of
     * stream, an error, {@link #stopRecv()}, or more kept than the Net's accumulation limit
     * ({@link Net.Builder#recvAccumulationLimit}, {@link Status#EMSGSIZE}). One receive may run at a time.
     *
     * @return the operation id
     * @throws IllegalStateException if a receive is already running
     */
    public long recvAccumulated(InboundCallback callback) {
        return recvAccumulated(null, callback);
    }

    /** As {@link #recvAccumulated(InboundCallback)}, ending with {@link Status#ETIMEDOUT} when no data arrives for {@code idleTimeout}. */
    public long recvAccumulated(Duration idleTimeout, InboundCallback callback) {
        checkOpen();
        Net.requireCallback(callback);
        long t = timeoutNanos(idleTimeout);
        if (readOp != null) return net.startContinuous(this, Op.RECV, callback, t); // (refused, naming the reason)
        return net.startContinuous(this, Op.RECV, new Accumulator(this, callback), t);
    }

    /**
     * Pauses receiving, in one call: from now on the receive's callback is not called until {@link #resumeRecv()};
     * the receive keeps running ({@link #isReceiving()} stays true, no callback reports the pause). New data waits in
     * the kernel's socket buffer, so TCP's flow control slows the peer down; a chunk that was already on its way is
     * kept (in order) and delivered after the resume. Works before a receive starts (it starts paused). No system call.
     */
    public void pauseRecv() {
        checkOpen();
        net.pauseRecv(this);
    }

    /**
     * Resumes receiving: the chunks kept while paused come first (from the loop, never inside this call), then what
     * arrives. Does nothing if not paused. No system call.
     */
    public void resumeRecv() {
        checkOpen();
        net.resumeRecv(this);
    }

    /** Whether receiving is paused ({@link #pauseRecv()}). */
    public boolean isRecvPaused() {
        net.checkOwner();
        return recvPaused;
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
     * Queues {@code data} for sending and takes it (no copy): it is no longer yours, and goes back to its pool once
     * written. The callback (may be null) gets the byte count once all were written, or {@code -errno}. Sends are
     * written in call order; the sends one pass of callbacks queues leave together (one gathered write). No system
     * call here.
     *
     * @return the operation id
     * @throws IllegalStateException if {@code data} is not yours (released, already sent)
     */
    public long send(Buffer data, CompletionCallback<StreamSocket> callback) {
        return send(data, null, callback);
    }

    /**
     * As {@link #send(Buffer, CompletionCallback)}, failing with {@link Status#ETIMEDOUT} if its bytes are not all
     * written within {@code timeout} of its turn (see "Ending early" in the README: a send half-written when it times
     * out breaks the output).
     */
    public long send(Buffer data, Duration timeout, CompletionCallback<StreamSocket> callback) {
        checkSendable();
        long t = timeoutNanos(timeout);
        BufferSlot slot = net.lend(data);
        Outbound out = net.outbound;
        Op op = out.newSend(this, callback, t);
        out.handOver(op, slot);
        return out.queue(op);
    }

    /**
     * A gather: queues the data of every buffer of {@code data}, in order, as one send (no copy), with one callback
     * that gets the total. All are taken; none is taken if one is not yours.
     *
     * @return the operation id
     * @throws IllegalArgumentException for a null or empty array, a null element, or the same buffer twice
     * @throws IllegalStateException if a buffer is not yours
     */
    public long send(Buffer[] data, CompletionCallback<StreamSocket> callback) {
        checkSendable();
        if (data == null || data.length == 0) throw new IllegalArgumentException("no buffers to send");
        for (int i = 0; i < data.length; i++) {
            if (data[i] == null) throw new IllegalArgumentException("buffer " + i + " of the gather is null");
            BufferPool.checkLendable(data[i], net);
            for (int j = 0; j < i; j++) {
                if (data[j] == data[i]) throw new IllegalArgumentException("buffer " + i + " of the gather is buffer " + j + " again");
            }
        }
        Outbound out = net.outbound;
        Op op = out.newSend(this, callback, 0);
        for (Buffer b : data) out.handOver(op, net.lend(b));
        return out.queue(op);
    }

    /** Queues a copy of all of {@code src}; see {@link #send(byte[], int, int, CompletionCallback)}. */
    public long send(byte[] src, CompletionCallback<StreamSocket> callback) {
        if (src == null) throw new IllegalArgumentException("src is null");
        return send(src, 0, src.length, callback);
    }

    /**
     * Queues a copy of {@code src[off, off + len)}: the array is yours again when this returns. Any length: the bytes
     * go into the socket's share of the general pool (small sends share one buffer) and, beyond it, into memory of
     * their own; a send is never refused or delayed for want of pool buffers. The callback (may be null) gets
     * {@code len} once all were written, or {@code -errno}. No system call; allocates nothing unless the copy
     * exceeds the socket's share of the pool (then one block for the rest).
     *
     * @return the operation id
     */
    public long send(byte[] src, int off, int len, CompletionCallback<StreamSocket> callback) {
        checkSendable();
        checkArray("src", src, off, len);
        Outbound out = net.outbound;
        Op op = out.newSend(this, callback, 0);
        out.copyIn(op, src, off, len);
        return out.queue(op);
    }

    /**
     * Queues a copy of the remaining bytes of {@code src} (heap or direct), advancing its position to its limit: the
     * buffer is yours again when this returns. Otherwise as {@link #send(byte[], int, int, CompletionCallback)}.
     *
     * @return the operation id
     */
    public long send(ByteBuffer src, CompletionCallback<StreamSocket> callback) {
        checkSendable();
        if (src == null) throw new IllegalArgumentException("src is null");
        Outbound out = net.outbound;
        Op op = out.newSend(this, callback, 0);
        copyRemaining(out, op, src);
        return out.queue(op);
    }

    /**
     * A gather of copies: queues the remaining bytes of every buffer of {@code srcs}, in order, as one send with one
     * callback that gets the total, advancing each buffer's position to its limit.
     *
     * @return the operation id
     */
    public long send(ByteBuffer[] srcs, CompletionCallback<StreamSocket> callback) {
        checkSendable();
        if (srcs == null || srcs.length == 0) throw new IllegalArgumentException("no buffers to send");
        for (int i = 0; i < srcs.length; i++) {
            if (srcs[i] == null) throw new IllegalArgumentException("buffer " + i + " of the gather is null");
        }
        Outbound out = net.outbound;
        Op op = out.newSend(this, callback, 0);
        for (ByteBuffer b : srcs) copyRemaining(out, op, b);
        return out.queue(op);
    }

    private static void copyRemaining(Outbound out, Op op, ByteBuffer src) {
        int n = src.remaining();
        if (src.hasArray()) out.copyIn(op, src.array(), src.arrayOffset() + src.position(), n);
        else out.copyIn(op, src);
        src.position(src.limit());
    }

    /**
     * Bytes queued for sending and not yet written (every form of send, copies and buffers handed over). This is what
     * the water marks count.
     */
    public long queuedSendBytes() {
        net.checkOwner();
        return queuedBytes;
    }

    /**
     * Whether the send queue is below its high-water mark (Netty's {@code isWritable}): false once more than the high
     * mark is queued, true again once it drained to the low mark. Sends are accepted either way; a producer that stops
     * while this is false keeps the memory a connection holds bounded. Tells the state now; {@link
     * #onWritabilityChanged} tells when it changes.
     */
    public boolean isWritable() {
        net.checkOwner();
        return !unwritable;
    }

    /**
     * Sets the callback told when {@link #isWritable()} changes (null: none). Changes are reported from the loop after
     * the callbacks of the pass that caused them, and only when the state then differs from the last one reported
     * (at first: writable).
     */
    public StreamSocket onWritabilityChanged(WritabilityCallback callback) {
        net.checkOwner();
        writabilityCallback = callback;
        writableReported = !unwritable;
        return this;
    }

    /**
     * This socket's water marks (the Net's by default, {@link Net.Builder#sendWaterMarks}): unwritable above
     * {@code high} queued bytes, writable again at {@code low}.
     *
     * @throws IllegalArgumentException when {@code low} is negative or not below {@code high}
     */
    public StreamSocket sendWaterMarks(int low, int high) {
        checkOpen();
        Net.checkWaterMarks(low, high);
        lowWater = low;
        highWater = high;
        Outbound out = net.outbound;
        out.recheckWritability(this);
        return this;
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
     * end of stream ({@link #END_OF_STREAM}), or a failure as {@code -errno} below -1 ({@link Status#ECONNRESET}, ...),
     * nothing thrown (recv(2) never fails with EPERM, the one errno -1 could stand for). At most 64 KiB per call (the
     * data passes through a native buffer of the Net's).
     */
    public int read(byte[] dst, int off, int len) {
        checkOpen();
        checkArray("dst", dst, off, len);
        MemorySegment scratch = net.ioScratch;
        long n = recvInto(scratch, Math.min(len, (int) scratch.byteSize()));
        if (n > 0) MemorySegment.copy(scratch, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, dst, off, (int) n);
        return (int) n;
    }

    /**
     * Reads into a segment of yours (receive into your own memory): the byte count, 0 if nothing is there yet, -1 at
     * end of stream, or {@code -errno}, as {@link #read(byte[], int, int)}.
     */
    public int read(MemorySegment dst) {
        checkOpen();
        return (int) recvInto(dst, dst.byteSize());
    }

    /**
     * Reads into the free space of a buffer of yours, appending: the byte count, 0 if nothing yet, -1 at end of stream,
     * or {@code -errno}, as {@link #read(byte[], int, int)}.
     */
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
            if (n == 0) return len == 0 ? 0 : END_OF_STREAM;
            if (n == -Errno.EAGAIN) return 0;
            if (n == -Errno.EPERM) throw Errno.exception("recv(fd " + fd + ")", Errno.EPERM); // (never -1: that is the end)
            if (n != -Errno.EINTR) return n;
        }
    }

    /** What the readiness-style {@code read} methods return at end of stream. */
    public static final int END_OF_STREAM = -1;

    /**
     * Writes {@code src[off, off + len)} (send(2), non-blocking): the bytes the kernel took, 0 if none fit now, or a
     * failure as {@code -errno} ({@link Status#EPIPE} when the peer is gone, {@link Status#ECONNRESET}, ...), nothing
     * thrown. At most 64 KiB per call.
     */
    public int write(byte[] src, int off, int len) {
        checkOpen();
        checkArray("src", src, off, len);
        MemorySegment scratch = net.ioScratch;
        int n = Math.min(len, (int) scratch.byteSize());
        MemorySegment.copy(src, off, scratch, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, n);
        return (int) sendFrom(scratch, n);
    }

    /** Writes a segment of yours: the bytes the kernel took, 0 if none fit now, or {@code -errno}. */
    public int write(MemorySegment src) {
        checkOpen();
        return (int) sendFrom(src, src.byteSize());
    }

    /**
     * Writes the data of a buffer of yours from {@code from}: the bytes the kernel took, 0 if none fit now, or
     * {@code -errno}. The buffer stays yours.
     */
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
            if (n != -Errno.EINTR) return n;
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
