package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;

/** {@code <sys/eventfd.h>}: the counter file the loops use to be woken from other threads. */
public final class EventFd {
    private EventFd() {}

    public static final int EFD_SEMAPHORE = 1;
    public static final int EFD_CLOEXEC = Fcntl.O_CLOEXEC;
    public static final int EFD_NONBLOCK = Fcntl.O_NONBLOCK;

    private static final MethodHandle EVENTFD = Libc.errnoCall("eventfd", FunctionDescriptor.of(C_INT, C_INT, C_INT));

    public static int eventfd(MemorySegment callState, int initval, int flags) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.EVENTFD, -1)) < 0) return f;
        try {
            int r = (int) EVENTFD.invokeExact(callState, initval, flags);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
