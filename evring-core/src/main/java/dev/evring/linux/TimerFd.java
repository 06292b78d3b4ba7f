package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/** {@code <sys/timerfd.h>}: timers as files, the seed's way to bound an io_uring wait on old kernels. */
public final class TimerFd {
    private TimerFd() {}

    public static final String HEADER = "sys/timerfd.h";

    public static final int TFD_CLOEXEC = Fcntl.O_CLOEXEC;
    public static final int TFD_NONBLOCK = Fcntl.O_NONBLOCK;
    public static final int TFD_TIMER_ABSTIME = 1;

    /** {@code struct itimerspec}. */
    public static final StructLayout ITIMERSPEC = MemoryLayout.structLayout(
            Time.TIMESPEC.withName("it_interval"),
            Time.TIMESPEC.withName("it_value")).withName("struct itimerspec");

    public static final long OFF_IT_INTERVAL = ITIMERSPEC.byteOffset(groupElement("it_interval"));
    public static final long OFF_IT_VALUE = ITIMERSPEC.byteOffset(groupElement("it_value"));

    private static final MethodHandle CREATE = Libc.errnoCall("timerfd_create", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle SETTIME =
            Libc.systemCall("timerfd_settime", 286, FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER, C_POINTER));

    public static int timerfdCreate(MemorySegment callState, int clock, int flags) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.TIMERFD_CREATE, -1)) < 0) return f;
        try {
            int r = (int) CREATE.invokeExact(callState, clock, flags);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int timerfdSettime(MemorySegment callState, int fd, int flags, MemorySegment newValue, MemorySegment oldValue) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.TIMERFD_SETTIME, fd)) < 0) return f;
        try {
            return (int) (long) SETTIME.invokeExact(callState, fd, flags, newValue, oldValue);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
