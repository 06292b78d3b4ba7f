package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_POINTER;

/** {@code <sys/socket.h>}: socket families, types and calls. */
public final class SysSocket {
    private SysSocket() {}

    public static final String HEADER = "sys/socket.h";

    public static final int AF_UNSPEC = 0;
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = Fcntl.O_NONBLOCK;
    public static final int SOCK_CLOEXEC = Fcntl.O_CLOEXEC;

    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    private static final MethodHandle SOCKETPAIR =
            Libc.errnoCall("socketpair", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    private static final MethodHandle SHUTDOWN = Libc.errnoCall("shutdown", FunctionDescriptor.of(C_INT, C_INT, C_INT));

    /** socketpair(2): {@code sv} receives two ints. */
    public static int socketpair(MemorySegment callState, int domain, int type, int protocol, MemorySegment sv) {
        try {
            int r = (int) SOCKETPAIR.invokeExact(callState, domain, type, protocol, sv);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int shutdown(MemorySegment callState, int fd, int how) {
        try {
            int r = (int) SHUTDOWN.invokeExact(callState, fd, how);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
