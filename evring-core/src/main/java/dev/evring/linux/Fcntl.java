package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;

/** {@code <fcntl.h>} and {@code <asm-generic/fcntl.h>}: open flags and fcntl(2). */
public final class Fcntl {
    private Fcntl() {}

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_CLOEXEC = 02000000;

    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;

    public static final int AT_FDCWD = -100;

    /** fcntl(int fd, int cmd, ...): the third argument is variadic; we only pass ints. */
    private static final MethodHandle FCNTL = Libc.LINKER.downcallHandle(Libc.symbol("fcntl"),
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT), Linker.Option.firstVariadicArg(2),
            Linker.Option.captureCallState("errno"));

    private static final MethodHandle OPEN = Libc.LINKER.downcallHandle(Libc.symbol("open"),
            FunctionDescriptor.of(C_INT, ValueLayouts.C_POINTER, C_INT, C_INT), Linker.Option.firstVariadicArg(2),
            Linker.Option.captureCallState("errno"));

    public static int fcntl(MemorySegment callState, int fd, int cmd, int arg) {
        try {
            int r = (int) FCNTL.invokeExact(callState, fd, cmd, arg);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** open(2); {@code path} is a NUL-terminated C string. */
    public static int open(MemorySegment callState, MemorySegment path, int flags, int mode) {
        try {
            int r = (int) OPEN.invokeExact(callState, path, flags, mode);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
