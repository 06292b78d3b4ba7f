package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static dev.evring.linux.ValueLayouts.C_SHORT;
import static dev.evring.linux.ValueLayouts.C_SIZE_T;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code <sys/socket.h>} (and {@code <asm-generic/socket.h>} for the SO_* values): socket families, types, options,
 * message flags, the generic address structs and the socket calls. Each wrapper takes the caller's call-state segment
 * (see {@link Libc}) and returns the result, or {@code -errno}. {@code socklen_t} is a 32-bit unsigned int.
 */
public final class SysSocket {
    private SysSocket() {}

    public static final String HEADER = "sys/socket.h";

    public static final int AF_UNSPEC = 0;
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = Fcntl.O_NONBLOCK;
    public static final int SOCK_CLOEXEC = Fcntl.O_CLOEXEC;

    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** The kernel's cap on a listen backlog since 5.4 ({@code net.core.somaxconn} default). */
    public static final int SOMAXCONN = 4096;

    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_TYPE = 3;
    public static final int SO_ERROR = 4;
    public static final int SO_BROADCAST = 6;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_KEEPALIVE = 9;
    public static final int SO_LINGER = 13;
    public static final int SO_REUSEPORT = 15;
    /** Whether the socket is listening (getsockopt only). */
    public static final int SO_ACCEPTCONN = 30;
    public static final int SO_DOMAIN = 39;

    public static final int MSG_PEEK = 0x2;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_WAITALL = 0x100;
    /** Do not raise SIGPIPE when the peer is gone: get EPIPE instead. */
    public static final int MSG_NOSIGNAL = 0x4000;

    /** {@code struct sockaddr}: the generic header every address starts with. */
    public static final StructLayout SOCKADDR = MemoryLayout.structLayout(
            C_SHORT.withName("sa_family"),
            MemoryLayout.sequenceLayout(14, ValueLayouts.C_CHAR).withName("sa_data")).withName("struct sockaddr");

    /** {@code struct sockaddr_storage}: room for any address (128 bytes, 8-aligned). */
    public static final StructLayout SOCKADDR_STORAGE = MemoryLayout.structLayout(
            C_SHORT.withName("ss_family"),
            MemoryLayout.paddingLayout(118),
            C_LONG.withName("__ss_align")).withName("struct sockaddr_storage");

    public static final long SOCKADDR_STORAGE_SIZE = SOCKADDR_STORAGE.byteSize();
    public static final long OFF_SA_FAMILY = SOCKADDR.byteOffset(groupElement("sa_family"));

