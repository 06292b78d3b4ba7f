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
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/** {@code <sys/epoll.h>}: epoll_create1, epoll_ctl, epoll_wait. */
public final class SysEpoll {
    private SysEpoll() {}

    public static final String HEADER = "sys/epoll.h";

    public static final int EPOLL_CLOEXEC = Fcntl.O_CLOEXEC;

    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;

    public static final int EPOLLIN = 0x001;
    public static final int EPOLLPRI = 0x002;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLONESHOT = 1 << 30;
    public static final int EPOLLET = 1 << 31;

    /**
     * {@code struct epoll_event}: packed on x86_64 (12 bytes, {@code data} unaligned at 4), as glibc declares it with
     * {@code __EPOLL_PACKED}. {@code data} is the {@code epoll_data_t} union, used here as its {@code u64} member.
     */
    public static final StructLayout EPOLL_EVENT = MemoryLayout.structLayout(
            JAVA_INT.withName("events"),
            JAVA_LONG_UNALIGNED.withName("data")).withName("struct epoll_event");

    public static final long EPOLL_EVENT_SIZE = EPOLL_EVENT.byteSize();
    public static final long OFF_EVENTS = EPOLL_EVENT.byteOffset(groupElement("events"));
    public static final long OFF_DATA = EPOLL_EVENT.byteOffset(groupElement("data"));

    private static final MethodHandle CREATE1 = Libc.errnoCall("epoll_create1", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle CTL = Libc.systemCall("epoll_ctl", 233, FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    private static final MethodHandle WAIT = Libc.systemCall("epoll_wait", 232, FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT));

    public static int epollCreate1(MemorySegment callState, int flags) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.EPOLL_CREATE1, -1)) < 0) return f;
        try {
            int r = (int) CREATE1.invokeExact(callState, flags);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code event} holds one {@link #EPOLL_EVENT}; ignored (may be NULL) for EPOLL_CTL_DEL. Fault rules match {@code fd}. */
    public static int epollCtl(MemorySegment callState, int epfd, int op, int fd, MemorySegment event) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.EPOLL_CTL, fd)) < 0) return f;
        try {
            return (int) (long) CTL.invokeExact(callState, epfd, op, fd, event);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** epoll_wait(2): the number of events, or -errno (EINTR when a signal cut the wait short). */
    public static int epollWait(MemorySegment callState, int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        if (Faults.ENABLED) {
            long n = Faults.apply(Faults.Call.EPOLL_WAIT, epfd, maxEvents);
            if (n < 0) return (int) n;
            maxEvents = (int) n; // fewer events per wait: what a full event array looks like
        }
        try {
            return (int) (long) WAIT.invokeExact(callState, epfd, events, maxEvents, timeoutMillis);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
