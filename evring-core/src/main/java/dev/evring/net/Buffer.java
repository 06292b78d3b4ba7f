package dev.evring.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;

/**
 * A pooled, off-heap byte buffer of fixed capacity: what a receive delivers and what a send takes.
 *
 * <h2>Ownership</h2>
 * A buffer is either <em>yours</em> or not. It is yours when {@link Net#allocate()} returned it, or a receive or file
 * read handed it to your callback; you then read and write it at will, and must give it back exactly once: by
 * {@link #release()}, or by passing it to an operation that consumes it ({@code send}, {@code sendTo}, file
 * {@code write}), which returns it to its pool when done. A buffer that is not yours (released, lent to the kernel,
 * queued for sending) refuses every access with {@link IllegalStateException}: no code of yours can read memory the
 * kernel may be writing, and no released buffer is ever written by you. The buffer's memory is not handed out as a
 * {@link MemorySegment} for the same reason: copy in and out with the methods here.
 *
 * <p>Contents: bytes {@code [0, length())} are the data; {@link #put} appends, {@link #clear()} empties. Indices are
 * checked: a bad index throws {@link IndexOutOfBoundsException}, never touches other memory.
 *
 * <p>Thread contract: a buffer belongs to its loop's thread (its memory is the loop's confined arena; another thread
 * gets {@link WrongThreadException}). No method makes a system call; none allocates except {@link #toArray()},
 * {@link #toString(Charset)}, {@link #sender()} and the {@link ByteBuffer} copies (a segment view of the ByteBuffer).
 */
public final class Buffer {
    static final byte FREE = 0;
    static final byte USER = 1;
    static final byte LENT = 2;

    final BufferPool pool;
    /** Index in the pool, and the buffer id ({@code bid}) the kernel reports for a provided buffer. */
    final int id;
    final MemorySegment memory;
    /** A {@code sockaddr_storage} for the sender of a datagram received into this buffer, or its destination. */
    final MemorySegment peer;
    int peerLength;
    int length;
    byte state;
    /** Lent to the kernel's provided-buffer ring (not yet picked by a receive). */
    boolean inKernelRing;

    Buffer(BufferPool pool, int id, MemorySegment memory, MemorySegment peer) {
        this.pool = pool;
        this.id = id;
        this.memory = memory;
        this.peer = peer;
    }

    private void checkOwned() {
        if (state != USER) throw notOwned();
    }

    private IllegalStateException notOwned() {
        return new IllegalStateException("buffer " + id + " of the " + pool.name + " pool is not yours: it was "
                + (state == FREE ? "released to its pool" : "handed to an operation that has not given it back"));
    }

    /** Whether the buffer is yours to use (see the class comment); false once released or handed to an operation. */
    public boolean isOwned() {
        return state == USER;
    }

    /** The fixed capacity in bytes. */
    public int capacity() {
        return (int) memory.byteSize();
    }

    /** The number of data bytes. */
    public int length() {
        checkOwned();
        return length;
    }

    /** Room left after the data: {@code capacity() - length()}. */
    public int writable() {
        checkOwned();
        return capacity() - length;
    }

    /** Sets the data length (after writing with {@link #set}); at most the capacity. */
    public Buffer length(int length) {
        checkOwned();
        if (length < 0 || length > capacity()) {
            throw new IndexOutOfBoundsException("length " + length + " outside [0, " + capacity() + "]");
        }
        this.length = length;
        return this;
    }

    /** Empties the buffer (length 0). */
    public Buffer clear() {
        checkOwned();
        length = 0;
        return this;
    }

    /** The byte at {@code index}, which must be below {@link #length()}. */
    public byte get(int index) {
        checkOwned();
        if (index < 0 || index >= length) throw new IndexOutOfBoundsException("index " + index + " outside [0, " + length + ")");
        return memory.get(ValueLayout.JAVA_BYTE, index);
    }

