package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** {@code <sys/resource.h>}: resource limits (how many fds a process may open). */
public final class Resource {
    private Resource() {}

    public static final String HEADER = "sys/resource.h";

    public static final int RLIMIT_NOFILE = 7;
    public static final int RLIMIT_MEMLOCK = 8;
    public static final long RLIM_INFINITY = -1L;

    /** {@code struct rlimit}. */
    public static final StructLayout RLIMIT = MemoryLayout.structLayout(
            JAVA_LONG.withName("rlim_cur"),
            JAVA_LONG.withName("rlim_max")).withName("struct rlimit");

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
