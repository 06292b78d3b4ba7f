package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static dev.evring.linux.ValueLayouts.C_SIZE_T;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** {@code <sched.h>}: sched_getaffinity(2) and sched_setaffinity(2), to pin a thread to a CPU. */
public final class Sched {
    private Sched() {}

    public static final String HEADER = "sched.h";

    /** glibc's CPU_SETSIZE: the CPUs a {@code cpu_set_t} can name. */
    public static final int CPU_SETSIZE = 1024;

    /** {@code cpu_set_t}: a bit per CPU, in unsigned longs (CPU n is bit n % 64 of word n / 64). */
    public static final StructLayout CPU_SET = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(CPU_SETSIZE / 64, C_LONG).withName("__bits")).withName("cpu_set_t");

    public static final long CPU_SET_SIZE = CPU_SET.byteSize();

    /** Whether CPU {@code cpu} is in the set at {@code set} (a {@link #CPU_SET}). */
    public static boolean cpuIsSet(MemorySegment set, int cpu) {
        return (set.getAtIndex(JAVA_LONG, cpu >>> 6) & (1L << (cpu & 63))) != 0;
    }

    /** Clears the set at {@code set}, then adds CPU {@code cpu}: {@code CPU_ZERO} then {@code CPU_SET}. */
    public static void cpuSetOnly(MemorySegment set, int cpu) {
        set.asSlice(0, CPU_SET_SIZE).fill((byte) 0);
        set.setAtIndex(JAVA_LONG, cpu >>> 6, 1L << (cpu & 63));
    }

    private static final FunctionDescriptor AFFINITY = FunctionDescriptor.of(C_INT, C_INT, C_SIZE_T, C_POINTER);
    private static final MethodHandle SCHED_GETAFFINITY = Libc.errnoCall("sched_getaffinity", AFFINITY);
    private static final MethodHandle SCHED_SETAFFINITY = Libc.errnoCall("sched_setaffinity", AFFINITY);

    /** The CPUs thread {@code tid} (0: the calling thread) may run on, into {@code set}: 0 or {@code -errno}. */
    public static int schedGetaffinity(MemorySegment callState, int tid, MemorySegment set) {
        try {
            int r = (int) SCHED_GETAFFINITY.invokeExact(callState, tid, CPU_SET_SIZE, set);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * Restricts thread {@code tid} (0: the calling thread) to the CPUs of {@code set}: 0 or {@code -errno} (EINVAL:
     * none of them is allowed here, as under a cpuset; EPERM: a seccomp profile or a missing capability refused it).
     */
    public static int schedSetaffinity(MemorySegment callState, int tid, MemorySegment set) {
        try {
            int r = (int) SCHED_SETAFFINITY.invokeExact(callState, tid, CPU_SET_SIZE, set);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
