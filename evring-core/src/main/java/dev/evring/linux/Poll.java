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
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** {@code <poll.h>} and {@code <asm-generic/poll.h>}: poll(2) and its event bits (shared with io_uring's POLL_ADD). */
public final class Poll {
    private Poll() {}

    public static final String HEADER = "poll.h";

    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;
    public static final short POLLRDHUP = 0x2000;

    /** {@code struct pollfd}. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents")).withName("struct pollfd");

    public static final long POLLFD_SIZE = POLLFD.byteSize();
    public static final long OFF_FD = POLLFD.byteOffset(groupElement("fd"));
    public static final long OFF_EVENTS = POLLFD.byteOffset(groupElement("events"));
    public static final long OFF_REVENTS = POLLFD.byteOffset(groupElement("revents"));

    private static final MethodHandle POLL = Libc.systemCall("poll", 7, FunctionDescriptor.of(C_INT, C_POINTER, C_LONG, C_INT));

    /** poll(2): the number of ready entries, or -errno (EINTR when a signal cut the wait short). */
    public static int poll(MemorySegment callState, MemorySegment fds, long nfds, int timeoutMillis) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.POLL, -1)) < 0) return f;
        try {
            return (int) (long) POLL.invokeExact(callState, fds, nfds, timeoutMillis);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