    /** Copies {@code len} data bytes from {@code index} into {@code dst[off..]}. */
    public Buffer get(int index, byte[] dst, int off, int len) {
        checkOwned();
        checkRange(index, len, length);
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, index, dst, off, len);
        return this;
    }

    /** Copies as much of the data as fits into {@code dst} (from its position) and returns the count. */
    public int get(ByteBuffer dst) {
        checkOwned();
        int n = Math.min(length, dst.remaining());
        MemorySegment.ofBuffer(dst).copyFrom(memory.asSlice(0, n));
        dst.position(dst.position() + n);
        return n;
    }

    /** Copies {@code len} data bytes from {@code index} into a segment of yours. */
    public Buffer get(int index, MemorySegment dst, long dstOffset, int len) {
        checkOwned();
        checkRange(index, len, length);
        MemorySegment.copy(memory, index, dst, dstOffset, len);
        return this;
    }

    /** Writes {@code b} at {@code index} (below the capacity); the length does not change. */
    public Buffer set(int index, byte b) {
        checkOwned();
        if (index < 0 || index >= capacity()) throw new IndexOutOfBoundsException("index " + index + " outside [0, " + capacity() + ")");
        memory.set(ValueLayout.JAVA_BYTE, index, b);
        return this;
    }

    /** Appends one byte. */
    public Buffer put(byte b) {
        checkOwned();
        if (length >= capacity()) throw full(1);
        memory.set(ValueLayout.JAVA_BYTE, length++, b);
        return this;
    }

    /** Appends all of {@code src}. */
    public Buffer put(byte[] src) {
        return put(src, 0, src.length);
    }

    /** Appends {@code src[off, off + len)}. */
    public Buffer put(byte[] src, int off, int len) {
        checkOwned();
        if (len > capacity() - length) throw full(len);
        MemorySegment.copy(src, off, memory, ValueLayout.JAVA_BYTE, length, len);
        length += len;
        return this;
    }

    /** Appends the remaining bytes of {@code src} (all must fit), advancing its position. */
    public Buffer put(ByteBuffer src) {
        checkOwned();
        int n = src.remaining();
        if (n > capacity() - length) throw full(n);
        memory.asSlice(length, n).copyFrom(MemorySegment.ofBuffer(src));
        src.position(src.position() + n);
        length += n;
        return this;
    }

    /** Appends {@code len} bytes of a segment of yours. */
    public Buffer put(MemorySegment src, long srcOffset, int len) {
        checkOwned();
        if (len > capacity() - length) throw full(len);
        MemorySegment.copy(src, srcOffset, memory, length, len);
        length += len;
        return this;
    }

    /** Appends the data of {@code other} (which stays yours). */
    public Buffer put(Buffer other) {
        checkOwned();
        other.checkOwned();
        if (other.length > capacity() - length) throw full(other.length);
        MemorySegment.copy(other.memory, 0, memory, length, other.length);
        length += other.length;
        return this;
    }

    /** The first index at or after {@code from} holding {@code b}, or -1. */
    public int indexOf(byte b, int from) {
        checkOwned();
        for (int i = Math.max(0, from); i < length; i++) {
            if (memory.get(ValueLayout.JAVA_BYTE, i) == b) return i;
        }
        return -1;
    }

    /** Whether the data equals {@code bytes}. */
    public boolean contentEquals(byte[] bytes) {
        checkOwned();
        if (bytes.length != length) return false;
        return MemorySegment.mismatch(memory, 0, length, MemorySegment.ofArray(bytes), 0, bytes.length) == -1;
    }

    /** A copy of the data (allocates). */
    public byte[] toArray() {
        checkOwned();
        return memory.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
    }

    /** The data decoded as text (allocates). */
    public String toString(Charset charset) {
        return new String(toArray(), charset);
    }

    /**
     * For a buffer filled by {@link UdpSocket#recvFrom}: the address the datagram came from (allocates). Null when the
     * buffer carries no address.
     */
    public SocketAddress sender() {
        checkOwned();
        return peerLength == 0 ? null : SockAddr.read(peer, peerLength);
    }

    /** Gives the buffer back to its pool; it is no longer yours. Releasing a buffer that is not yours throws. */
    public void release() {
        checkOwned();
        pool.recycle(this);
    }

    private static void checkRange(int index, int len, int limit) {
        if (index < 0 || len < 0 || index > limit - len) {
            throw new IndexOutOfBoundsException("range [" + index + ", " + index + " + " + len + ") outside [0, " + limit + ")");
        }
    }

    private IndexOutOfBoundsException full(int wanted) {
        return new IndexOutOfBoundsException("buffer full: " + wanted + " more bytes do not fit (length " + length
                + ", capacity " + capacity() + ")");
    }

    @Override
    public String toString() {
        return "Buffer[" + pool.name + " #" + id + (state == USER ? ", length " + length : state == FREE ? ", released" : ", lent")
                + ", capacity " + capacity() + "]";
    }
}
