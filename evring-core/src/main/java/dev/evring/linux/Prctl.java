package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;

/** {@code <sys/prctl.h>}: prctl(2), for PR_SET_NO_NEW_PRIVS before installing a seccomp filter. */
public final class Prctl {
    private Prctl() {}

    public static final String HEADER = "sys/prctl.h";

    public static final int PR_SET_NO_NEW_PRIVS = 38;
    public static final int PR_GET_NO_NEW_PRIVS = 39;
    public static final int PR_GET_SECCOMP = 21;

    /** {@code int prctl(int option, ...)}: the four optional arguments passed as unsigned longs, as the man page asks. */
    private static final MethodHandle PRCTL = Libc.LINKER.downcallHandle(Libc.symbol("prctl"),
            FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_LONG, C_LONG, C_LONG), Linker.Option.firstVariadicArg(1),
            Linker.Option.captureCallState("errno"));

    /** Returns the result, or {@code -errno}. */
    public static int prctl(MemorySegment callState, int option, long arg2, long arg3, long arg4, long arg5) {
        try {
            int r = (int) PRCTL.invokeExact(callState, option, arg2, arg3, arg4, arg5);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
