package dev.evring.net;

import dev.evring.TimerWatcher;
import dev.evring.linux.SysSocket;
import dev.evring.linux.SysUio;
import dev.evring.linux.Time;

import java.lang.foreign.MemorySegment;

/**
 * One operation slot: preallocated, reused, found by index from an id or a CQE's user_data and checked by generation,
 * so a stale completion or a stale cancel can never reach the operation that reuses the slot. Everything an operation
 * needs lives here (callback, buffer, native scratch for addresses, msghdr, iovec, timespec), so starting one
 * allocates nothing.
 */
final class Op {
    // kinds
    static final byte ACCEPT = 1;
    static final byte CONNECT = 2;
    static final byte RECV = 3;
    static final byte SEND = 4;
    static final byte SHUTDOWN = 5;
    static final byte RECVFROM = 6;
    static final byte SENDTO = 7;
    static final byte READ = 8;
    static final byte WRITE = 9;
    static final byte CLOSE = 10;

    // states
    static final byte FREE = 0;
    /** In a send queue behind the operation the kernel is working on. */
    static final byte QUEUED = 1;
    /** Started: in the kernel, watched for readiness, or waiting for a buffer. */
    static final byte ACTIVE = 2;
    /** Its final completion is queued for delivery; the slot is freed when it is delivered. */
    static final byte FINISHING = 3;

    // layout of the native scratch area
    static final long SCRATCH_ADDR = 0;                                             // sockaddr_storage, 128
    static final long SCRATCH_MSGHDR = SysSocket.SOCKADDR_STORAGE_SIZE;             // msghdr, 56
    static final long SCRATCH_IOVEC = SCRATCH_MSGHDR + SysSocket.MSGHDR_SIZE;       // iovec, 16
    static final long SCRATCH_TIMESPEC = SCRATCH_IOVEC + SysUio.IOVEC_SIZE;         // timespec, 16
    static final long SCRATCH_SIZE = SCRATCH_TIMESPEC + Time.TIMESPEC_SIZE;         // 216

    final int index;
    final MemorySegment scratch;
    /** Views of {@link #scratch}, made once per slot (a slice is an object: none is made per operation). */
    final MemorySegment msghdr;
    final MemorySegment timespec;
    int gen;
    byte kind;
    byte state;

    IoHandle handle;
    Object callback;
    /** The buffer the operation holds: data to send or write, or the buffer being filled. */
    BufferSlot buffer;
    /** Bytes sent or written so far. */
    int done;
    /** A stream send's data: its first piece not yet written, and its last ({@link Outbound}); -1 when none. */
    int piece = -1;
    int pieceTail = -1;
    /** A stream send covered by the write request in the kernel (its socket's {@link IoHandle#sendCarrier}). */
    boolean inFlight;
    /** The native msghdr + iovecs of the write request this send carries ({@link Outbound#takeGather}); -1: none. */
    int gather = -1;
    /** What the final callback reports for a send split over several buffers (the whole call's byte count). */
    int report;
    /** File position. */
    long position;
    /** Length of the address in {@link #scratch} (connect, sendto). */
    int addrLength;
    /** Bound on each wait (0: none). */
    long timeoutNanos;
    /** The user asked to cancel it (its end reports -ECANCELED unless it completed first). */
    boolean cancelRequested;
    /** Waiting in a pool for a free buffer. */
    boolean waitingForBuffer;
    /** Woken from that wait with a buffer kept for it ({@link BufferPool#take(Op)}). */
    boolean bufferGranted;
    /**
     * Woken from that wait for a buffer in the kernel's ring (which cannot be kept for anyone): resubmitted, its CQE
     * not back yet ({@link BufferPool#serveWaiters}).
     */
    boolean bufferWoken;
    /**
     * A receive whose socket is known to be readable: it waited for a buffer after the kernel saw data, or its last
     * chunk's CQE said more data is queued (IORING_CQE_F_SOCK_NONEMPTY). Nobody else reads the socket, so it still is.
     */
    boolean recvReadable;
    /** Readiness emulation: a send whose last attempt would have blocked, waiting for writability. */
    boolean writeBlocked;
    /** A receive paused because its connection holds its share of buffers ({@link Net#shareFull}). */
    boolean sharePaused;
    /** A receive not in the kernel because the application paused receiving ({@link Net#pauseRecv}). */
    boolean userPaused;