    /** {@code struct msghdr}, for recvmsg/sendmsg (datagrams with their addresses). */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
            C_POINTER.withName("msg_name"),
            C_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4),
            C_POINTER.withName("msg_iov"),
            C_SIZE_T.withName("msg_iovlen"),
            C_POINTER.withName("msg_control"),
            C_SIZE_T.withName("msg_controllen"),
            C_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4)).withName("struct msghdr");

    public static final long MSGHDR_SIZE = MSGHDR.byteSize();
    /** {@code struct mmsghdr}, for sendmmsg: a msghdr and the bytes sent of it. */
    public static final StructLayout MMSGHDR = MemoryLayout.structLayout(
            MSGHDR.withName("msg_hdr"),
            C_INT.withName("msg_len"),
            MemoryLayout.paddingLayout(4)).withName("struct mmsghdr");
    public static final long MMSGHDR_SIZE = MMSGHDR.byteSize();
    public static final long OFF_MMSG_LEN = MMSGHDR.byteOffset(groupElement("msg_len"));
    public static final long OFF_MSG_NAME = MSGHDR.byteOffset(groupElement("msg_name"));
    public static final long OFF_MSG_NAMELEN = MSGHDR.byteOffset(groupElement("msg_namelen"));
    public static final long OFF_MSG_IOV = MSGHDR.byteOffset(groupElement("msg_iov"));
    public static final long OFF_MSG_IOVLEN = MSGHDR.byteOffset(groupElement("msg_iovlen"));
    public static final long OFF_MSG_CONTROL = MSGHDR.byteOffset(groupElement("msg_control"));
    public static final long OFF_MSG_CONTROLLEN = MSGHDR.byteOffset(groupElement("msg_controllen"));
    public static final long OFF_MSG_FLAGS = MSGHDR.byteOffset(groupElement("msg_flags"));

    /** {@code struct linger}, the value of SO_LINGER. */
    public static final StructLayout LINGER = MemoryLayout.structLayout(
            C_INT.withName("l_onoff"),
            C_INT.withName("l_linger")).withName("struct linger");

    public static final long LINGER_SIZE = LINGER.byteSize();
    public static final long OFF_L_ONOFF = LINGER.byteOffset(groupElement("l_onoff"));
    public static final long OFF_L_LINGER = LINGER.byteOffset(groupElement("l_linger"));

    private static final MethodHandle SOCKET = Libc.errnoCall("socket", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle SOCKETPAIR =
            Libc.errnoCall("socketpair", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    private static final MethodHandle BIND = Libc.errnoCall("bind", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle LISTEN = Libc.errnoCall("listen", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle ACCEPT4 =
            Libc.systemCall("accept4", 288, FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_INT));
    private static final MethodHandle CONNECT = Libc.systemCall("connect", 42, FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle SHUTDOWN = Libc.systemCall("shutdown", 48, FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle GETSOCKOPT =
            Libc.errnoCall("getsockopt", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle SETSOCKOPT =
            Libc.errnoCall("setsockopt", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle GETSOCKNAME =
            Libc.errnoCall("getsockname", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle GETPEERNAME =
            Libc.errnoCall("getpeername", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle RECVFROM = Libc.systemCall("recvfrom", 45,
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle SENDTO = Libc.systemCall("sendto", 44,
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_INT, C_POINTER, C_INT));
    private static final MethodHandle RECVMSG = Libc.systemCall("recvmsg", 47, FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_INT));
    private static final MethodHandle SENDMSG = Libc.systemCall("sendmsg", 46, FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_INT));
    private static final MethodHandle SENDMMSG = Libc.systemCall("sendmmsg", 307, FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT));

    private static int intResult(int r, MemorySegment callState) {
        return r < 0 ? -Libc.errno(callState) : r;
    }

    /** socket(2). Pass SOCK_NONBLOCK | SOCK_CLOEXEC in {@code type} for a loop's socket. */
    public static int socket(MemorySegment callState, int domain, int type, int protocol) {
        try {
            return intResult((int) SOCKET.invokeExact(callState, domain, type, protocol), callState);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** socketpair(2): {@code sv} receives two ints. */
    public static int socketpair(MemorySegment callState, int domain, int type, int protocol, MemorySegment sv) {
        try {
            return intResult((int) SOCKETPAIR.invokeExact(callState, domain, type, protocol, sv), callState);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int bind(MemorySegment callState, int fd, MemorySegment addr, int addrLen) {
        try {
            return intResult((int) BIND.invokeExact(callState, fd, addr, addrLen), callState);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int listen(MemorySegment callState, int fd, int backlog) {
        try {
            return intResult((int) LISTEN.invokeExact(callState, fd, backlog), callState);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * accept4(2). {@code addr} and {@code addrLen} (an int holding the room in {@code addr}, updated to the address
     * length) may both be {@link MemorySegment#NULL} when the peer address is not wanted.
     */
    public static int accept4(MemorySegment callState, int fd, MemorySegment addr, MemorySegment addrLen, int flags) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.ACCEPT4, fd)) < 0) return f;
        try {
            return (int) (long) ACCEPT4.invokeExact(callState, fd, addr, addrLen, flags);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** connect(2); on a non-blocking socket, {@code -EINPROGRESS} means "wait for writability, then read SO_ERROR". */
    public static int connect(MemorySegment callState, int fd, MemorySegment addr, int addrLen) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.CONNECT, fd)) < 0) return f;
        try {
            return (int) (long) CONNECT.invokeExact(callState, fd, addr, addrLen);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int shutdown(MemorySegment callState, int fd, int how) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.SHUTDOWN, fd)) < 0) return f;
        try {
            return (int) (long) SHUTDOWN.invokeExact(callState, fd, how);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** getsockopt(2); {@code optLen} is an int holding the room in {@code optVal}, updated to the value's length. */
    public static int getsockopt(MemorySegment callState, int fd, int level, int name, MemorySegment optVal, MemorySegment optLen) {
        try {
            return intResult((int) GETSOCKOPT.invokeExact(callState, fd, level, name, optVal, optLen), callState);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int setsockopt(MemorySegment callState, int fd, int level, int name, MemorySegment optVal, int optLen) {
        try {
            return intResult((int) SETSOCKOPT.invokeExact(callState, fd, level, name, optVal, optLen), callState);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** getsockname(2); {@code addrLen} as for {@link #accept4}. */
    public static int getsockname(MemorySegment callState, int fd, MemorySegment addr, MemorySegment addrLen) {
        try {
            return intResult((int) GETSOCKNAME.invokeExact(callState, fd, addr, addrLen), callState);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** getpeername(2); {@code addrLen} as for {@link #accept4}. */
    public static int getpeername(MemorySegment callState, int fd, MemorySegment addr, MemorySegment addrLen) {
        try {
            return intResult((int) GETPEERNAME.invokeExact(callState, fd, addr, addrLen), callState);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** recv(2) (recvfrom without an address): bytes received, 0 at end of stream, or -errno. */
    public static long recv(MemorySegment callState, int fd, MemorySegment buf, long len, int flags) {
        return recvfrom(callState, fd, buf, len, flags, MemorySegment.NULL, MemorySegment.NULL);
    }

    /** send(2) (sendto without an address); pass MSG_NOSIGNAL so a vanished peer gives EPIPE rather than SIGPIPE. */
    public static long send(MemorySegment callState, int fd, MemorySegment buf, long len, int flags) {
        return sendto(callState, fd, buf, len, flags, MemorySegment.NULL, 0);
    }

    /** recvfrom(2); {@code addr}/{@code addrLen} as for {@link #accept4}. */
    public static long recvfrom(MemorySegment callState, int fd, MemorySegment buf, long len, int flags,
                                MemorySegment addr, MemorySegment addrLen) {
        if (Faults.ENABLED && (len = Faults.apply(Faults.Call.RECV, fd, len)) < 0) return len;
        try {
            return (long) RECVFROM.invokeExact(callState, fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static long sendto(MemorySegment callState, int fd, MemorySegment buf, long len, int flags,
                              MemorySegment addr, int addrLen) {
        if (Faults.ENABLED && (len = Faults.apply(Faults.Call.SEND, fd, len)) < 0) return len;
        try {
            return (long) SENDTO.invokeExact(callState, fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** recvmsg(2) with a {@link #MSGHDR}. */
    public static long recvmsg(MemorySegment callState, int fd, MemorySegment msg, int flags) {
        long f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.RECVMSG, fd)) < 0) return f;
        try {
            return (long) RECVMSG.invokeExact(callState, fd, msg, flags);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * sendmmsg(2): the first {@code vlen} {@link #MMSGHDR}s of {@code msgvec}, in order, each its own datagram; returns
     * how many went (each one's {@code msg_len} set), or {@code -errno} when the first did not (an error after the
     * first is not reported: the next call, starting at the one that failed, reports it).
     */
    public static int sendmmsg(MemorySegment callState, int fd, MemorySegment msgvec, int vlen, int flags) {
        long f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.SENDMSG, fd)) < 0) return (int) f;
        try {
            return (int) (long) SENDMMSG.invokeExact(callState, fd, msgvec, vlen, flags);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** sendmsg(2) with a {@link #MSGHDR}. */
    public static long sendmsg(MemorySegment callState, int fd, MemorySegment msg, int flags) {
        long f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.SENDMSG, fd)) < 0) return f;
        try {
            return (long) SENDMSG.invokeExact(callState, fd, msg, flags);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
