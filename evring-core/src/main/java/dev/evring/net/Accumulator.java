package dev.evring.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One socket's accumulating receive ({@link StreamSocket#recvAccumulated}): an ordinary receive whose chunks are not
 * handed out as {@link Buffer}s but shown, with the bytes kept from before, to an {@link InboundCallback}, which says
 * how much it consumed. The rest is kept in the socket's accumulation memory, so no buffer of the kernel's ring is
 * held across chunks: every received buffer goes back as soon as the callback returns.
 *
 * <p>Where the kept bytes live: nowhere while there are none (the common case, a chunk that held whole messages, is
 * parsed in the received buffer itself); in one general-pool buffer while they fit one (taken and given back without
 * allocating); beyond that in a block of native memory of their own that doubles as needed, up to the Net's
 * accumulation limit (then the receive ends with {@link Status#EMSGSIZE}). Consumed bytes are compacted away (the
 * rest moves to the front) after each call; the memory goes back once nothing is kept. No {@link Buffer} handle is
 * made per chunk: steady state allocates nothing on this path.
 */
final class Accumulator implements RecvCallback {
    private final StreamSocket socket;
    private final InboundCallback callback;
    private final Inbound inbound;
    private final int limit;

    // the kept bytes: [0, kept) of memory; a general-pool buffer (pooled) or a block of an arena of its own
    private MemorySegment memory;
    private BufferSlot pooled;
    private Arena arena;
    private int kept;
    /** The kept bytes outgrew the limit: the receive is being stopped, and its end reports EMSGSIZE. */
    private boolean overflowed;

    Accumulator(StreamSocket socket, InboundCallback callback) {
        this.socket = socket;
        this.callback = callback;
        this.inbound = new Inbound(socket.net.owner);
        this.limit = socket.net.settings.recvAccumulationLimit();
    }

    /** Not called: {@link Net} delivers to {@link #chunk} and {@link #end} without making a handle. */
    @Override
    public void onRecv(StreamSocket s, Buffer data, int status) {
        throw new IllegalStateException("an accumulating receive is delivered through its accumulator");
    }

    /** A chunk of {@code n} bytes arrived in {@code slot} (lent; it goes back to its pool here). */
    void chunk(BufferSlot slot, int n) throws Exception {
        try {
            if (overflowed) return; // the receive is ending: nothing more is shown
            if (kept == 0) {
                int c = show(slot.memory, n, n);
                if (c < n) keep(slot.memory, c, n - c);
                return;
            }
            if ((long) kept + n > limit) {
                overflowed = true;
                if (socket.readOp != null) socket.net.cancelOp(socket.readOp); // its end reports EMSGSIZE
                return;
            }
            ensure(kept + n);
            MemorySegment.copy(slot.memory, 0, memory, kept, n);
            grow(n);
            int c = show(memory, kept, n);
            consume(c);
        } finally {
            slot.pool.recycle(slot);
        }
    }

    /** The receive ended with {@code status}: shown once more with what is kept, then the memory goes back. */
    void end(int status) throws Exception {
        try {
            if (overflowed && status == Status.ECANCELED) status = Status.EMSGSIZE;
            show(kept == 0 ? null : memory, kept, status);
        } finally {
            release();
        }
    }

    /** Runs the callback over [0, length) of {@code m}; returns what it consumed (0 when it threw or lied). */
    private int show(MemorySegment m, int length, int status) throws Exception {
        inbound.begin(m == null ? MemorySegment.NULL : m, 0, length);
        int c;
        try {
            c = callback.onInbound(socket, inbound, status);
        } finally {
            inbound.end();
        }
        if (status <= 0) return 0;
        if (c < 0 || c > length) {
            throw new IllegalStateException("an InboundCallback of " + socket + " returned " + c
                    + " consumed bytes of " + length + ": nothing was consumed");
        }
        return c;
    }

    /** Keeps {@code n} bytes of {@code from} at {@code off} (nothing is kept yet). */
    private void keep(MemorySegment from, int off, int n) {
        ensure(n);
        MemorySegment.copy(from, off, memory, 0, n);
        grow(n);
    }

    private void grow(int n) {
        kept += n;
        socket.net.accumulatedBytes += n;
    }

    /** Drops the first {@code c} kept bytes, moving the rest to the front; the memory goes back when none is left. */
    private void consume(int c) {
        if (c == 0) return;
        int rest = kept - c;
        if (rest > 0) MemorySegment.copy(memory, c, memory, 0, rest);
        kept = rest;
        socket.net.accumulatedBytes -= c;
        if (rest == 0) release();
    }

    /** Room for {@code need} bytes: a pool buffer while it fits one, else native memory that doubles. */
    private void ensure(int need) {
        long capacity = memory == null ? 0 : memory.byteSize();
        if (need <= capacity) return;
        BufferPool pool = socket.net.pool;
        BufferSlot nextPooled = memory == null && need <= pool.bufferSize ? pool.take() : null;
        Arena nextArena = null;
        MemorySegment next;
        if (nextPooled != null) {
            next = nextPooled.memory;
        } else {
            long size = Math.min(limit, Math.max(need, Math.max(2 * capacity, 2L * socket.net.recvPool.bufferSize)));
            nextArena = Arena.ofConfined();
            next = nextArena.allocate(size, 16);
        }
        if (kept > 0) MemorySegment.copy(memory, 0, next, 0, kept);
        freeMemory();
        memory = next;
        pooled = nextPooled;
        arena = nextArena;
    }

    /** Gives the memory back (nothing is kept, or the receive ended). */
    private void release() {
        socket.net.accumulatedBytes -= kept;
        kept = 0;
        freeMemory();
    }

    private void freeMemory() {
        if (pooled != null) {
            pooled.pool.recycle(pooled);
            pooled = null;
        }
        if (arena != null) {
            arena.close();
            arena = null;
        }
        memory = null;
    }
}
