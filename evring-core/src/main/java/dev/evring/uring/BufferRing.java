package dev.evring.uring;

import dev.evring.linux.IoUring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * A provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19), liburing's {@code io_uring_buf_ring}: an array of
 * {@code struct io_uring_buf} entries in page-aligned memory shared with the kernel, whose tail we own. The kernel
 * takes buffers from its head when a buffer-select request needs one and names the buffer id in the CQE
 * ({@code IORING_CQE_F_BUFFER}). The shape is liburing's: {@link #add} n entries, then one {@link #advance}.
 *
 * <p>Knows nothing of who owns the buffers: its caller decides what goes in and accounts for what the kernel reports
 * taken. Loop thread only; no method makes a system call except {@link #register} and {@link #unregister}.
 */
public final class BufferRing {
    /** The most entries a buffer ring may have (the kernel's limit: the tail is a u16 and entries a power of two). */
    public static final int MAX_ENTRIES = 32768;

    /** The tail is a u16 over the first entry's {@code resv} field; the kernel reads it with acquire. */
    private static final VarHandle TAIL = ValueLayout.JAVA_SHORT.varHandle().withInvokeExactBehavior();

    private final MemorySegment entriesMemory;
    private final MemorySegment registration;
    private final int entries;
    private final int mask;
    private final int groupId;
    /** Our copy of the tail: entries added and advanced so far (the kernel sees it modulo 2^16). */
    private int tail;
    /**
     * Which buffer id each entry holds (by position modulo the ring's size), and the position each buffer id was last
     * added at: a bundle's CQE names only its first buffer, the kernel took the ones after it from the next entries.
     */
    private final short[] bidAt;
    private final int[] positionOf;

    /**
     * A ring of {@code entries} (a power of two, at most {@link #MAX_ENTRIES}) for buffer group {@code groupId},
     * its memory taken from {@code arena}. Not registered yet.
     */
    public BufferRing(Arena arena, int entries, int groupId) {
        if (entries < 1 || entries > MAX_ENTRIES || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("buffer ring entries " + entries + " must be a power of two in [1, " + MAX_ENTRIES + "]");
        }
        if ((groupId & ~0xFFFF) != 0) throw new IllegalArgumentException("buffer group id " + groupId + " is not a u16");
        this.entries = entries;
        this.mask = entries - 1;
        this.groupId = groupId;
        this.entriesMemory = arena.allocate(IoUring.BUF_SIZE * entries, 4096);
        this.bidAt = new short[entries];
        this.positionOf = new int[entries];
        this.registration = arena.allocate(Math.max(IoUring.BUF_REG_SIZE, IoUring.BUF_STATUS_SIZE), 8);
    }

    /** The smallest ring that holds {@code buffers} entries. */
    public static int entriesFor(int buffers) {
        if (buffers < 1 || buffers > MAX_ENTRIES) {
            throw new IllegalArgumentException(buffers + " buffers do not fit a buffer ring (1.." + MAX_ENTRIES + ")");
        }
        return buffers == 1 ? 1 : Integer.highestOneBit(buffers - 1) << 1;
    }

    public int entries() {
        return entries;
    }

    /** The buffer group id ({@code sqe->buf_group}) requests name to select from this ring. */
    public int groupId() {
        return groupId;
    }

    /**
     * Registers the ring, empty, with {@code ring} (liburing's {@code io_uring_register_buf_ring} then
     * {@code io_uring_buf_ring_init}): 0, or {@code -errno} (EINVAL before 5.19).
     */
    public int register(RingOps ring) {
        return register(ring, 0);
    }

    /**
     * {@link #register(RingOps)} with {@code io_uring_buf_reg.flags}: {@link IoUring#IOU_PBUF_RING_INC} (6.12) makes
     * the kernel consume each buffer incrementally, a receive taking only the bytes it got and leaving the rest of the
     * buffer at the head for the next (its CQE says so with IORING_CQE_F_BUF_MORE; the data of each is where the one
     * before ended); older kernels refuse the flag with EINVAL.
     */
    public int register(RingOps ring, int flags) {
        if ((flags & ~IoUring.IOU_PBUF_RING_INC) != 0) throw new IllegalArgumentException("buffer ring flags " + flags);
        entriesMemory.fill((byte) 0);
        tail = 0;
        Arrays.fill(bidAt, (short) 0);
        Arrays.fill(positionOf, 0);
        registration.fill((byte) 0);
        registration.set(ValueLayout.JAVA_LONG, IoUring.OFF_BUF_REG_RING_ADDR, entriesMemory.address());
        registration.set(ValueLayout.JAVA_INT, IoUring.OFF_BUF_REG_RING_ENTRIES, entries);
        registration.set(ValueLayout.JAVA_SHORT, IoUring.OFF_BUF_REG_BGID, (short) groupId);
        registration.set(ValueLayout.JAVA_SHORT, IoUring.OFF_BUF_REG_FLAGS, (short) flags);
        return ring.register(IoUring.IORING_REGISTER_PBUF_RING, registration, 1);
    }

    /**
     * The kernel's head of this ring (IORING_REGISTER_PBUF_STATUS, 6.8): how many entries it has taken so far, modulo
     * 2^16; or {@code -errno} (EINVAL before 6.8). With {@link #tail()} it says how many entries the kernel still holds.
     */
    public int kernelHead(RingOps ring) {
        MemorySegment status = registration.asSlice(0, IoUring.BUF_STATUS_SIZE); // the registration's memory, reused
        status.fill((byte) 0);
        status.set(ValueLayout.JAVA_INT, IoUring.OFF_BUF_STATUS_BUF_GROUP, groupId);
        int r = ring.register(IoUring.IORING_REGISTER_PBUF_STATUS, status, 1);
        return r < 0 ? r : status.get(ValueLayout.JAVA_INT, IoUring.OFF_BUF_STATUS_HEAD) & 0xFFFF;
    }

    /** Entries added and advanced so far, modulo 2^16 (the tail the kernel reads). */
    public int tail() {
        return tail & 0xFFFF;
    }

    /** Unregisters the ring from {@code ring}: 0 or {@code -errno}. The kernel takes no buffer from it afterwards. */
    public int unregister(RingOps ring) {
        registration.fill((byte) 0);
        registration.set(ValueLayout.JAVA_SHORT, IoUring.OFF_BUF_REG_BGID, (short) groupId);
        return ring.register(IoUring.IORING_UNREGISTER_PBUF_RING, registration, 1);
    }

    /**
     * Writes the entry {@code offset} places past the tail (liburing's {@code io_uring_buf_ring_add}): buffer
     * {@code bid} (below {@link #entries()}) of {@code length} bytes at {@code address}. The kernel sees it only after
     * {@link #advance}.
     */
    public void add(long address, int length, int bid, int offset) {
        if (bid < 0 || bid >= entries) throw new IllegalArgumentException("buffer id " + bid + " outside [0, " + entries + ")");
        int position = tail + offset;
        long e = (long) (position & mask) * IoUring.BUF_SIZE;
        entriesMemory.set(ValueLayout.JAVA_LONG, e + IoUring.OFF_BUF_ADDR, address);
        entriesMemory.set(ValueLayout.JAVA_INT, e + IoUring.OFF_BUF_LEN, length);
        entriesMemory.set(ValueLayout.JAVA_SHORT, e + IoUring.OFF_BUF_BID, (short) bid);
        bidAt[position & mask] = (short) bid;
        positionOf[bid] = position;
    }

    /**
     * The buffer {@code k} entries after buffer {@code firstBid} in this ring: a bundle's {@code k}-th buffer
     * (IORING_RECVSEND_BUNDLE), which the kernel took from the entries after the one its CQE names. -1 when that entry
     * is not one advanced after the first buffer's within the ring's reach (a CQE that does not fit what was added:
     * never trusted). The caller still checks that the buffer was in the kernel's hands.
     */
    public int bundleBid(int firstBid, int k) {
        if (firstBid < 0 || firstBid >= entries || k < 0 || k >= entries) return -1;
        int first = positionOf[firstBid];
        if (bidAt[first & mask] != (short) firstBid || tail - first <= 0 || tail - first > entries) return -1;
        int position = first + k;
        if (tail - position <= 0) return -1; // not advanced: the kernel cannot have taken it
        int bid = bidAt[position & mask] & 0xFFFF;
        return positionOf[bid] == position ? bid : -1;
    }

    /**
     * Clears every entry (address, length and id 0) and leaves the tail as it is: for a registration given up without
     * the kernel's word that it is gone (a ring torn down), so that a late pick from it finds no buffer to write.
     */
    public void clearEntries() {
        for (int i = 0; i < entries; i++) {
            long e = (long) i * IoUring.BUF_SIZE;
            entriesMemory.set(ValueLayout.JAVA_LONG, e + IoUring.OFF_BUF_ADDR, 0L);
            entriesMemory.set(ValueLayout.JAVA_INT, e + IoUring.OFF_BUF_LEN, 0);
            entriesMemory.set(ValueLayout.JAVA_SHORT, e + IoUring.OFF_BUF_BID, (short) 0);
        }
    }

    /** Publishes {@code count} entries written with {@link #add} (liburing's {@code io_uring_buf_ring_advance}). */
    public void advance(int count) {
        tail += count;
        // release: the entries' plain stores above are visible to the kernel before it sees the new tail (it loads
        // the tail with acquire in io_ring_buffer_select)
        TAIL.setRelease(entriesMemory, IoUring.OFF_BUF_RING_TAIL, (short) tail);
    }
}
