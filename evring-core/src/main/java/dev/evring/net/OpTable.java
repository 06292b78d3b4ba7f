package dev.evring.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The operation slots of a {@link Net}: preallocated {@link Op}s found by index (from a public id or a CQE's payload,
 * {@link OpId}) and checked by generation, with a free list. Grows in chunks of 64 slots, each chunk one arena
 * allocation for the slots' native scratch; in steady state taking and freeing a slot allocate nothing.
 */
final class OpTable {
    private static final int CHUNK = 64;

    private final Arena arena;
    private Op[] ops = new Op[CHUNK];
    private int count;
    private int[] free = new int[CHUNK];
    private int freeCount;
    /** Slots taken and not yet freed: operations not finished, or finished and not yet delivered. */
    private int live;

    OpTable(Arena arena) {
        this.arena = arena;
    }

    /** A slot for a new {@code kind} operation on {@code h} ({@link Op#reset}: a new generation). */
    Op acquire(IoHandle h, byte kind, Object callback, long timeoutNanos) {
        Op op = freeCount > 0 ? ops[free[--freeCount]] : grow();
        op.reset(h, kind, callback, timeoutNanos);
        live++;
        return op;
    }

    /** Gives the slot back once its final callback was delivered; ids and CQEs naming it no longer match. */
    void free(Op op) {
        op.state = Op.FREE;
        op.handle = null;
        op.callback = null;
        op.buffer = null;
        op.next = null;
        free[freeCount++] = op.index;
        live--;
    }

    private Op grow() {
        if (count + CHUNK > OpId.INDEX_MASK) throw new IllegalStateException("too many operations in flight: " + count);
        if (count == ops.length) {
            ops = Arrays.copyOf(ops, count * 2);
            free = Arrays.copyOf(free, count * 2);
        }
        MemorySegment block = arena.allocate(Op.SCRATCH_SIZE * CHUNK, 16);
        int first = count;
        for (int i = 0; i < CHUNK; i++) {
            ops[count] = new Op(count, block.asSlice(i * Op.SCRATCH_SIZE, Op.SCRATCH_SIZE));
            count++;
        }
        for (int i = count - 1; i > first; i--) free[freeCount++] = i;
        return ops[first];
    }

    /** The running operation a public id names, or null (finished, being delivered, or never was). */
    Op find(long id) {
        if (id <= 0) return null;
        Op op = at(OpId.index(id), OpId.generation(id));
        return op == null || op.state == Op.FINISHING ? null : op;
    }

    /** The slot at {@code index} if it still holds generation {@code gen} (a CQE's payload, validated). */
    Op at(int index, int gen) {
        if (index < 0 || index >= count) return null;
        Op op = ops[index];
        return op.gen == gen && op.state != Op.FREE ? op : null;
    }

    /** Slots ever made, for walking them all ({@link #get}). */
    int size() {
        return count;
    }

    Op get(int index) {
        return ops[index];
    }

    int live() {
        return live;
    }
}
