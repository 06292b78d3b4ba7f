package dev.evring.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code <linux/seccomp.h>} and the audit architectures of {@code <linux/audit.h>}: seccomp(2) filters. evring uses
 * them to prove, in a child JVM, that a loop falls back to epoll where a container's profile blocks io_uring.
 */
public final class Seccomp {
    private Seccomp() {}

    public static final String HEADER = "linux/seccomp.h";

    public static final int SECCOMP_SET_MODE_STRICT = 0;
    public static final int SECCOMP_SET_MODE_FILTER = 1;
    public static final int SECCOMP_FILTER_FLAG_TSYNC = 1;

    public static final int SECCOMP_RET_KILL_PROCESS = 0x80000000;
    public static final int SECCOMP_RET_ERRNO = 0x00050000;
    public static final int SECCOMP_RET_ALLOW = 0x7fff0000;
    public static final int SECCOMP_RET_DATA = 0x0000ffff;

    public static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    public static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;

    /** The audit architecture of this JVM's process. */
    public static int auditArch() {
        return "aarch64".equals(System.getProperty("os.arch")) ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;
    }

    /** {@code struct seccomp_data}: what a filter sees of a system call. */
    public static final StructLayout SECCOMP_DATA = MemoryLayout.structLayout(
            JAVA_INT.withName("nr"),
            JAVA_INT.withName("arch"),
            JAVA_LONG.withName("instruction_pointer"),
            MemoryLayout.sequenceLayout(6, JAVA_LONG).withName("args")).withName("struct seccomp_data");

    public static final long OFF_DATA_NR = SECCOMP_DATA.byteOffset(groupElement("nr"));
    public static final long OFF_DATA_ARCH = SECCOMP_DATA.byteOffset(groupElement("arch"));

    /** {@code seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)}: 0, or {@code -errno}. Needs PR_SET_NO_NEW_PRIVS first. */
    public static int setModeFilter(MemorySegment callState, int flags, MemorySegment sockFprog) {
        return (int) Syscall.syscall4(callState, Syscall.SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, sockFprog.address(), 0);
    }
}
