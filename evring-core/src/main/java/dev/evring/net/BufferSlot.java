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

    final BufferPool pool;
    /** Index in the pool, and the buffer id ({@code bid}) the kernel reports for a provided buffer. */
    final int id;
    final MemorySegment memory;
    /** A {@code sockaddr_storage} for the sender of a datagram received into this buffer. */
    final MemorySegment peer;
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

    /** The memory as a ByteBuffer, made on first use and kept: copying from a direct ByteBuffer allocates nothing. */
    private java.nio.ByteBuffer nio;

    java.nio.ByteBuffer nio() {
        java.nio.ByteBuffer b = nio;
        if (b == null) nio = b = memory.asByteBuffer();
        return b;
    }

    BufferSlot(BufferPool pool, int id, MemorySegment memory, MemorySegment peer) {
        this.pool = pool;
        this.id = id;
        this.memory = memory;
        this.peer = peer;
    }

    int capacity() {
        return (int) memory.byteSize();
    }

    @Override
    public String toString() {
        return "buffer " + id + " of the " + pool.name + " pool";
    }
}
