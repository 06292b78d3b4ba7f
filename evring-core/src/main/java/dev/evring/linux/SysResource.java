package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/** {@code <sys/resource.h>}: resource limits (the fd limit behind EMFILE). */
public final class SysResource {
    private SysResource() {}

    public static final String HEADER = "sys/resource.h";

    /** The most fds a process may have open (one more than the highest fd number). */
    public static final int RLIMIT_NOFILE = 7;

    /** {@code struct rlimit}: soft and hard limit ({@code rlim_t} is 64-bit). */
    public static final StructLayout RLIMIT = MemoryLayout.structLayout(
            C_LONG.withName("rlim_cur"),
            C_LONG.withName("rlim_max")).withName("struct rlimit");

    public static final long OFF_RLIM_CUR = RLIMIT.byteOffset(groupElement("rlim_cur"));
    public static final long OFF_RLIM_MAX = RLIMIT.byteOffset(groupElement("rlim_max"));

    private static final MethodHandle GETRLIMIT = Libc.errnoCall("getrlimit", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
    private static final MethodHandle SETRLIMIT = Libc.errnoCall("setrlimit", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));

    public static int getrlimit(MemorySegment callState, int resource, MemorySegment rlimit) {
        try {
            int r = (int) GETRLIMIT.invokeExact(callState, resource, rlimit);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int setrlimit(MemorySegment callState, int resource, MemorySegment rlimit) {
        try {
            int r = (int) SETRLIMIT.invokeExact(callState, resource, rlimit);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
