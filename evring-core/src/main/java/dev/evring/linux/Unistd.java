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

    private static final MethodHandle READ = Libc.systemCall("read", 0, FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    private static final MethodHandle WRITE = Libc.systemCall("write", 1, FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    private static final MethodHandle CLOSE = Libc.systemCall("close", 3, FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle PREAD = Libc.systemCall("pread", 17, FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_LONG));
    private static final MethodHandle PWRITE = Libc.systemCall("pwrite", 18, FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_LONG));
    private static final MethodHandle WRITE_NO_ERRNO = Libc.plainCall("write", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    private static final MethodHandle PIPE2 = Libc.errnoCall("pipe2", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    private static final MethodHandle DUP = Libc.errnoCall("dup", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle GETPID = Libc.plainCall("getpid", FunctionDescriptor.of(C_INT));

    /** read(2): bytes read, 0 at end of file, or -errno. */
    public static long read(MemorySegment callState, int fd, MemorySegment buf, long count) {
        if (Faults.ENABLED && (count = Faults.apply(Faults.Call.READ, fd, count)) < 0) return count;
        try {
            return (long) READ.invokeExact(callState, fd, buf, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** write(2): bytes written, or -errno. */
    public static long write(MemorySegment callState, int fd, MemorySegment buf, long count) {
        if (Faults.ENABLED && (count = Faults.apply(Faults.Call.WRITE, fd, count)) < 0) return count;
        try {
            return (long) WRITE.invokeExact(callState, fd, buf, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** pread(2): reads at {@code offset} without moving the file position. */
    public static long pread(MemorySegment callState, int fd, MemorySegment buf, long count, long offset) {
        if (Faults.ENABLED && (count = Faults.apply(Faults.Call.PREAD, fd, count)) < 0) return count;
        try {
            return (long) PREAD.invokeExact(callState, fd, buf, count, offset);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** pwrite(2): writes at {@code offset} without moving the file position. */
    public static long pwrite(MemorySegment callState, int fd, MemorySegment buf, long count, long offset) {
        if (Faults.ENABLED && (count = Faults.apply(Faults.Call.PWRITE, fd, count)) < 0) return count;
        try {
            return (long) PWRITE.invokeExact(callState, fd, buf, count, offset);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
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
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.CLOSE, fd)) < 0) return f;
        try {
            return (int) (long) CLOSE.invokeExact(callState, fd);
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
