package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;
import static dev.evring.linux.ValueLayouts.C_POINTER;

/** {@code <sys/mman.h>}: mmap and munmap, for the io_uring rings. */
public final class Mman {
    private Mman() {}

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int PROT_EXEC = 0x4;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_POPULATE = 0x08000;
    /** {@code (void *) -1}. */
    public static final long MAP_FAILED = -1L;

    private static final MethodHandle MMAP =
            Libc.errnoCall("mmap", FunctionDescriptor.of(C_POINTER, C_POINTER, C_LONG, C_INT, C_INT, C_INT, C_LONG));
    private static final MethodHandle MUNMAP = Libc.errnoCall("munmap", FunctionDescriptor.of(C_INT, C_POINTER, C_LONG));

    /**
     * mmap(2). Returns the raw address (a zero-length segment; the caller reinterprets it to the mapped size within
     * its own arena), or a segment whose address is {@link #MAP_FAILED}: check with {@link #failed(MemorySegment)} and
     * read errno from {@code callState}.
     */
    public static MemorySegment mmap(MemorySegment callState, MemorySegment addr, long length, int prot, int flags, int fd, long offset) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.MMAP, fd)) < 0) {
            Libc.setErrno(callState, -f);
            return MemorySegment.ofAddress(MAP_FAILED);
        }
        try {
            return (MemorySegment) MMAP.invokeExact(callState, addr, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static boolean failed(MemorySegment mapped) {
        return mapped.address() == MAP_FAILED;
    }

    public static int munmap(MemorySegment callState, MemorySegment addr, long length) {
        try {
            int r = (int) MUNMAP.invokeExact(callState, addr, length);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
