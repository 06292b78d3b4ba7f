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
    private static final MethodHandle CTL = Libc.errnoCall("epoll_ctl", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    private static final MethodHandle WAIT = Libc.errnoCall("epoll_wait", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT));
    /** Without errno capture, see Libc. */
    private static final MethodHandle WAIT_FAST = Libc.plainCall("epoll_wait", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT));

    public static int epollCreate1(MemorySegment callState, int flags) {
        try {
            int r = (int) CREATE1.invokeExact(callState, flags);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code event} holds one {@link #EPOLL_EVENT}; ignored (may be NULL) for EPOLL_CTL_DEL. */
    public static int epollCtl(MemorySegment callState, int epfd, int op, int fd, MemorySegment event) {
        try {
            int r = (int) CTL.invokeExact(callState, epfd, op, fd, event);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * epoll_wait(2). On failure the wait is repeated without blocking and with errno captured: a persistent error
     * (EBADF, EINVAL, EFAULT) comes back with its errno; a passing one (EINTR) gives way to that second wait's result.
     */
    public static int epollWait(MemorySegment callState, int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        try {
            int r = (int) WAIT_FAST.invokeExact(epfd, events, maxEvents, timeoutMillis);
            return r >= 0 ? r : epollWaitSlowPath(callState, epfd, events, maxEvents);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static int epollWaitSlowPath(MemorySegment callState, int epfd, MemorySegment events, int maxEvents) throws Throwable {
        int r = (int) WAIT.invokeExact(callState, epfd, events, maxEvents, 0);
        return r < 0 ? -Libc.errno(callState) : r;
    }
}
