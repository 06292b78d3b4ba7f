package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;
import static dev.evring.linux.ValueLayouts.C_POINTER;

/**
 * {@code <unistd.h>}: read, write, pread, pwrite, close, pipe2, dup. Each wrapper takes the caller's call-state segment (see
 * {@link Libc}) and returns the result, or {@code -errno}.
 */
public final class Unistd {
    private Unistd() {}

    private static final MethodHandle READ = Libc.errnoCall("read", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    private static final MethodHandle WRITE = Libc.errnoCall("write", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    private static final MethodHandle PREAD = Libc.errnoCall("pread", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_LONG));
    private static final MethodHandle PWRITE = Libc.errnoCall("pwrite", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_LONG));
    private static final MethodHandle WRITE_NO_ERRNO = Libc.plainCall("write", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    // fast paths without errno capture, see Libc
    private static final MethodHandle READ_FAST = Libc.plainCall("read", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    private static final MethodHandle PREAD_FAST = Libc.plainCall("pread", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_LONG));
    private static final MethodHandle PWRITE_FAST = Libc.plainCall("pwrite", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_LONG));
    private static final MethodHandle CLOSE = Libc.errnoCall("close", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle PIPE2 = Libc.errnoCall("pipe2", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    private static final MethodHandle DUP = Libc.errnoCall("dup", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle GETPID = Libc.plainCall("getpid", FunctionDescriptor.of(C_INT));

    public static long read(MemorySegment callState, int fd, MemorySegment buf, long count) {
        try {
            long r = (long) READ_FAST.invokeExact(fd, buf, count);
            return r >= 0 ? r : readSlowPath(callState, fd, buf, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** The fast path failed: nothing was transferred, so ask again with errno captured. */
    private static long readSlowPath(MemorySegment callState, int fd, MemorySegment buf, long count) throws Throwable {
        long r = (long) READ.invokeExact(callState, fd, buf, count);
        return r < 0 ? -Libc.errno(callState) : r;
    }

    public static long write(MemorySegment callState, int fd, MemorySegment buf, long count) {
        try {
            long r = (long) WRITE_NO_ERRNO.invokeExact(fd, buf, count);
            return r >= 0 ? r : writeSlowPath(callState, fd, buf, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** The fast path failed: nothing was transferred, so ask again with errno captured. */
    private static long writeSlowPath(MemorySegment callState, int fd, MemorySegment buf, long count) throws Throwable {
        long r = (long) WRITE.invokeExact(callState, fd, buf, count);
        return r < 0 ? -Libc.errno(callState) : r;
    }

    /** pread(2): reads at {@code offset} without moving the file position. */
    public static long pread(MemorySegment callState, int fd, MemorySegment buf, long count, long offset) {
        try {
            long r = (long) PREAD_FAST.invokeExact(fd, buf, count, offset);
            return r >= 0 ? r : preadSlowPath(callState, fd, buf, count, offset);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** The fast path failed: nothing was transferred, so ask again with errno captured. */
    private static long preadSlowPath(MemorySegment callState, int fd, MemorySegment buf, long count, long offset) throws Throwable {
        long r = (long) PREAD.invokeExact(callState, fd, buf, count, offset);
        return r < 0 ? -Libc.errno(callState) : r;
    }

    /** pwrite(2): writes at {@code offset} without moving the file position. */
    public static long pwrite(MemorySegment callState, int fd, MemorySegment buf, long count, long offset) {
        try {
            long r = (long) PWRITE_FAST.invokeExact(fd, buf, count, offset);
            return r >= 0 ? r : pwriteSlowPath(callState, fd, buf, count, offset);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** The fast path failed: nothing was transferred, so ask again with errno captured. */
    private static long pwriteSlowPath(MemorySegment callState, int fd, MemorySegment buf, long count, long offset) throws Throwable {
        long r = (long) PWRITE.invokeExact(callState, fd, buf, count, offset);
        return r < 0 ? -Libc.errno(callState) : r;
    }

    /**
     * write(2) without errno: for wakeups sent from foreign threads, which share no call-state segment with the loop
     * and have nothing to do on failure (a full eventfd counter already means "wake up"). Returns -1 on failure.
     */
    public static long writeIgnoringErrno(int fd, MemorySegment buf, long count) {
        try {
            return (long) WRITE_NO_ERRNO.invokeExact(fd, buf, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int close(MemorySegment callState, int fd) {
        try {
            int r = (int) CLOSE.invokeExact(callState, fd);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** pipe2(2): {@code fds} receives two ints, read end first. Flags from {@link Fcntl} (O_CLOEXEC, O_NONBLOCK). */
    public static int pipe2(MemorySegment callState, MemorySegment fds, int flags) {
        try {
            int r = (int) PIPE2.invokeExact(callState, fds, flags);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int dup(MemorySegment callState, int fd) {
        try {
            int r = (int) DUP.invokeExact(callState, fd);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
