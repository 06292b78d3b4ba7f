package dev.evring.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;

/**
 * The bytes an accumulating receive ({@link StreamSocket#recvAccumulated}) holds for its callback: everything
 * received and not consumed yet, read in place, without a copy (in the buffer the kernel filled, or, when bytes were
 * kept from before, in the socket's accumulation memory, where new chunks are appended and consumed bytes are
 * compacted away).
 *
 * <p>Valid only during the callback it was passed to: every method throws {@link IllegalStateException} outside it,
 * and on another thread. Indices run from 0 to {@link #length()}, bounds-checked. Nothing allocates except
 * {@link #segment()}, {@link #asByteBuffer()} (their first call in a callback makes the scope that revokes them when
 * the callback returns), {@link #toArray} and {@link #toString(int, int, Charset)}. One object per socket, reused.
 */
public final class Inbound {
    private final Thread owner;
    private MemorySegment memory;
    private long base;
    private int length;
    private boolean valid;
    /** The scope of the segments handed out during this callback, closed when it returns. */
    private Arena views;

    Inbound(Thread owner) {
        this.owner = owner;
    }

    /** Makes the view show {@code length} bytes of {@code memory} from {@code base}, valid until {@link #end()}. */
    void begin(MemorySegment memory, long base, int length) {
        this.memory = memory;
        this.base = base;
        this.length = length;
        this.valid = true;
    }

    /** The callback returned: every access refuses from now on, and the segments it was given die. */
    void end() {
        valid = false;
        memory = null;
        if (views != null) {
            views.close();
            views = null;
        }
    }

    private void check() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an Inbound belongs to its loop's thread, not \"" + Thread.currentThread().getName() + "\"");
        }
        if (!valid) throw new IllegalStateException("an Inbound is valid only during the callback it was passed to");
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= length) throw new IndexOutOfBoundsException("index " + index + " outside [0, " + length + ")");
    }

    private void checkRange(int index, int len) {
        if (index < 0 || len < 0 || index > length - len) {
            throw new IndexOutOfBoundsException("range [" + index + ", " + index + " + " + len + ") outside [0, " + length + ")");
        }
    }

    /** The number of bytes: everything received and not consumed yet. */
    public int length() {
        check();
        return length;
    }

    /** The byte at {@code index}. */
    public byte get(int index) {
        check();
        checkIndex(index);
        return memory.get(ValueLayout.JAVA_BYTE, base + index);
    }

    /** Copies {@code len} bytes from {@code index} into {@code dst[off..]}. */
    public void get(int index, byte[] dst, int off, int len) {
        check();
        checkRange(index, len);
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, base + index, dst, off, len);
    }

    /** The first index at or after {@code from} holding {@code b}, or -1. */
    public int indexOf(byte b, int from) {
        check();
        MemorySegment m = memory;
        long at = base;
        for (int i = Math.max(0, from); i < length; i++) {
            if (m.get(ValueLayout.JAVA_BYTE, at + i) == b) return i;
        }
        return -1;
    }

    /** The first index at or after {@code from} where {@code seq} starts, or -1 (e.g. the CRLF CRLF ending HTTP headers). */
    public int indexOf(byte[] seq, int from) {
        check();
        if (seq.length == 0) return Math.max(0, Math.min(from, length));
        byte first = seq[0];
        for (int i = Math.max(0, from); i <= length - seq.length; i++) {
            if (memory.get(ValueLayout.JAVA_BYTE, base + i) == first && matches(i, seq)) return i;
        }
        return -1;
    }

    /** Whether the bytes at {@code index} are {@code seq} (false where {@code seq} would run past the end). */
    public boolean startsWith(int index, byte[] seq) {
        check();
        if (index < 0 || index > length - seq.length) return false;
        return matches(index, seq);
    }

    private boolean matches(int index, byte[] seq) {
        MemorySegment m = memory;
        long at = base + index;
        for (int k = 0; k < seq.length; k++) { // (a loop: MemorySegment.ofArray would allocate a segment per call)
            if (m.get(ValueLayout.JAVA_BYTE, at + k) != seq[k]) return false;
        }
        return true;
    }

    /** A copy of {@code len} bytes from {@code index} (allocates). */
    public byte[] toArray(int index, int len) {
        check();
        checkRange(index, len);
        byte[] a = new byte[len];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, base + index, a, 0, len);
        return a;
    }

    /** {@code len} bytes from {@code index} decoded as text (allocates). */
    public String toString(int index, int len, Charset charset) {
        return new String(toArray(index, len), charset);
    }

    /**
     * The bytes as a read-only segment, for parsers that work on memory: valid until the callback returns (its scope
     * is closed then: any access afterwards throws {@link IllegalStateException}, it can never show other data).
     * The first call in a callback allocates that scope (a confined arena) and the segment.
     */
    public MemorySegment segment() {
        check();
        if (views == null) views = Arena.ofConfined();
        return memory.asSlice(base, length).reinterpret(views, null).asReadOnly();
    }

    /** The bytes as a read-only {@link ByteBuffer} with the lifetime of {@link #segment()}. */
    public ByteBuffer asByteBuffer() {
        return segment().asByteBuffer();
    }

    @Override
    public String toString() {
        return "Inbound[" + (valid ? length + " bytes" : "outside its callback") + "]";
    }
}