    /** Send queue / buffer wait list. */
    Op next;
    /** The handle's list of live operations. */
    Op liveNext;
    Op livePrev;

    // io_uring bookkeeping: CQEs still expected (the operation's, its linked timeout's), the operation's result held
    // until its linked timeout's CQE arrives, whether the multishot form is in use
    int ringCqes;
    int ringResult;
    boolean ringMultishot;
    /** Where its SQE was written, for taking it back before submission ({@code RingOps.revokeSqe}). */
    long ringSqe;
    /** The write request in flight is zero-copy: its notification CQE ends it ({@code RingEngine}). */
    boolean ringZc;
    /** The request in flight waits for readability first (IORING_RECVSEND_POLL_FIRST, or a POLL_ADD of its own). */
    boolean ringPollFirst;
    /** Receives into a pool buffer without a buffer ring: the request in flight is the POLL_ADD that precedes it. */
    boolean ringPolling;
    /** The receive pool's count of buffers added to the kernel ring when this request was prepared. */
    int ringAddSeq;
    /** Its SQE was taken back (turned into a NOP): its CQE reports ECANCELED. */
    boolean ringRevoked;
    /**
     * A datagram receive that takes its buffers from the receive pool (its kernel ring: {@code net.udp_multishot}),
     * not the general pool; chosen when it starts, for its whole life ({@link Net#bufferPoolOf}).
     */
    boolean recvRing;
    /** Its multishot request is being cancelled because its socket reached its share: re-armed (or paused) at its end. */
    boolean ringShareStop;
    boolean ringTimeoutFired;

    // readiness emulation: the timer bounding the wait, made on first use and kept with the slot
    TimerWatcher timer;

    Op(int index, MemorySegment scratch) {
        this.index = index;
        this.scratch = scratch;
        this.msghdr = scratch.asSlice(SCRATCH_MSGHDR, SysSocket.MSGHDR_SIZE);
        this.timespec = scratch.asSlice(SCRATCH_TIMESPEC, Time.TIMESPEC_SIZE);
    }

    /**
     * Takes the slot for a new {@code kind} operation on {@code h}: a new generation (so that ids and CQEs of the
     * slot's previous operation no longer match) and every per-operation field back to its start.
     */
    void reset(IoHandle h, byte kind, Object callback, long timeoutNanos) {
        this.gen = OpId.next(gen);
        this.kind = kind;
        this.state = ACTIVE;
        this.handle = h;
        this.callback = callback;
        this.timeoutNanos = timeoutNanos;
        this.buffer = null;
        this.done = 0;
        this.piece = -1;
        this.pieceTail = -1;
        this.inFlight = false;
        this.gather = -1;
        this.report = 0;
        this.position = 0;
        this.addrLength = 0;
        this.cancelRequested = false;
        this.waitingForBuffer = false;
        this.bufferGranted = false;
        this.bufferWoken = false;
        this.recvReadable = false;
        this.writeBlocked = false;
        this.sharePaused = false;
        this.userPaused = false;
        this.next = null;
        this.ringCqes = 0;
        this.ringResult = 0;
        this.ringMultishot = false;
        this.ringTimeoutFired = false;
        this.ringRevoked = false;
        this.recvRing = false;
        this.ringShareStop = false;
        this.ringPollFirst = false;
        this.ringPolling = false;
        this.ringZc = false;
    }

    /** The public id: index and generation ({@link OpId}). Never 0. */
    long id() {
        return OpId.of(index, gen);
    }

    /** Whether the operation consumes its buffer (returns it to the pool at the end) rather than handing it back. */
    boolean consumesBuffer() {
        return kind == SEND || kind == SENDTO || kind == WRITE;
    }

    static String kindName(byte kind) {
        return switch (kind) {
            case ACCEPT -> "accept";
            case CONNECT -> "connect";
            case RECV -> "recv";
            case SEND -> "send";
            case SHUTDOWN -> "shutdown";
            case RECVFROM -> "recvfrom";
            case SENDTO -> "sendto";
            case READ -> "read";
            case WRITE -> "write";
            case CLOSE -> "close";
            default -> "op" + kind;
        };
    }

    @Override
    public String toString() {
        return kindName(kind) + "#" + index + "/" + gen + " on " + handle;
    }
}
