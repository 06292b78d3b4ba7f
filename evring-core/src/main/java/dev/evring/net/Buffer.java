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
 * kernel may be writing, and no released buffer is ever written by you. Its memory is handed out only as read-only
 * views that die with the handle ({@link #segment()}, {@link #asByteBuffer()}): read in place, or copy in and out with
 * the methods here.
 *
 * <p>Contents: bytes {@code [0, length())} are the data; {@link #put} appends, {@link #clear()} empties. Indices are
 * checked: a bad index throws {@link IndexOutOfBoundsException}, never touches other memory.
 *
 * <p>Capacity: a pool's buffer size, except for a received buffer with incremental buffer consumption
 * ({@code net.recv_incremental} on io_uring, kernel 6.12+). There a receive takes only the bytes it got from a pool
 * buffer and the kernel fills the rest of that buffer for later receives (of any connection), so what you get is a
 * slice of the pool buffer: its capacity is exactly the bytes received while the kernel still fills the rest, and
 * reaches to the end of the pool buffer when the kernel let go of it. A slice can never write bytes the kernel may
 * still fill or another slice holds; everything else (sending it back, keeping it past the callback, releasing it) is
 * as for any buffer. To reply with more bytes than you received, {@link Net#allocate()} a buffer.
 *
 * <p>A {@code Buffer} is a handle, not the memory: each time a buffer is handed to you (by {@link Net#allocate()}, a
 * receive or a file read) you get a new handle, and the handle you give back refuses every later call for good, even
 * once the memory behind it serves another owner with a handle of its own. A reference kept past {@link #release()}
 * can never read or write someone else's data. The price is one small object (16 bytes) per buffer handed to you.
 *
 * <p>Thread contract: a buffer belongs to its loop's thread. Every method, {@link #release()} included, throws
 * {@link IllegalStateException} on another thread before it touches anything, so a call from the wrong thread never
 * loses a buffer. ({@link #toString()} alone answers anywhere.) No method makes a system call; none allocates except
 * {@link #toArray()}, {@link #toString(Charset)}, {@link #sender()}, the views and the {@link ByteBuffer} copies.
 */
public final class Buffer {
    /** The pooled memory this handle stands for, as long as it is the slot's current handle. */
    final BufferSlot slot;

    Buffer(BufferSlot slot) {
        this.slot = slot;
    }

    /** The slot, after checking the thread and that this handle is the caller's to use. */
    BufferSlot own() {
        BufferSlot s = slot;
        s.pool.checkThread();
        if (s.handle != this) throw notOwned(s);
        return s;
    }

    private IllegalStateException notOwned(BufferSlot s) {
        return new IllegalStateException(s + " is not yours through this handle: it was released, or handed to an "
                + "operation (send, write), and is given out again only through new handles");
    }

    /** Whether the buffer is yours to use (see the class comment); false once released or handed to an operation. */
    public boolean isOwned() {
        BufferSlot s = slot;
        s.pool.checkThread();
        return s.handle == this;
    }

    /** The fixed capacity in bytes (for a received slice, see "Capacity" in the class comment). */
    public int capacity() {
        BufferSlot s = slot;
        s.pool.checkThread();
        return s.capacity();
    }

    /** The number of data bytes. */
    public int length() {
        return own().length;
    }

    /** Room left after the data: {@code capacity() - length()}. */
    public int writable() {
        BufferSlot s = own();
        return s.capacity() - s.length;
    }

    /** Sets the data length (after writing with {@link #set}); at most the capacity. */
    public Buffer length(int length) {
        BufferSlot s = own();
        if (length < 0 || length > s.capacity()) {
            throw new IndexOutOfBoundsException("length " + length + " outside [0, " + s.capacity() + "]");
        }
        s.length = length;
        return this;
    }

    /** Empties the buffer (length 0). */
    public Buffer clear() {
        own().length = 0;
        return this;
    }

    /** The byte at {@code index}, which must be below {@link #length()}. */
    public byte get(int index) {
        BufferSlot s = own();
        if (index < 0 || index >= s.length) throw new IndexOutOfBoundsException("index " + index + " outside [0, " + s.length + ")");
        return s.memory.get(ValueLayout.JAVA_BYTE, index);
    }

    /** Copies {@code len} data bytes from {@code index} into {@code dst[off..]}. */
    public Buffer get(int index, byte[] dst, int off, int len) {
        BufferSlot s = own();
        checkRange(index, len, s.length);
        MemorySegment.copy(s.memory, ValueLayout.JAVA_BYTE, index, dst, off, len);
        return this;
    }

    /** Copies as much of the data as fits into {@code dst} (from its position) and returns the count. */
    public int get(ByteBuffer dst) {
        BufferSlot s = own();
        int n = Math.min(s.length, dst.remaining());
        MemorySegment.ofBuffer(dst).copyFrom(s.memory.asSlice(0, n));
        dst.position(dst.position() + n);
        return n;
    }

    /** Copies {@code len} data bytes from {@code index} into a segment of yours. */
    public Buffer get(int index, MemorySegment dst, long dstOffset, int len) {
        BufferSlot s = own();
        checkRange(index, len, s.length);
        MemorySegment.copy(s.memory, index, dst, dstOffset, len);
        return this;
    }

    /** Writes {@code b} at {@code index} (below the capacity); the length does not change. */
    public Buffer set(int index, byte b) {
        BufferSlot s = own();
        if (index < 0 || index >= s.capacity()) throw new IndexOutOfBoundsException("index " + index + " outside [0, " + s.capacity() + ")");
        s.memory.set(ValueLayout.JAVA_BYTE, index, b);
        return this;
    }

    /** Appends one byte. */
    public Buffer put(byte b) {
        BufferSlot s = own();
        if (s.length >= s.capacity()) throw full(s, 1);
        s.memory.set(ValueLayout.JAVA_BYTE, s.length++, b);
        return this;
    }

    /** Appends all of {@code src}. */
    public Buffer put(byte[] src) {
        own();
        return put(src, 0, src.length);
    }

    /** Appends {@code src[off, off + len)}. */
    public Buffer put(byte[] src, int off, int len) {
        BufferSlot s = own();
        if (len > s.capacity() - s.length) throw full(s, len);
        MemorySegment.copy(src, off, s.memory, ValueLayout.JAVA_BYTE, s.length, len);
        s.length += len;
        return this;
    }

    /** Appends the remaining bytes of {@code src} (all must fit), advancing its position. */
    public Buffer put(ByteBuffer src) {
        BufferSlot s = own();
        int n = src.remaining();
        if (n > s.capacity() - s.length) throw full(s, n);
        s.memory.asSlice(s.length, n).copyFrom(MemorySegment.ofBuffer(src));
        src.position(src.position() + n);
        s.length += n;
        return this;
    }

    /** Appends {@code len} bytes of a segment of yours. */
    public Buffer put(MemorySegment src, long srcOffset, int len) {
        BufferSlot s = own();
        if (len > s.capacity() - s.length) throw full(s, len);
        MemorySegment.copy(src, srcOffset, s.memory, s.length, len);
        s.length += len;
        return this;
    }

    /** Appends the data of {@code other} (which stays yours). */
    public Buffer put(Buffer other) {
        BufferSlot s = own();
        BufferSlot o = other.own();
        if (o.length > s.capacity() - s.length) throw full(s, o.length);
        MemorySegment.copy(o.memory, 0, s.memory, s.length, o.length);
        s.length += o.length;
        return this;
    }

    /** The first index at or after {@code from} holding {@code b}, or -1. */
    public int indexOf(byte b, int from) {
        BufferSlot s = own();
        for (int i = Math.max(0, from); i < s.length; i++) {
            if (s.memory.get(ValueLayout.JAVA_BYTE, i) == b) return i;
        }
        return -1;
    }

    /** Whether the data equals {@code bytes}. */
    public boolean contentEquals(byte[] bytes) {
        BufferSlot s = own();
        if (bytes.length != s.length) return false;
        return MemorySegment.mismatch(s.memory, 0, s.length, MemorySegment.ofArray(bytes), 0, bytes.length) == -1;
    }

    /**
     * The data, {@code [0, length())} as it is now, as a read-only segment, for parsing in place: valid until this
     * handle is given back (released, or handed to a send or write). Then its scope is closed, and every access
     * through it, or through any {@link ByteBuffer} made from it, throws {@link IllegalStateException}: a view kept
     * too long can never read the memory's next owner's data. It is confined to the loop's thread. The first view of
     * a handle allocates its scope (a confined arena), each view its segment; the rest of the buffer API allocates
     * nothing.
     */
    public MemorySegment segment() {
        BufferSlot s = own();
        java.lang.foreign.Arena views = s.views;
        if (views == null) s.views = views = java.lang.foreign.Arena.ofConfined();
        return s.memory.asSlice(0, s.length).reinterpret(views, null).asReadOnly();
    }

    /** The data as a read-only {@link ByteBuffer}, with the lifetime of {@link #segment()}. */
    public ByteBuffer asByteBuffer() {
        return segment().asByteBuffer();
    }

    /** A copy of the data (allocates). */
    public byte[] toArray() {
        BufferSlot s = own();
        return s.memory.asSlice(0, s.length).toArray(ValueLayout.JAVA_BYTE);
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
        BufferSlot s = own();
        return s.peerLength == 0 ? null : SockAddr.read(s.peer, s.peerLength);
    }

    /**
     * Gives the buffer back to its pool; this handle is no longer yours, for good. Releasing a buffer that is not
     * yours, or from another thread, throws and changes nothing.
     */
    public void release() {
        BufferSlot s = own();
        s.pool.release(s);
    }

    private static void checkRange(int index, int len, int limit) {
        if (index < 0 || len < 0 || index > limit - len) {
            throw new IndexOutOfBoundsException("range [" + index + ", " + index + " + " + len + ") outside [0, " + limit + ")");
        }
    }

    private static IndexOutOfBoundsException full(BufferSlot s, int wanted) {
        return new IndexOutOfBoundsException("buffer full: " + wanted + " more bytes do not fit (length " + s.length
                + ", capacity " + s.capacity() + ")");
    }

    /** A description; answers on any thread (what it says of another thread's buffer may be out of date). */
    @Override
    public String toString() {
        BufferSlot s = slot;
        return "Buffer[" + s.pool.name + " #" + s.id + (s.handle == this ? ", length " + s.length : ", not yours")
                + ", capacity " + s.capacity() + "]";
    }
}
