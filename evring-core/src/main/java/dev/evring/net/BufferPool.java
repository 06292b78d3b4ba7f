package dev.evring.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A fixed set of equal buffers carved once out of one page-aligned block of the loop's arena; a free list of their
 * indices. Taking and recycling a buffer allocates nothing. When {@link #ring} is set, free buffers live in the
 * kernel's provided-buffer ring instead of the free list, and the kernel picks them.
 *
 * <p>An operation that needs a buffer when none is free waits here (in FIFO order) and is resumed, by its driver, when
 * one comes back: running dry slows receiving down, it never drops a connection or data.
 */
final class BufferPool {
    /** Where released buffers go instead of the free list: the kernel's provided-buffer ring. */
    interface KernelRing {
        void push(Buffer buffer);

        /** Buffers the kernel may still pick (our count: pushed minus those CQEs have reported used). */
        int available();
    }

    final Net net;
    final String name;
    final int bufferSize;
    final MemorySegment memory;
    final Buffer[] buffers;
    private final int[] free;
    private int freeCount;
    KernelRing ring;

    private Op waitHead;
    private Op waitTail;
    private int waiting;
    /** How many times an operation found the pool dry and had to wait. */
    long waits;

    BufferPool(Net net, String name, int count, int bufferSize, Arena arena) {
        if (count < 1 || count > 32768) throw new IllegalArgumentException(name + " buffer count " + count + " outside [1, 32768]");
        if (bufferSize < 64 || bufferSize > (1 << 24)) {
            throw new IllegalArgumentException(name + " buffer size " + bufferSize + " outside [64, 16 MiB]");
        }
        this.net = net;
        this.name = name;
        this.bufferSize = bufferSize;
        this.memory = arena.allocate((long) count * bufferSize, 4096);
        MemorySegment peers = arena.allocate(dev.evring.linux.SysSocket.SOCKADDR_STORAGE_SIZE * count, 8);
        this.buffers = new Buffer[count];
        this.free = new int[count];
        for (int i = 0; i < count; i++) {
            buffers[i] = new Buffer(this, i, memory.asSlice((long) i * bufferSize, bufferSize),
                    peers.asSlice(i * dev.evring.linux.SysSocket.SOCKADDR_STORAGE_SIZE, dev.evring.linux.SysSocket.SOCKADDR_STORAGE_SIZE));
            free[count - 1 - i] = i; // hand out low ids first
        }
        this.freeCount = count;
    }

    int count() {
        return buffers.length;
    }

    /** A free buffer, lent to the caller (an operation), or null when none is free. */
    Buffer take() {
        if (freeCount == 0) return null;
        Buffer b = buffers[free[--freeCount]];
        b.state = Buffer.LENT;
        b.length = 0;
        b.peerLength = 0;
        return b;
    }

    /** Takes every buffer off the free list, for a kernel ring being filled at setup. */
    int freeCount() {
        return freeCount;
    }

    /** Back to the pool (the kernel ring, or the free list); resumes one waiting operation. */
    void recycle(Buffer b) {
        if (b.pool != this || b.state == Buffer.FREE) throw new IllegalStateException("buffer " + b + " recycled twice");
        b.length = 0;
        b.peerLength = 0;
        if (ring != null) {
            b.state = Buffer.LENT;
            ring.push(b);
        } else {
            b.state = Buffer.FREE;
            free[freeCount++] = b.id;
        }
        if (waitHead != null) wakeOne();
    }

    /** Moves every free-listed buffer into the kernel ring (after the ring was registered or rebuilt). */
    void fillRing() {
        while (freeCount > 0) {
            Buffer b = buffers[free[--freeCount]];
            b.state = Buffer.LENT;
            ring.push(b);
        }
    }

    /** Detaches the kernel ring; buffers it held must be put back with {@link #returnFromRing}. */
    void returnFromRing(Buffer b) {
        b.state = Buffer.FREE;
        free[freeCount++] = b.id;
    }

    /** Parks {@code op} until a buffer comes back. */
    void await(Op op) {
        if (op.waitingForBuffer) return;
        op.waitingForBuffer = true;
        op.next = null;
        if (waitTail == null) waitHead = op;
        else waitTail.next = op;
        waitTail = op;
        waiting++;
        waits++;
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

    private void wakeOne() {
        Op op = waitHead;
        waitHead = op.next;
        if (waitHead == null) waitTail = null;
        op.next = null;
        op.waitingForBuffer = false;
        waiting--;
        net.driver.bufferAvailable(op);
    }

    /** Counts of buffers by owner, for stats: {free or in the kernel ring, the application's, lent to operations}. */
    int[] census() {
        int user = 0;
        int lent = 0;
        for (Buffer b : buffers) {
            if (b.state == Buffer.USER) user++;
            else if (b.state == Buffer.LENT) lent++;
        }
        int inRing = ring == null ? 0 : ring.available();
        return new int[] {freeCount + inRing, user, lent - inRing};
    }
}
