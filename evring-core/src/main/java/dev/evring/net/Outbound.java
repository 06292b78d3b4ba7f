package dev.evring.net;

import dev.evring.linux.SysSocket;
import dev.evring.linux.SysUio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * What stream sockets have queued to send, and the rules of their send queues: the one owner of the pieces of data
 * sends hold, of how they are written (gathered, in order), of what a cancel, a timeout or a broken connection does
 * to a queue, and of the writability signal.
 *
 * <h2>Pieces</h2>
 * A send's data is a chain of <em>pieces</em>, each a run of bytes in native memory: a {@link Buffer} handed over
 * (no copy), a range of a pool buffer its bytes were copied into, or a spill. Copies ({@code byte[]},
 * {@code ByteBuffer}) go into the socket's <em>fill buffer</em> (a general-pool buffer small sends share: sixteen
 * pipelined replies take one buffer and leave in one write), then into fresh pool buffers while the socket holds
 * fewer than its share of the pool, then, for the rest, into one native block of its own (a <em>spill</em>, one
 * allocation, freed by the GC once written): a send never waits for or fails for want of pool buffers, and one
 * socket never takes more than its share of the pool. A pool buffer goes back once no piece refers to it.
 *
 * <h2>Writing</h2>
 * Sends are written in call order, one request at a time per socket: the head of the queue and the sends behind it
 * are gathered into one {@code SENDMSG} (up to {@link #MAX_IOV} runs, adjacent runs of one buffer merged), or one
 * {@code SEND} when it is a single run. A send with a timeout goes alone (its timeout bounds its own request). A
 * request's byte count is spread over the sends it covered, in order: each completes once all its bytes are written.
 *
 * <h2>Ending early</h2>
 * Bytes the kernel has taken cannot be taken back. A send none of whose bytes were written yet is taken out of the
 * queue by a cancel or its timeout, and the sends around it go on: the stream stays whole. A send partly written
 * when it is cancelled or times out leaves the stream torn: it, and every send behind it, end with that status, and
 * the socket's output is broken: later sends fail at once with the same status (as the JDK's asynchronous channels
 * do after a cancelled write). A failed request (EPIPE, ECONNRESET, ...) breaks the output the same way.
 *
 * <h2>Writability</h2>
 * Each socket counts its queued bytes against its water marks: above the high mark it is unwritable until the count
 * falls to the low mark (Netty's {@code channelWritabilityChanged}). Changes are reported from the loop, after the
 * callbacks of the pass that caused them, and only when the state at that point differs from the one last reported.
 */
final class Outbound {
    /** The most runs one write request gathers. */
    static final int MAX_IOV = 64;
    private static final long IOVECS_SIZE = MAX_IOV * SysUio.IOVEC_SIZE;
    private static final long GATHER_SIZE = SysSocket.MSGHDR_SIZE + IOVECS_SIZE;
    private static final int GATHER_CHUNK = 16;

    private final Net net;

    // the pieces, index-linked in parallel arrays: no object per piece
    private BufferSlot[] slot = new BufferSlot[256];
    private MemorySegment[] mem = new MemorySegment[256];
    private int[] off = new int[256];
    private int[] len = new int[256];
    private int[] next = new int[256];
    private int pieceCount;
    private int[] freePieces = new int[256];
    private int freePieceCount;

    // native msghdr + iovecs for write requests in flight (io_uring: one per socket writing), reused
    private final Arena arena;
    private MemorySegment[] gathers = new MemorySegment[0];
    private int[] freeGathers = new int[0];
    private int freeGatherCount;
    /** The readiness engine's gather: its sendmsg is done before the call returns. */
    final MemorySegment syncGather;

    /** The first run of the last {@link #gather}: a one-run request is a plain SEND of it. */
    MemorySegment firstMem;
    int firstOff;
    int firstLen;
    long gatherBytes;

    // stats
    long queuedBytes;
    int unwritable;
    long spills;
    long spillBytes;

    /** Sockets whose writability changed since the last delivery pass (linked through {@link IoHandle#writabilityNext}). */
    private IoHandle writabilityHead;

    Outbound(Net net, Arena arena) {
        this.net = net;
        this.arena = arena;
        this.syncGather = arena.allocate(GATHER_SIZE, 16);
    }

    // ------------------------------------------------------------------------------------------------------------
    // pieces

    private int newPiece(BufferSlot s, MemorySegment m, int o, int l) {
        int p;
        if (freePieceCount > 0) {
            p = freePieces[--freePieceCount];
        } else {
            if (pieceCount == slot.length) growPieces();
            p = pieceCount++;
        }
        slot[p] = s;
        mem[p] = m;
        off[p] = o;
        len[p] = l;
        next[p] = -1;
        if (s != null) s.sendRefs++;
        return p;
    }

    private void growPieces() {
        int n = slot.length * 2;
        slot = Arrays.copyOf(slot, n);
        mem = Arrays.copyOf(mem, n);
        off = Arrays.copyOf(off, n);
        len = Arrays.copyOf(len, n);
        next = Arrays.copyOf(next, n);
        freePieces = Arrays.copyOf(freePieces, n);
    }

    /** Frees piece {@code p}; its pool buffer goes back once no piece refers to it. */
    private void freePiece(int p) {
        BufferSlot s = slot[p];
        slot[p] = null;
        mem[p] = null; // a spill becomes unreachable: the GC frees it
        freePieces[freePieceCount++] = p;
        if (s != null) unrefSlot(s);
    }

    /**
     * Pins the memory of every piece of {@code h}'s sends in flight (a zero-copy write's): its pool buffers stay out
     * of the pool (one more reference each) and its spills reachable, until {@link #unpin}, whatever becomes of the
     * sends. Returns how many entries of {@code slots}/{@code mems} it filled (one per piece, the other null); the
     * arrays grow as needed.
     */
    int pinInFlight(IoHandle h, ZeroCopyHolds.Hold hold) {
        int k = 0;
        for (Op op = h.sendHead; op != null && op.kind == Op.SEND && op.inFlight; op = op.next) {
            for (int p = op.piece; p >= 0; p = next[p]) {
                hold.ensure(k + 1);
                BufferSlot s = slot[p];
                if (s != null) s.sendRefs++;
                hold.slots[k] = s;
                hold.mems[k] = s == null ? mem[p] : null;
                k++;
            }
        }
        return k;
    }

    /** Lets go of what {@link #pinInFlight} pinned: the kernel's notification came. */
    void unpin(ZeroCopyHolds.Hold hold) {
        for (int i = 0; i < hold.count; i++) {
            BufferSlot s = hold.slots[i];
            hold.slots[i] = null;
            hold.mems[i] = null;
            if (s != null) unrefSlot(s);
        }
        hold.count = 0;
    }

    /** One reference of a send to pool buffer {@code s} is gone; the last one gives it back. */
    private void unrefSlot(BufferSlot s) {
        if (--s.sendRefs == 0) {
            IoHandle owner = s.fillOf;
            if (owner != null) { // a fill buffer: it was the socket's, counted in its share
                s.fillOf = null;
                owner.sendBuffers--;
                if (owner.fill == s) owner.fill = null;
            }
            s.pool.recycle(s);
        }
    }

    private static void append(Op op, int p, int[] next) {
        if (op.pieceTail < 0) op.piece = p;
        else next[op.pieceTail] = p;
        op.pieceTail = p;
    }

    /** Drops what is left of {@code op}'s data (it ended before all was written); its bytes leave the queued count. */
    void dropPieces(Op op) {
        IoHandle h = op.handle;
        int left = 0;
        for (int p = op.piece; p >= 0; p = next[p]) left += len[p];
        freePieces(op);
        if (left > 0) unqueue(h, left);
    }

    private void freePieces(Op op) {
        for (int p = op.piece; p >= 0; ) {
            int n = next[p];
            freePiece(p);
            p = n;
        }
        op.piece = -1;
        op.pieceTail = -1;
    }

    // ------------------------------------------------------------------------------------------------------------
    // building a send

    /** A send of {@code h}: a fresh SEND operation for its pieces (added with the methods below), not yet queued. */
    Op newSend(IoHandle h, Object callback, long timeoutNanos) {
        Op op = net.acquire(h, Op.SEND, callback, timeoutNanos);
        op.piece = -1;
        op.pieceTail = -1;
        return op;
    }

    /** Hands {@code s} (a buffer the application gave up) to {@code op} as one piece: no copy. */
    void handOver(Op op, BufferSlot s) {
        append(op, newPiece(s, s.memory, 0, s.length), next);
        op.report += s.length;
    }

    /** Copies {@code src[srcOff, srcOff + n)} into {@code op}'s pieces. */
    void copyIn(Op op, byte[] src, int srcOff, int n) {
        copyIn(op, null, src, srcOff, n);
    }

    /** Copies the remaining bytes of a direct buffer into {@code op}'s pieces (its position does not move here). */
    void copyIn(Op op, java.nio.ByteBuffer direct) {
        copyIn(op, null, null, direct, direct.position(), direct.remaining());
    }

    private void copyIn(Op op, MemorySegment src, byte[] array, long srcOff, int n) {
        copyIn(op, src, array, null, srcOff, n);
    }

    /** From exactly one of {@code src}, {@code array}, {@code direct}: no object is made to read any of them. */
    private void copyIn(Op op, MemorySegment src, byte[] array, java.nio.ByteBuffer direct, long srcOff, int n) {
        IoHandle h = op.handle;
        op.report += n;
        while (n > 0) {
            BufferSlot f = h.fill;
            int room = f == null ? 0 : f.capacity() - f.length;
            if (room == 0) {
                f = h.sendBuffers < net.sendShare ? net.pool.take() : null;
                if (f == null) {
                    if (direct != null) { // a spill allocates anyway: read the buffer through a segment
                        src = MemorySegment.ofBuffer(direct).asSlice(srcOff - direct.position());
                        srcOff = 0;
                    }
                    spill(op, src, array, srcOff, n);
                    return;
                }
                f.fillOf = h;
                h.fill = f;
                h.sendBuffers++;
                room = f.capacity();
            }
            int k = Math.min(room, n);
            if (array != null) MemorySegment.copy(array, (int) srcOff, f.memory, ValueLayout.JAVA_BYTE, f.length, k);
            else if (direct != null) f.nio().put(f.length, direct, (int) srcOff, k);
            else MemorySegment.copy(src, srcOff, f.memory, f.length, k);
            int p = op.pieceTail;
            if (p >= 0 && slot[p] == f && off[p] + len[p] == f.length) len[p] += k; // the same run goes on
            else append(op, newPiece(f, f.memory, f.length, k), next);
            f.length += k;
            srcOff += k;
            n -= k;
        }
    }

    /** The rest of a copy that the socket's share of the pool cannot hold: one native block of its own. */
    private void spill(Op op, MemorySegment src, byte[] array, long srcOff, int n) {
        MemorySegment m = Arena.ofAuto().allocate(n, 16);
        if (array != null) MemorySegment.copy(array, (int) srcOff, m, ValueLayout.JAVA_BYTE, 0, n);
        else MemorySegment.copy(src, srcOff, m, 0, n);
        append(op, newPiece(null, m, 0, n), next);
        spills++;
        spillBytes += n;
    }

    /**
     * Queues a built send: fails it at once (from the loop) when the socket's output is broken, else adds its bytes to
     * the socket's count and the operation to its queue.
     */
    long queue(Op op) {
        IoHandle h = op.handle;
        int total = op.report;
        if (h.outputError != 0) {
            freePieces(op); // its bytes were never counted as queued
            net.complete(op, h.outputError, null, true);
            return op.id();
        }
        h.queuedBytes += total;
        queuedBytes += total;
        if (!h.unwritable && h.queuedBytes > h.highWater) {
            h.unwritable = true;
            unwritable++;
            writabilityChanged(h);
        }
        net.enqueueOp(op);
        return op.id();
    }

    private void unqueue(IoHandle h, int n) {
        h.queuedBytes -= n;
        queuedBytes -= n;
        if (h.unwritable && h.queuedBytes <= h.lowWater) {
            h.unwritable = false;
            unwritable--;
            writabilityChanged(h);
        }
    }

    /** The socket's water marks changed: its state follows them at once. */
    void recheckWritability(IoHandle h) {
        if (!h.unwritable && h.queuedBytes > h.highWater) {
            h.unwritable = true;
            unwritable++;
            writabilityChanged(h);
        } else if (h.unwritable && h.queuedBytes <= h.lowWater) {
            h.unwritable = false;
            unwritable--;
            writabilityChanged(h);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // writing

    /** A native msghdr + iovecs for a write request: taken until the request ends ({@link #releaseGather}). */
    int takeGather() {
        if (freeGatherCount == 0) {
            int n = gathers.length;
            gathers = Arrays.copyOf(gathers, n + GATHER_CHUNK);
            freeGathers = Arrays.copyOf(freeGathers, n + GATHER_CHUNK);
            MemorySegment block = arena.allocate(GATHER_SIZE * GATHER_CHUNK, 16);
            for (int i = 0; i < GATHER_CHUNK; i++) {
                gathers[n + i] = block.asSlice(i * GATHER_SIZE, GATHER_SIZE);
                freeGathers[freeGatherCount++] = n + GATHER_CHUNK - 1 - i;
            }
        }
        return freeGathers[--freeGatherCount];
    }

    MemorySegment gatherMemory(int g) {
        return gathers[g];
    }

    void releaseGather(int g) {
        freeGathers[freeGatherCount++] = g;
    }

    /**
     * Writes into {@code msg} (a msghdr followed by {@link #MAX_IOV} iovecs) the data of {@code h}'s queue from its
     * head: the head, and the untimed sends behind an untimed head, in order, until the runs are used up; marks them
     * in flight. Returns the number of runs; {@link #firstMem} and its offset and length name the first,
     * {@link #gatherBytes} the total.
     */
    int gather(IoHandle h, MemorySegment msg) {
        long iov = SysSocket.MSGHDR_SIZE;
        int n = 0;
        MemorySegment lastMem = null;
        long lastEnd = -1;
        long bytes = 0;
        firstMem = null;
        outer:
        for (Op op = h.sendHead; op != null && op.kind == Op.SEND; op = op.next) {
            if (op.timeoutNanos > 0 && op != h.sendHead) break; // a timed send goes alone
            op.inFlight = true;
            op.state = Op.ACTIVE;
            for (int p = op.piece; p >= 0; p = next[p]) {
                long address = mem[p].address() + off[p];
                int l = len[p];
                if (n > 0 && mem[p] == lastMem && address == lastEnd) { // the same buffer goes on: one run
                    long at = iov + (n - 1) * SysUio.IOVEC_SIZE + SysUio.OFF_IOV_LEN;
                    msg.set(ValueLayout.JAVA_LONG, at, msg.get(ValueLayout.JAVA_LONG, at) + l);
                    if (n == 1) firstLen += l;
                } else {
                    if (n == MAX_IOV) break outer;
                    long at = iov + n * SysUio.IOVEC_SIZE;
                    msg.set(ValueLayout.JAVA_LONG, at + SysUio.OFF_IOV_BASE, address);
                    msg.set(ValueLayout.JAVA_LONG, at + SysUio.OFF_IOV_LEN, l);
                    if (n == 0) {
                        firstMem = mem[p];
                        firstOff = off[p];
                        firstLen = l;
                    }
                    n++;
                }
                lastMem = mem[p];
                lastEnd = address + l;
                bytes += l;
            }
            if (op.timeoutNanos > 0) break;
        }
        gatherBytes = bytes;
        msg.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_NAME, 0L);
        msg.set(ValueLayout.JAVA_INT, SysSocket.OFF_MSG_NAMELEN, 0);
        msg.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_IOV, msg.address() + iov);
        msg.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_IOVLEN, n);
        msg.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_CONTROL, 0L);
        msg.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_CONTROLLEN, 0L);
        msg.set(ValueLayout.JAVA_INT, SysSocket.OFF_MSG_FLAGS, 0);
        return n;
    }

    /**
     * {@code n} bytes of {@code h}'s queue were written, from its head on: spreads them over the sends in order; each
     * whose bytes are all written completes (its callback gets its byte count).
     */
    void written(IoHandle h, long n) {
        while (n > 0) {
            Op op = h.sendHead;
            if (op == null || op.kind != Op.SEND) throw new IllegalStateException("written " + n + " bytes more than queued on " + h);
            while (n > 0 && op.piece >= 0) {
                int p = op.piece;
                int k = (int) Math.min(len[p], n);
                off[p] += k;
                len[p] -= k;
                op.done += k;
                n -= k;
                unqueue(h, k);
                if (len[p] == 0) {
                    op.piece = next[p];
                    if (op.piece < 0) op.pieceTail = -1;
                    freePiece(p);
                }
            }
            if (op.piece < 0) {
                op.inFlight = false;
                net.complete(op, op.report, null, true);
            }
        }
    }

    /**
     * A write request of {@code h} ended ({@code res}: 0 or more when it went well, as far as it went, else the
     * {@code -errno} it ended with), after {@link #written} spread what it wrote. Settles the sends it covered that
     * are not complete: they go on, or end (cancelled, timed out: cleanly when none of their bytes were written, else
     * breaking the output), or the output breaks (a failure). The queue's next request is the engine's to start.
     */
    void requestEnded(IoHandle h, int res) {
        requestEnded(h, res, false);
    }

    /**
     * As {@link #requestEnded(IoHandle, int)}; {@code timedOut}: the request ended because a send's own timeout fired
     * (io_uring's linked timeout), and {@code res} is {@link Status#ETIMEDOUT} for that reason. Without it an
     * ETIMEDOUT is the kernel's (TCP gave up retransmitting, a keepalive went unanswered): the connection is dead and
     * the output breaks, as for any other failure. (The two once looked alike here: a connection that timed out in
     * the kernel had its sends taken out one by one as if each had timed out, and later sends were written again.)
     */
    void requestEnded(IoHandle h, int res, boolean timedOut) {
        if (h.closed) {
            failAll(h, Status.ECANCELED);
            return;
        }
        if (res < 0 && res != Status.ECANCELED && !(timedOut && res == Status.ETIMEDOUT)) {
            failAll(h, res); // the connection broke: nothing behind can be sent in order either
            return;
        }
        Op op = h.sendHead;
        while (op != null && op.inFlight) {
            Op following = op.next;
            op.inFlight = false;
            int end = op.cancelRequested ? Status.ECANCELED : res == Status.ETIMEDOUT ? Status.ETIMEDOUT : 0;
            if (op.piece < 0) {
                net.complete(op, op.report, null, true); // all written (an empty send: nothing to write)
            } else if (end != 0) {
                if (!endEarly(op, end)) return; // the output broke: the queue is empty
            } else {
                op.state = op.done > 0 ? Op.ACTIVE : Op.QUEUED;
            }
            op = following;
        }
    }

    /**
     * Ends send {@code op} early with {@code status} (a cancel, a timeout): taken out cleanly when none of its bytes
     * were written, else the output breaks (it and everything behind it end with {@code status}). Returns whether the
     * queue goes on.
     */
    boolean endEarly(Op op, int status) {
        IoHandle h = op.handle;
        if (op.done == 0) {
            net.removeQueued(op);
            dropPieces(op);
            net.complete(op, status, null, true);
            return true;
        }
        failAll(h, status);
        return false;
    }

    /**
     * The output of {@code h} breaks with {@code status}: every queued send-side operation ends with it, and later
     * sends fail with it at once. Nothing of the queue may be in the kernel (called between requests).
     */
    void failAll(IoHandle h, int status) {
        if (h instanceof StreamSocket) h.outputError = status;
        while (h.sendHead != null) {
            Op o = h.sendHead;
            o.inFlight = false;
            net.removeQueued(o);
            if (o.kind == Op.SEND) dropPieces(o);
            net.complete(o, status, null, true);
        }
    }

    /**
     * A cancel of a queued send: ends it now when nothing of it is in the kernel (cleanly if none of its bytes were
     * written, else breaking the output); in flight, the engine cancels the request and {@link #requestEnded} settles
     * it. Returns whether it was running.
     */
    boolean cancel(Op op) {
        if (op.cancelRequested) return false;
        op.cancelRequested = true;
        IoHandle h = op.handle;
        if (!op.inFlight) {
            endEarly(op, Status.ECANCELED);
            if (h.sendHead != null) {
                h.sendHead.writeBlocked = false;
                net.sendQueueChanged(h);
            }
            net.engine.ended(h);
            return true;
        }
        net.engine.cancelSends(h);
        return true;
    }

    // ------------------------------------------------------------------------------------------------------------
    // writability

    private void writabilityChanged(IoHandle h) {
        if (h.writabilityCallback == null || h.writabilityQueued) return;
        h.writabilityQueued = true;
        h.writabilityNext = writabilityHead;
        writabilityHead = h;
        net.scheduleDelivery();
    }

    /** Reports the changes of writability since the last pass: only where the state now differs from the last told. */
    void deliverWritability() {
        while (writabilityHead != null) {
            IoHandle h = writabilityHead;
            writabilityHead = h.writabilityNext;
            h.writabilityNext = null;
            h.writabilityQueued = false;
            boolean writable = !h.unwritable;
            if (h.closed || h.writabilityCallback == null || writable == h.writableReported) continue;
            h.writableReported = writable;
            try {
                h.writabilityCallback.onWritabilityChanged((StreamSocket) h, writable);
            } catch (Throwable t) { // the loop decides what it survives (ExceptionReporter); the socket is the source
                net.access.reportException(net.loop, h, t);
            }
        }
    }

    /** Pieces in use (for tests: none may stay behind once queues are empty). */
    int piecesInUse() {
        return pieceCount - freePieceCount;
    }
}
