package dev.evring.net;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A file for positioned reads and writes as completion operations (pread/pwrite semantics: the file position is not
 * used). Made by {@link Net#openFile}. On io_uring the kernel does them (IORING_OP_READ / IORING_OP_WRITE), any
 * number at once; on epoll and poll they run as plain pread/pwrite when started (regular files never block for
 * readiness) and report from the loop like every other completion.
 */
public final class AsyncFile extends IoHandle {
    private final Path path;

    AsyncFile(Net net, int fd, Path path) {
        super(net, fd);
        this.path = path;
    }

    /** The path the file was opened with. */
    public Path path() {
        return path;
    }

    @Override
    boolean pollable() {
        return false;
    }

    /**
     * Reads at {@code position} into the free space of {@code dst} (appending to its data), which you lend to the
     * operation: the callback gets it back with the byte count (0 at end of file) or {@code -errno}.
     *
     * @return the operation id
     */
    public long read(long position, Buffer dst, ReadCallback callback) {
        return read(position, dst, null, callback);
    }

    /** As {@link #read(long, Buffer, ReadCallback)}, failing with {@link Status#ETIMEDOUT} after {@code timeout}. */
    public long read(long position, Buffer dst, Duration timeout, ReadCallback callback) {
        checkOpen();
        Net.requireCallback(callback);
        if (position < 0) throw new IllegalArgumentException("position " + position + " is negative");
        long t = StreamSocket.timeoutNanos(timeout);
        return net.startSingle(this, Op.READ, net.lend(dst), position, callback, t, 0);
    }

    /**
     * Writes {@code src}'s data at {@code position} and takes the buffer (back to its pool when done); a short write
     * continues by itself. The callback (may be null) gets the byte count or {@code -errno}.
     *
     * @return the operation id
     */
    public long write(long position, Buffer src, CompletionCallback<AsyncFile> callback) {
        return write(position, src, null, callback);
    }

    /** As {@link #write(long, Buffer, CompletionCallback)}, failing with {@link Status#ETIMEDOUT} after {@code timeout}. */
    public long write(long position, Buffer src, Duration timeout, CompletionCallback<AsyncFile> callback) {
        checkOpen();
        if (position < 0) throw new IllegalArgumentException("position " + position + " is negative");
        long t = StreamSocket.timeoutNanos(timeout);
        BufferSlot slot = net.lend(src);
        return net.startSingle(this, Op.WRITE, slot, position, callback, t, slot.length);
    }

    @Override
    String describe() {
        return "AsyncFile[" + path + ", fd " + fd + (closed ? ", closed" : "") + "]";
    }
}
