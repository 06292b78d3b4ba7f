package dev.evring.net;

import dev.evring.linux.SysSocket;
import dev.evring.uring.BufferRing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A fixed set of equal buffers carved once out of one page-aligned block of the loop's arena, and the one keeper of
 * who has each of them: free, the application's (through a {@link Buffer} handle), lent to an operation, or in the
 * kernel's provided-buffer ring. Every change of a {@link BufferSlot}'s state goes through a method here; the kernel
 * ring is a client that is told what to hold. Taking and recycling allocate nothing; handing a buffer to user code
 * allocates its handle.
 *
 * <p>An operation that needs a buffer when none is free waits here (in FIFO order) and is resumed, by its engine,
 * when one comes back: running dry slows receiving down, it never drops a connection or data.
 *
 * <h2>Waiting, and the rule that keeps it from stalling</h2>
 * Only a receive whose socket is readable waits here (the engines make sure of it: the readiness emulation takes a
 * buffer once the socket is readable; on io_uring a receive refused with ENOBUFS before the kernel looked at its
 * socket is first sent to wait for data, IORING_RECVSEND_POLL_FIRST or a POLL_ADD), so a woken waiter always uses
 * the buffer it was woken for, or finds that another took it. The rule, checked whenever a buffer comes back, a waiter
 * joins and a woken receive's completion arrives ({@link #serveWaiters}): <em>while receives wait, every free buffer
 * has a woken receive on its way to it</em>. Without a kernel ring a free buffer is granted to the oldest waiter and
 * kept for it. A buffer in the kernel's ring cannot be kept for anyone (the kernel gives it to whichever receive has
 * data first), so as many of the oldest waiters are resubmitted as the ring holds buffers beyond the woken receives
 * still on their way ({@link #woken}); each of those ends with a completion soon (its socket is readable), which
 * settles it. Once traffic settles, no receive waits while a buffer is free.
 *
 * <h2>Incremental consumption: slices</h2>
 * With a ring registered with IOU_PBUF_RING_INC (6.12, {@code net.recv_incremental}) the kernel fills a buffer piece by
 * piece: each receive takes the bytes it got, right after the bytes the buffer's previous receive got, and the CQE
 * says with IORING_CQE_F_BUF_MORE that the kernel keeps the rest for the next. Each piece is handed out as a slice
 * ({@link #sliceFilled}): a slot of its own whose memory is only that piece (so every access through it is bounded by
 * it), counted on its buffer ({@link BufferSlot#slices}). The buffer goes back to the ring only when both happened: the
 * kernel let go of it (a CQE without BUF_MORE; from then on it is {@link BufferSlot#SLICED}) and its last slice came
 * back. A CQE with no bytes never lets go of a buffer. Slices count toward their socket's share one each, as whole
 * buffers do: a slice pins its whole buffer, so a count of slices is what bounds the buffers one connection can keep
 * from the others (a count of bytes would not: sixteen 1-byte slices can pin sixteen buffers). Slice objects are
 * reused; each slice's bounded memory segment is the one allocation it costs beside its handle.
 */
final class BufferPool {
    /** Bounds of {@code count} and of the buffer size (the size is also the most a datagram or a chunk can be). */
    static final int MAX_COUNT = BufferRing.MAX_ENTRIES;
    static final int MIN_SIZE = 64;
    static final int MAX_SIZE = 1 << 24;

    final Net net;
    final String name;
    final int bufferSize;
    private final Thread owner;
    private final BufferSlot[] slots;
    private final int[] free;
    private int freeCount;

    /** Where released buffers go instead of the free list while set: the kernel's provided-buffer ring. */
    private BufferRing ring;
    /** Slots in {@link #ring} as far as CQEs told us: added minus reported picked. */
    private int inRing;

    private Op waitHead;
    private Op waitTail;
    private int waiting;
    /** How many times an operation found the pool dry and had to wait. */
    long waits;
    /** Free buffers kept for woken waiters that have not taken them yet. */
    private int granted;
    /** Waiters resubmitted for a buffer in the kernel ring whose completion has not come back yet. */
    private int woken;
    /** Buffers ever added to the kernel ring (wrapping): tells a late ENOBUFS from one that saw every buffer added. */
    private int added;
    /** Buffers out of use for good ({@link #retire}). */
    int retired;

    /**
     * Whether {@link #ring} is consumed incrementally (IOU_PBUF_RING_INC): the kernel fills a buffer piece by piece,
     * each piece handed out as a slice ({@link #sliceFilled}); see "Incremental consumption" in the class comment.
     */
    private boolean incremental;
    /** Every slice object made (they are reused: steady state makes none), and those not in use now. */
    private BufferSlot[] slicesMade = new BufferSlot[0];
    private int slicesMadeCount;
    private BufferSlot[] spareSlices = new BufferSlot[0];
    private int spareCount;

    BufferPool(Net net, String name, int count, int bufferSize, Arena arena) {
        checkSize(name, count, bufferSize);
        this.net = net;
        this.owner = net.owner;
        this.name = name;
        this.bufferSize = bufferSize;
        MemorySegment memory = arena.allocate((long) count * bufferSize, 4096);
        MemorySegment peers = arena.allocate(SysSocket.SOCKADDR_STORAGE_SIZE * count, 8);
        this.slots = new BufferSlot[count];
        this.free = new int[count];
        for (int i = 0; i < count; i++) {
            slots[i] = new BufferSlot(this, i, memory.asSlice((long) i * bufferSize, bufferSize),
                    peers.asSlice(i * SysSocket.SOCKADDR_STORAGE_SIZE, SysSocket.SOCKADDR_STORAGE_SIZE));
            free[count - 1 - i] = i; // hand out low ids first
        }
        this.freeCount = count;
    }

    /** Refuses sizes that are out of range or do not fit memory, naming them; before anything is allocated. */
    static void checkSize(String name, int count, int bufferSize) {
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException(name + " buffer count " + count + " outside [1, " + MAX_COUNT + "]");
        }
        if (bufferSize < MIN_SIZE || bufferSize > MAX_SIZE) {
            throw new IllegalArgumentException(name + " buffer size " + bufferSize + " outside [" + MIN_SIZE + ", 16 MiB]");
        }
    }

    int count() {
        return slots.length;
    }

    /** Loop thread only, checked first by every handle call. */
    void checkThread() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a buffer of " + net.loop + " was used from thread \""
                    + Thread.currentThread().getName() + "\": buffers belong to their loop's thread");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // the free list and operations

    /**
     * A free buffer, lent to the caller, or null when none is free for it: buffers granted to woken waiters are kept
     * for them ({@link #take(Op)}).
     */
    BufferSlot take() {
        if (freeCount - granted <= 0) return null;
        return takeFree();
    }

    /**
     * A free buffer for {@code op}, a receive that waits here when there is none, or null. First come, first served:
     * while receives wait, a newcomer gets none (it queues behind them) and a buffer coming back is granted to the
     * oldest waiter, kept for it until it takes it. Without this, a woken waiter went to the back of the line each time
     * newcomers took the buffer first, and some connections waited dozens of iterations (the completion emulation's
     * p99 at 1,000 connections).
     */
    BufferSlot take(Op op) {
        if (op.bufferGranted) {
            op.bufferGranted = false;
            granted--;
            return takeFree();
        }
        if (waitHead != null) return null;
        return take();
    }

    private BufferSlot takeFree() {
        if (freeCount == 0) return null;
        BufferSlot s = slots[free[--freeCount]];
        s.state = BufferSlot.LENT;
        s.length = 0;
        s.peerLength = 0;
        return s;
    }

    /** A receive of {@code h} took {@code s}: it counts toward {@code h}'s share until it comes back. */
    void assign(BufferSlot s, IoHandle h) {
        s.receiver = h;
        h.heldBuffers++;
    }

    /** {@code s} comes back: its receiver holds one less, and a receive paused for its share may go on. */
    private void unassign(BufferSlot s) {
        IoHandle h = s.receiver;
        if (h == null) return;
        s.receiver = null;
        h.heldBuffers--;
        Op r = h.readOp;
        if (r != null && r.sharePaused && !net.shareFull(h)) {
            r.sharePaused = false;
            net.engine.shareAvailable(r);
        }
    }

    /** Back to the pool (the kernel ring, or the free list) from an operation; resumes one waiting operation. */
    void recycle(BufferSlot s) {
        if (s.pool != this || s.state != BufferSlot.LENT) throw new IllegalStateException(s + " recycled while " + s.state);
        unassign(s);
        if (s.parent != null) {
            recycleSlice(s);
            return;
        }
        s.length = 0;
        s.peerLength = 0;
        s.kernelFilled = 0;
        if (ring != null) {
            s.state = BufferSlot.IN_RING;
            ring.add(s.memory.address(), (int) s.memory.byteSize(), s.id, 0);
            ring.advance(1);
            inRing++;
            added++;
        } else {
            s.state = BufferSlot.FREE;
            free[freeCount++] = s.id;
        }
        if (waitHead != null) serveWaiters();
    }

    /**
     * Takes a buffer out of use for good: an operation the kernel may still be running holds it (after a ring reset,
     * a file read or write in an io-wq worker), so it can never be handed out again. The pool has one less.
     */
    void retire(BufferSlot s) {
        unassign(s);
        s.state = BufferSlot.RETIRED;
        s.handle = null;
        retired++;
    }

    // ------------------------------------------------------------------------------------------------------------
    // the application's handles

    /** Hands a slot an operation filled to the application: a new handle, the one allocation of a hand-out. */
    Buffer handOut(BufferSlot s) {
        if (s.state != BufferSlot.LENT) throw new IllegalStateException(s + " handed out while " + s.state);
        Buffer b = new Buffer(s);
        s.handle = b;
        s.state = BufferSlot.USER;
        return b;
    }

    /** A free buffer, empty, handed to the application; null when none is free. */
    Buffer allocate() {
        BufferSlot s = take();
        return s == null ? null : handOut(s);
    }

    /**
     * Takes the application's buffer for an operation of {@code net} (a send, a write, a read into it): the handle
     * is spent, the slot lent to the operation.
     *
     * @throws IllegalArgumentException for a null buffer or one of another Net
     * @throws IllegalStateException on another thread, or when the handle is not the caller's
     */
    static BufferSlot lend(Buffer b, Net net) {
        BufferSlot s = checkLendable(b, net);
        s.handle = null;
        closeViews(s);
        s.state = BufferSlot.LENT;
        return s;
    }

    /** The handle's read-only views die with it: closing their scope makes every later access throw. */
    static void closeViews(BufferSlot s) {
        if (s.views != null) {
            s.views.close();
            s.views = null;
        }
    }

    /** The Net closes: the views of buffers still in the application's hands die before the memory goes. */
    void closeAllViews() {
        for (BufferSlot s : slots) closeViews(s);
        for (int i = 0; i < slicesMadeCount; i++) closeViews(slicesMade[i]);
    }

    /** The checks of {@link #lend}, changing nothing: a gather checks every buffer before it takes any. */
    static BufferSlot checkLendable(Buffer b, Net net) {
        if (b == null) throw new IllegalArgumentException("buffer is null");
        BufferSlot s = b.slot;
        if (s.pool.net != net) throw new IllegalArgumentException(b + " belongs to another Net");
        s.pool.checkThread();
        if (s.handle != b) throw new IllegalStateException(b + " is not yours to hand over: released or already handed to an operation");
        return s;
    }

    /** The application gives a buffer back ({@link Buffer#release()}, after its checks). */
    void release(BufferSlot s) {
        s.handle = null;
        closeViews(s);
        s.state = BufferSlot.LENT;
        recycle(s);
    }

    // ------------------------------------------------------------------------------------------------------------
    // the kernel ring, a client

    /** From now on free buffers live in {@code r} (registered by the caller): moves the free list there, one advance. */
    void attachRing(BufferRing r) {
        attachRing(r, false);
    }

    /** As {@link #attachRing(BufferRing)}; {@code incremental}: {@code r} was registered with IOU_PBUF_RING_INC. */
    void attachRing(BufferRing r, boolean incremental) {
        this.ring = r;
        this.incremental = incremental;
        int n = 0;
        while (freeCount > 0) {
            BufferSlot s = slots[free[--freeCount]];
            s.state = BufferSlot.IN_RING;
            r.add(s.memory.address(), (int) s.memory.byteSize(), s.id, n++);
        }
        r.advance(n);
        inRing += n;
        added += n;
    }

    /**
     * The ring's registration is gone (unregistered, or the kernel ring with it): nothing in it can be picked any more,
     * so those buffers are free again. The caller attaches a ring again, or not.
     */
    void detachRing() {
        ring = null;
        incremental = false;
        for (BufferSlot s : slots) {
            if (s.state == BufferSlot.IN_RING) {
                s.kernelFilled = 0;
                if (s.slices > 0) {
                    s.state = BufferSlot.SLICED; // its slices are still out: it comes back with the last of them
                } else {
                    s.state = BufferSlot.FREE;
                    free[freeCount++] = s.id;
                }
            }
        }
        inRing = 0;
    }

    /** Buffers in the kernel ring as far as CQEs told us. */
    int inRing() {
        return inRing;
    }

    boolean hasRing() {
        return ring != null;
    }

    /**
     * The buffer a CQE says the kernel picked from the ring and filled, lent now to the operation; null if that id is
     * not one the ring holds (a corrupt or stale CQE: never trusted).
     */
    BufferSlot pickedByKernel(int bid) {
        if (incremental || bid < 0 || bid >= slots.length) return null; // (incremental: sliceFilled)
        BufferSlot s = slots[bid];
        if (s.state != BufferSlot.IN_RING) return null;
        s.state = BufferSlot.LENT;
        inRing--;
        return s;
    }

    // ------------------------------------------------------------------------------------------------------------
    // incremental consumption: slices

    /**
     * Incremental ring: a CQE says the kernel put {@code res} bytes into buffer {@code bid}, after the bytes it put
     * there before ({@link BufferSlot#kernelFilled}); {@code more} (IORING_CQE_F_BUF_MORE): it keeps the rest of the
     * buffer for later receives. Returns a slice over those bytes, lent to the operation, or null when the CQE does
     * not fit what the ring holds (an id the kernel does not hold, more bytes than the buffer has left): never trusted.
     * Where the bytes are follows from the order of the CQEs, which is the order the kernel consumed the buffer in: it
     * flushes deferred completions before it posts a multishot CQE ("io_uring: ensure deferred completions are flushed
     * for multishot", 6.15 and 6.12-stable; before it, a single-shot and a multishot receive's CQEs could pass each
     * other, which the default share's single-shot receives never meet).
     *
     * <p>The slice's capacity is what it may ever write without touching bytes that are not its own: while the kernel
     * keeps the buffer, exactly the bytes received (the kernel fills the next ones); once it let go of the buffer, the
     * rest of the buffer too (no later slice of it can exist before every slice came back and it was added again).
     */
    BufferSlot sliceFilled(int bid, int res, boolean more) {
        if (!incremental || bid < 0 || bid >= slots.length || res <= 0) return null;
        BufferSlot p = slots[bid];
        if (p.state != BufferSlot.IN_RING) return null;
        int at = p.kernelFilled;
        int capacity = p.capacity();
        if (res > capacity - at) return null;
        BufferSlot c = takeSpare();
        c.parent = p;
        c.reslice(p.memory.asSlice(at, more ? res : capacity - at));
        c.state = BufferSlot.LENT;
        c.length = 0;
        c.peerLength = 0;
        p.slices++;
        if (more) {
            p.kernelFilled = at + res;
        } else { // the kernel let go of it: it comes back to the ring when its last slice comes back
            p.kernelFilled = 0;
            p.state = BufferSlot.SLICED;
            inRing--;
        }
        return c;
    }

    /**
     * Incremental ring: whether buffer {@code bid} is one the kernel holds, for a CQE that names it with no bytes (end
     * of stream, an error). Such a CQE never releases the buffer, whatever its flags: the kernel consumes only what it
     * filled (io_kbuf_inc_commit with a length of 0 or below leaves the buffer at the ring's head; before the fix of
     * liburing#1553 it also left IORING_CQE_F_BUF_MORE out), so the buffer stays where it is.
     */
    boolean heldByKernel(int bid) {
        return incremental && bid >= 0 && bid < slots.length && slots[bid].state == BufferSlot.IN_RING;
    }

    /** A slice came back (from {@link #recycle}, unassigned): its buffer goes back once it was the last one out. */
    private void recycleSlice(BufferSlot c) {
        BufferSlot p = c.parent;
        c.parent = null;
        c.reslice(MemorySegment.NULL);
        c.length = 0;
        c.peerLength = 0;
        c.state = BufferSlot.SPARE;
        spareSlices[spareCount++] = c;
        if (--p.slices == 0 && p.state == BufferSlot.SLICED) {
            p.state = BufferSlot.LENT;
            recycle(p);
        }
    }

    /** A slice object: a spare one, else a new one (kept for good: the number made is the most ever out at once). */
    private BufferSlot takeSpare() {
        if (spareCount > 0) return spareSlices[--spareCount];
        if (slicesMadeCount == slicesMade.length) {
            int n = Math.max(64, slicesMade.length * 2);
            slicesMade = java.util.Arrays.copyOf(slicesMade, n);
            spareSlices = java.util.Arrays.copyOf(spareSlices, n);
        }
        BufferSlot c = new BufferSlot(this, -1, MemorySegment.NULL, null);
        slicesMade[slicesMadeCount++] = c;
        return c;
    }

    // ------------------------------------------------------------------------------------------------------------
    // waiting for a buffer

    /**
     * Parks {@code op}, a receive whose socket is readable, until a buffer comes back. A woken receive that found the
     * ring empty again keeps its place at the head of the line. With a kernel ring, a buffer added after the request
     * was prepared ({@code op.ringAddSeq}) may have come too late for it: the waiters are served at once.
     */
    void await(Op op) {
        if (op.waitingForBuffer) return;
        boolean again = op.bufferWoken;
        settle(op);
        op.waitingForBuffer = true;
        if (again && waitHead != null) {
            op.next = waitHead;
            waitHead = op;
        } else {
            op.next = null;
            if (waitTail == null) waitHead = op;
            else waitTail.next = op;
            waitTail = op;
        }
        waiting++;
        NetEvents.bufferWait(this, waiting);
        waits++;
        if (ring != null && added != op.ringAddSeq) serveWaiters();
    }

    /** The number of buffers added to the kernel ring so far: an engine notes it when it prepares a receive. */
    int added() {
        return added;
    }

    /**
     * Wakes waiters while there are free buffers nobody is on the way to: without a kernel ring each is granted one,
     * kept for it; with one, as many waiters as the ring holds buffers beyond the woken receives in flight are
     * resubmitted. See the class comment for why this cannot leave a receive waiting beside a free buffer.
     */
    void serveWaiters() {
        if (ring != null) {
            while (waitHead != null && inRing > woken) wakeOne();
        } else {
            while (waitHead != null && freeCount - granted > 0) wakeOne();
        }
    }

    /** A woken receive's request ended (its completion came, or it did not go to the kernel): serve the next. */
    void wokenEnded(Op op) {
        if (!op.bufferWoken) return;
        settle(op);
        if (waitHead != null) serveWaiters();
    }

    private void settle(Op op) {
        if (!op.bufferWoken) return;
        op.bufferWoken = false;
        woken--;
    }

    /** Removes a waiting operation (cancelled, closed). */
    void cancelWait(Op op) {
        if (!op.waitingForBuffer) return;
        Op prev = null;
        for (Op o = waitHead; o != null; prev = o, o = o.next) {
            if (o == op) {
                if (prev == null) waitHead = o.next;
                else prev.next = o.next;
                if (waitTail == o) waitTail = prev;
                break;
            }
        }
        op.next = null;
        op.waitingForBuffer = false;
        waiting--;
    }

    int waiting() {
        return waiting;
    }

    /** A buffer came back: it is granted to the oldest waiter (kept for it), which is resumed. */
    private void wakeOne() {
        Op op = waitHead;
        waitHead = op.next;
        if (waitHead == null) waitTail = null;
        op.next = null;
        op.waitingForBuffer = false;
        waiting--;
        if (ring == null) {
            op.bufferGranted = true;
            granted++;
        } else { // a buffer in the kernel ring cannot be kept for anyone: the woken receive tries for it
            op.bufferWoken = true;
            woken++;
        }
        net.engine.bufferAvailable(op);
    }

    /** {@code op} ended holding a grant it did not use: the buffer goes to the next waiter. */
    void dropGrant(Op op) {
        if (!op.bufferGranted) return;
        op.bufferGranted = false;
        granted--;
        if (waitHead != null) serveWaiters();
    }

    /**
     * Counts of buffers by owner, for stats: {free or in the kernel ring, the application's, lent to operations
     * (retired ones included)}. With slices, the application's and the lent ones count slices (received buffers), and
     * a buffer the kernel still fills counts as in the ring; a buffer the kernel let go of whose slices are out counts
     * in none (its slices do).
     */
    int[] census() {
        int user = 0;
        int lent = 0;
        for (BufferSlot s : slots) {
            if (s.state == BufferSlot.USER) user++;
            else if (s.state == BufferSlot.LENT || s.state == BufferSlot.RETIRED) lent++;
        }
        for (int i = 0; i < slicesMadeCount; i++) {
            byte state = slicesMade[i].state;
            if (state == BufferSlot.USER) user++;
            else if (state == BufferSlot.LENT || state == BufferSlot.RETIRED) lent++;
        }
        return new int[] {freeCount + inRing, user, lent};
    }

    /** Buffers whose memory is out of the pool now: lent, the application's, retired, or pinned by their slices. */
    int buffersOut() {
        int n = 0;
        for (BufferSlot s : slots) {
            if (s.state != BufferSlot.FREE && !(s.state == BufferSlot.IN_RING && s.slices == 0)) n++;
        }
        return n;
    }
}
