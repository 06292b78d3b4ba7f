package dev.evring.net;

import java.lang.foreign.MemorySegment;

/**
 * One buffer of a {@link BufferPool}: its memory and who has it now. Slots are made once and reused for the life of
 * the pool; what user code holds is a {@link Buffer} handle, made afresh each time a slot is handed out, so that a
 * handle given back can never reach the slot's next owner. Only {@link BufferPool} changes {@link #state} and
 * {@link #handle}.
 */
final class BufferSlot {
    /** In the pool's free list. */
    static final byte FREE = 0;
    /** The application's, through {@link #handle}. */
    static final byte USER = 1;
    /** Lent to an operation: data being sent or written, a buffer being filled, a chunk waiting to be delivered. */
    static final byte LENT = 2;
    /** In the kernel's provided-buffer ring, for the kernel to pick. */
    static final byte IN_RING = 3;
    /** Out of use for good: a ring reset left it with a request the kernel may still be running (a file read or write). */
    static final byte RETIRED = 4;
    /**
     * Incremental consumption only: the kernel let go of it, slices of it are still out ({@link #slices}); back to
     * the pool when the last comes back.
     */
    static final byte SLICED = 5;
    /** A slice object in its pool's spare list. */
    static final byte SPARE = 6;

    final BufferPool pool;
    /** Index in the pool, and the buffer id ({@code bid}) the kernel reports for a provided buffer; -1 for a slice. */
    final int id;
    /**
     * The bytes this slot may touch: a whole buffer, or for a slice only its part of its buffer (set when the slice
     * is made), so that every access through it is bounded by what the slice owns.
     */
    MemorySegment memory;
    /**
     * A {@code sockaddr_storage} for the sender of a datagram received into this buffer; null for a slice until
     * {@link #peer()} makes it (non-null whenever {@link #peerLength} is not 0).
     */
    MemorySegment peer;
    int peerLength;
    /** Data bytes. */
    int length;
    byte state;
    /** The handle of the current owner while {@link #USER}, else null. */
    Buffer handle;
    /** The socket whose receive took it, until it comes back to the pool: it counts toward that socket's share. */
    IoHandle receiver;
    /** Pieces of queued sends that refer to it ({@link Outbound}): it goes back to its pool when the last is written. */
    int sendRefs;
    /** A paused receive's chunks, kept in order until it resumes ({@link Net#resumeRecv}). */
    BufferSlot parkedNext;
    /** The scope of the read-only views its current handle gave out ({@link Buffer#segment()}), closed when given back. */
    java.lang.foreign.Arena views;
    /** The socket whose copied sends fill it (its fill buffer, counted in its send share); null otherwise. */
    IoHandle fillOf;

    // Incremental consumption (IOU_PBUF_RING_INC): a buffer the kernel fills piece by piece hands each piece out as a
    // slice, a slot of its own over part of the buffer's memory.
    /** For a slice: the buffer it is part of; null for a whole buffer. */
    BufferSlot parent;
    /** For a buffer: its slices not yet come back (it goes back to the pool only at 0, and once the kernel let go). */
    int slices;
    /** For a buffer in an incremental ring: the bytes the kernel filled since it was added (where its next data goes). */
    int kernelFilled;

    /** The memory as a ByteBuffer, made on first use and kept: copying from a direct ByteBuffer allocates nothing. */
    private java.nio.ByteBuffer nio;

    java.nio.ByteBuffer nio() {
        java.nio.ByteBuffer b = nio;
        if (b == null) nio = b = memory.asByteBuffer();
        return b;
    }

    /** A slice gets (or, given back, loses) its bytes: {@link #memory} and what was made of it change together. */
    void reslice(MemorySegment m) {
        memory = m;
        nio = null;
    }

    BufferSlot(BufferPool pool, int id, MemorySegment memory, MemorySegment peer) {
        this.pool = pool;
        this.id = id;
        this.memory = memory;
        this.peer = peer;
    }

    /**
     * The sender-address storage; a slice gets its own the first time (a datagram read into it: rare), from the loop's
     * arena, so slices of one buffer never share it.
     */
    MemorySegment peer() {
        MemorySegment p = peer;
        if (p == null) peer = p = pool.net.arena.allocate(dev.evring.linux.SysSocket.SOCKADDR_STORAGE_SIZE, 8);
        return p;
    }

    int capacity() {
        return (int) memory.byteSize();
    }

    @Override
    public String toString() {
        BufferSlot p = parent;
        return id >= 0 ? "buffer " + id + " of the " + pool.name + " pool"
                : p != null ? "a slice of buffer " + p.id + " of the " + pool.name + " pool" : "a slice of the " + pool.name + " pool";
    }
}
