package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code <sys/wait.h>}, {@code <linux/wait.h>} and the SIGCHLD part of {@code siginfo_t}: waitid(2), its id types
 * and options, and the {@code si_code} values of a child's state change.
 */
public final class SysWait {
    private SysWait() {}

    public static final String HEADER = "signal.h sys/wait.h";

    // idtype_t
    public static final int P_ALL = 0;
    public static final int P_PID = 1;
    public static final int P_PGID = 2;
    public static final int P_PIDFD = 3;

    // options
    public static final int WNOHANG = 0x00000001;
    public static final int WSTOPPED = 0x00000002;
    public static final int WEXITED = 0x00000004;
    public static final int WCONTINUED = 0x00000008;
    /** Leave the child waitable: read its status without reaping it. */
    public static final int WNOWAIT = 0x01000000;

    // si_code for SIGCHLD
    public static final int CLD_EXITED = 1;
    public static final int CLD_KILLED = 2;
    public static final int CLD_DUMPED = 3;
    public static final int CLD_TRAPPED = 4;
    public static final int CLD_STOPPED = 5;
    public static final int CLD_CONTINUED = 6;

    /**
     * {@code siginfo_t} as waitid fills it for a child: the common head, then the {@code _sigchld} member of the
     * {@code _sifields} union (an anonymous group here, so the ABI check resolves glibc's {@code si_pid} macros).
     * The union is 8-aligned, hence the padding after {@code si_code}; the whole is 128 bytes.
     */
    public static final StructLayout SIGINFO = MemoryLayout.structLayout(
            JAVA_INT.withName("si_signo"),
            JAVA_INT.withName("si_errno"),
            JAVA_INT.withName("si_code"),
            MemoryLayout.paddingLayout(4),
            MemoryLayout.structLayout(
                    JAVA_INT.withName("si_pid"),
                    JAVA_INT.withName("si_uid"),
                    JAVA_INT.withName("si_status"),
                    MemoryLayout.paddingLayout(4),
                    JAVA_LONG.withName("si_utime"),
                    JAVA_LONG.withName("si_stime")),
            MemoryLayout.paddingLayout(128 - 48)).withName("siginfo_t");

    public static final long SIGINFO_SIZE = SIGINFO.byteSize();
    public static final long OFF_SI_SIGNO = SIGINFO.byteOffset(groupElement("si_signo"));
    public static final long OFF_SI_CODE = SIGINFO.byteOffset(groupElement("si_code"));
    public static final long OFF_SI_PID = SIGINFO.byteOffset(groupElement(4), groupElement("si_pid"));
    public static final long OFF_SI_STATUS = SIGINFO.byteOffset(groupElement(4), groupElement("si_status"));

    private static final MethodHandle WAITID =
            Libc.errnoCall("waitid", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER, C_INT));

    /** waitid(2). Returns 0 or {@code -errno}; with WNOHANG and no change yet, 0 with {@code si_pid} left 0. */
    public static int waitid(MemorySegment callState, int idtype, int id, MemorySegment siginfo, int options) {
        try {
            int r = (int) WAITID.invokeExact(callState, idtype, id, siginfo, options);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * The wait status ({@code waitpid}'s {@code int *wstatus}, what the W* macros decode) equivalent to a SIGCHLD
     * {@code si_code} and {@code si_status}; -1 for a code that is not an exit.
     */
    public static int waitStatus(int siCode, int siStatus) {
        return switch (siCode) {
            case CLD_EXITED -> (siStatus & 0xff) << 8;
            case CLD_KILLED -> siStatus & 0x7f;
            case CLD_DUMPED -> (siStatus & 0x7f) | 0x80;
            default -> -1;
        };
    }

    public static boolean WIFEXITED(int status) {
        return (status & 0x7f) == 0;
    }

    public static int WEXITSTATUS(int status) {
        return (status >> 8) & 0xff;
    }

    public static boolean WIFSIGNALED(int status) {
        return ((byte) ((status & 0x7f) + 1) >> 1) > 0;
    }

    public static int WTERMSIG(int status) {
        return status & 0x7f;
    }

    public static boolean WCOREDUMP(int status) {
        return (status & 0x80) != 0;
    }
}
