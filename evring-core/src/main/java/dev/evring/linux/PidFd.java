package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code <linux/pidfd.h>}: file descriptors that refer to a process. pidfd_open(2) (5.3) has no glibc wrapper before
 * 2.36, so it goes through {@code syscall(2)}; the fd is close-on-exec and reports readable once the process has
 * exited. {@code PIDFD_GET_INFO} (6.13; its exit status since 6.15) keeps the exit status of a process that someone
 * else has already reaped, for as long as we hold the pidfd.
 */
public final class PidFd {
    private PidFd() {}

    public static final int PIDFD_NONBLOCK = Fcntl.O_NONBLOCK;

    public static final long PIDFD_INFO_PID = 1L << 0;
    public static final long PIDFD_INFO_CREDS = 1L << 1;
    public static final long PIDFD_INFO_CGROUPID = 1L << 2;
    /** The exit status is known: the process was reaped (6.15). */
    public static final long PIDFD_INFO_EXIT = 1L << 3;
    public static final int PIDFD_INFO_SIZE_VER0 = 64;

    /**
     * {@code struct pidfd_info}, version 0 (64 bytes), with {@code exit_code} where 6.15 put it (in the former
     * {@code spare0}). Not public: the C headers installed on the build machines (Linux 6.1 uapi) predate it, so the
     * gcc ABI check cannot see it; {@code ChildWatcherTest} checks it against the running kernel instead (the pid it
     * reports and the exit status of a reaped child).
     */
    static final StructLayout PIDFD_INFO = MemoryLayout.structLayout(
            JAVA_LONG.withName("mask"),
            JAVA_LONG.withName("cgroupid"),
            JAVA_INT.withName("pid"),
            JAVA_INT.withName("tgid"),
            JAVA_INT.withName("ppid"),
            JAVA_INT.withName("ruid"),
            JAVA_INT.withName("rgid"),
            JAVA_INT.withName("euid"),
            JAVA_INT.withName("egid"),
            JAVA_INT.withName("suid"),
            JAVA_INT.withName("sgid"),
            JAVA_INT.withName("fsuid"),
            JAVA_INT.withName("fsgid"),
            JAVA_INT.withName("exit_code")).withName("struct pidfd_info");

    public static final long PIDFD_INFO_BYTES = PIDFD_INFO.byteSize();
    public static final long OFF_MASK = PIDFD_INFO.byteOffset(groupElement("mask"));
    public static final long OFF_PID = PIDFD_INFO.byteOffset(groupElement("pid"));
    public static final long OFF_EXIT_CODE = PIDFD_INFO.byteOffset(groupElement("exit_code"));

    /** {@code _IOWR(PIDFS_IOCTL_MAGIC = 0xFF, 11, struct pidfd_info)} for the 64-byte version 0 of the struct. */
    public static final long PIDFD_GET_INFO = ioctlWriteRead(0xFF, 11, PIDFD_INFO_SIZE_VER0);

    static long ioctlWriteRead(int type, int nr, int size) {
        final int IOC_READ_WRITE = 3; // _IOC_READ | _IOC_WRITE
        return ((long) IOC_READ_WRITE << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    /** pidfd_open(pid, flags): a pidfd, or {@code -errno} (ESRCH: no such process, or reaped already). */
    public static int pidfdOpen(MemorySegment callState, int pid, int flags) {
        return (int) Syscall.syscall2(callState, Syscall.SYS_pidfd_open, pid, flags);
    }

    /** ioctl(int fd, unsigned long request, ...): the third argument is variadic; here always a pointer. */
    private static final MethodHandle IOCTL = Libc.LINKER.downcallHandle(Libc.symbol("ioctl"),
            FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_POINTER), Linker.Option.firstVariadicArg(2),
            Linker.Option.captureCallState("errno"));

    /**
     * {@code ioctl(pidfd, PIDFD_GET_INFO, info)}: {@code info} (at least {@link #PIDFD_INFO_BYTES}) must hold the
     * wanted mask at {@link #OFF_MASK}; the kernel writes back what it knows. Returns 0 or {@code -errno} (ENOTTY or
     * EINVAL before 6.13).
     */
    public static int getInfo(MemorySegment callState, int pidfd, MemorySegment info) {
        if (info.byteSize() < PIDFD_INFO_BYTES) throw new IllegalArgumentException("pidfd_info buffer of " + info.byteSize() + " bytes");
        try {
            int r = (int) IOCTL.invokeExact(callState, pidfd, PIDFD_GET_INFO, info);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
