package dev.evring.linux;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Cold system calls through libc's {@code syscall(2)} with errno captured, for the calls glibc has no wrapper for (the
 * hot ones, io_uring_enter and io_uring_register, go through {@link Libc#systemCall}). Numbers from
 * {@code <asm/unistd_64.h>} (x86_64); the same numbers on aarch64 for the io_uring and pidfd families, which were
 * added after the syscall tables were unified.
 */
public final class Syscall {
    private Syscall() {}

    public static final long SYS_io_uring_setup = 425;
    public static final long SYS_io_uring_enter = 426;
    public static final long SYS_io_uring_register = 427;
    public static final long SYS_pidfd_open = 434;
    public static final long SYS_pidfd_send_signal = 424;
    /** x86_64 only; aarch64 uses 277. */
    public static final long SYS_seccomp = "aarch64".equals(System.getProperty("os.arch")) ? 277 : 317;

    private static final MethodHandle SYSCALL2 = Libc.syscall(2);
    private static final MethodHandle SYSCALL4 = Libc.syscall(4);

    /** Returns the call's result, or {@code -errno}. */
    public static long syscall2(MemorySegment callState, long number, long a, long b) {
        try {
            long r = (long) SYSCALL2.invokeExact(callState, number, a, b);
            return r == -1 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** Returns the call's result, or {@code -errno}. */
    public static long syscall4(MemorySegment callState, long number, long a, long b, long c, long d) {
        try {
            long r = (long) SYSCALL4.invokeExact(callState, number, a, b, c, d);
            return r == -1 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
