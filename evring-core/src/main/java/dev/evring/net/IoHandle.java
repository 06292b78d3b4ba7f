package dev.evring.net;

import dev.evring.IoWatcher;
import dev.evring.TimerWatcher;

/**
 * What sockets and files share: an fd owned by a {@link Net}, the operations running on it, and closing.
 *
 * <h2>Closing</h2>
 * {@link #close()} and {@link #close(CompletionCallback)} end every operation still running on the handle (each
 * callback gets {@link Status#ECANCELED}, later, from the loop), then close the fd. After that the handle refuses
 * every call with {@link IllegalStateException}, except {@code close} itself, which does nothing the second time.
 * Receives that had data queued for delivery when the handle closed drop it (their buffers go back to the pool).
 *
 * <p>Thread contract: a handle belongs to its loop's thread; every method throws {@link IllegalStateException}
 * elsewhere, and once its {@link Net} is closed.
 */
public abstract sealed class IoHandle implements AutoCloseable permits NetSocket, AsyncFile {
    final Net net;
    int fd;
    boolean closed;

    /** Every operation not yet finished, for close. */
    Op liveHead;
    /** The running accept, recv or recvFrom. */
    Op readOp;
    Op connectOp;
    /** Send queue: the head is in the kernel (or being written); the others wait their turn. */
    Op sendHead;
    Op sendTail;
    int sendQueued;
    /** A close waiting for the handle's other operations to end (see Net.submitCloseWhenAlone). */
    Op closeOp;
    /** Receiving paused by the application ({@link StreamSocket#pauseRecv()}), and what came meanwhile. */
    boolean recvPaused;
    BufferSlot parkedHead;
    BufferSlot parkedTail;
    boolean parkedFin;
    int parkedStatus;
    /** The queued operation whose request is in the kernel (a write request covers it and the sends behind it). */
    Op sendCarrier;
    /** On the Net's list of handles whose send queue needs the engine's attention before the next poll. */
    boolean flushQueued;
    IoHandle flushNext;

    // stream output ({@link Outbound}): the pool buffer copies go into, how many the sends hold, what is queued
    BufferSlot fill;
    int sendBuffers;
    long queuedBytes;
    int lowWater;
    int highWater;
    boolean unwritable;
    /** The socket refused a zero-copy write (EOPNOTSUPP): written the ordinary way from then on. */
    boolean zeroCopyRefused;

    /**
     * io_uring: the kernel answered this socket's last write with EAGAIN (it can, on a non-blocking socket, when it
     * could not arm its own poll for the request): the next write waits for room first (IORING_RECVSEND_POLL_FIRST).
     */
    boolean sendPollFirst;
    /**
     * io_uring with direct descriptors ({@link DirectDescriptors}): the slot of the ring's file table this handle
     * holds (-1: none), whether its requests name it (the kernel confirmed it holds the file), whether one was tried.
     */
    int directSlot = -1;
    boolean directLive;
    boolean directTried;
    /** Not 0 once the output broke (a failed write, a send cancelled or timed out half-written): later sends fail with it. */
    int outputError;
    WritabilityCallback writabilityCallback;
    boolean writableReported = true;
    boolean writabilityQueued;
    IoHandle writabilityNext;
    /**
     * Pool buffers its receives took and that have not come back yet (delivered, held by the application, queued in a
     * send of any socket): what it holds against its share ({@link Net#shareFull}).
     */
    int heldBuffers;

    /** The Net's list of open handles. */
    IoHandle prevHandle;
    IoHandle nextHandle;

    // readiness emulation: one watcher per direction (start/stop is cheap; changing one watcher's mask re-registers)
    IoWatcher readWatcher;
    IoWatcher writeWatcher;
    /** Accepting paused after a shortage (Status.isAcceptPause), until this timer fires. */
    TimerWatcher acceptPause;

    private Object attachment;

    IoHandle(Net net, int fd) {
        this.net = net;
        this.fd = fd;
        net.addHandle(this);
    }

    /** The {@link Net} this handle belongs to. */
    public final Net net() {
        return net;
    }

    /** An object of yours kept with the handle (per-connection state), as libuv's {@code data}; null at first. */
    public final Object attachment() {
        net.checkOwner();
        return attachment;
    }

    /** Replaces the attachment and returns this handle. */
    public final IoHandle attach(Object attachment) {
        net.checkOwner();
        this.attachment = attachment;
        return this;
    }

    /**
     * The file descriptor, for readiness users: put an {@link IoWatcher} on it ({@code loop.io(fd(), ...)}) and use the
     * handle's non-blocking calls. Stop such watchers before closing the handle. -1 once closed.
     */
    public final int fd() {
        net.checkOwner();
        return closed ? -1 : fd;
    }

    /** Whether the handle is still open. */
    public final boolean isOpen() {
        net.checkThread();
        return !closed;
    }

    final void checkOpen() {
        net.checkOwner();
        if (closed) throw new IllegalStateException(this + " is closed");
    }

    /**
     * Closes now: ends every running operation (their callbacks get {@link Status#ECANCELED}) and closes the fd with
     * close(2) before returning, so the number is free at once. Nothing of this handle reaches the file that reuses
     * the number afterwards: operations prepared and not yet submitted to the kernel are taken back, those the kernel
     * already holds work on the old file until their cancellation, and none is re-armed or continued. Does nothing if
     * already closed (by itself, or by the close of its Net or loop). One system call (plus, on io_uring, a cancel
     * request per operation in the kernel, submitted with the loop's next batch).
     */
    @Override
    public final void close() {
        net.checkThread();
        if (closed) return; // also once the Net closed it
        net.checkOwner();
        net.closeHandle(this, null);
    }

    /**
     * Closes as a completion operation: ends every running operation as {@link #close()} does, then closes the fd
     * asynchronously (io_uring's IORING_OP_CLOSE, batched with the loop's next submission; close(2) on epoll and
     * poll) and calls {@code callback} with 0 or {@code -errno}: the handle's last callback, after the ECANCELED of
     * every operation it ended. The handle refuses further use at once.
     *
     * @return the operation id
     */
    public final long close(CompletionCallback<IoHandle> callback) {
        net.checkOwner();
        if (closed) throw new IllegalStateException(this + " is already closed");
        return net.closeHandle(this, callback);
    }

    // ------------------------------------------------------------------------------------------------------------
    // the live list

    final void linkLive(Op op) {
        op.livePrev = null;
        op.liveNext = liveHead;
        if (liveHead != null) liveHead.livePrev = op;
        liveHead = op;
    }

    final void unlinkLive(Op op) {
        if (op.livePrev != null) op.livePrev.liveNext = op.liveNext;
        else if (liveHead == op) liveHead = op.liveNext;
        if (op.liveNext != null) op.liveNext.livePrev = op.livePrev;
        op.liveNext = null;
        op.livePrev = null;
    }

    /** Whether the fd is a socket of the readiness kind the emulation can watch (files are not watched). */
    abstract boolean pollable();

    String describe() {
        return getClass().getSimpleName() + "[fd " + fd + (closed ? ", closed" : "") + "]";
    }

    @Override
    public String toString() {
        return describe();
    }
}
