package dev.evring.net;

import dev.evring.linux.Errno;
import dev.evring.linux.NetinetIn;
import dev.evring.linux.NetinetTcp;
import dev.evring.linux.SysSocket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;

/**
 * A non-blocking socket: TCP over IPv4 or IPv6, a Unix-domain stream socket, or UDP. Binding, options and addresses
 * are plain system calls made at once; the data operations are the subclasses'.
 *
 * <p>Failures of these immediate calls throw {@link dev.evring.ErrnoException} carrying the errno and the call.
 */
public abstract sealed class NetSocket extends IoHandle permits StreamListener, StreamSocket, UdpSocket {
    final ProtocolFamily family;
    final int domain;

    NetSocket(Net net, int fd, ProtocolFamily family) {
        super(net, fd);
        this.family = family;
        this.domain = SockAddr.domainOf(family);
    }

    /** INET, INET6 or UNIX. */
    public final ProtocolFamily family() {
        return family;
    }

    @Override
    final boolean pollable() {
        return true;
    }

    /** bind(2) to a local address. For a Unix socket the path must not exist yet. One system call. */
    void bindNow(SocketAddress local) {
        checkOpen();
        MemorySegment addr = net.addrScratch;
        int len = SockAddr.write(local, domain, addr);
        Errno.check(SysSocket.bind(net.callState, fd, addr, len), "bind(fd " + fd + ", " + local + ")");
    }

    /** The address the socket is bound to (getsockname(2)); an ephemeral port shows its number. One system call. */
    public final SocketAddress localAddress() {
        checkOpen();
        MemorySegment len = net.addrLenScratch;
        len.set(ValueLayout.JAVA_INT, 0, (int) SysSocket.SOCKADDR_STORAGE_SIZE);
        Errno.check(SysSocket.getsockname(net.callState, fd, net.addrScratch, len), "getsockname(fd " + fd + ")");
        return SockAddr.read(net.addrScratch, len.get(ValueLayout.JAVA_INT, 0));
    }

    /** The peer's address (getpeername(2)), or null when not connected. One system call. */
    SocketAddress peerAddress() {
        checkOpen();
        MemorySegment len = net.addrLenScratch;
        len.set(ValueLayout.JAVA_INT, 0, (int) SysSocket.SOCKADDR_STORAGE_SIZE);
        int r = SysSocket.getpeername(net.callState, fd, net.addrScratch, len);
        if (r == -Errno.ENOTCONN) return null;
        Errno.check(r, "getpeername(fd " + fd + ")");
        return SockAddr.read(net.addrScratch, len.get(ValueLayout.JAVA_INT, 0));
    }

    private record Native(int level, int name, boolean bool) {}

    private Native nativeOption(SocketOption<?> option) {
        if (option == null) throw new IllegalArgumentException("socket option is null");
        boolean inet = domain != SysSocket.AF_UNIX;
        if (option == StandardSocketOptions.SO_REUSEADDR) return new Native(SysSocket.SOL_SOCKET, SysSocket.SO_REUSEADDR, true);
        if (option == StandardSocketOptions.SO_REUSEPORT) return new Native(SysSocket.SOL_SOCKET, SysSocket.SO_REUSEPORT, true);
        if (option == StandardSocketOptions.SO_KEEPALIVE) return new Native(SysSocket.SOL_SOCKET, SysSocket.SO_KEEPALIVE, true);
        if (option == StandardSocketOptions.SO_BROADCAST) return new Native(SysSocket.SOL_SOCKET, SysSocket.SO_BROADCAST, true);
        if (option == StandardSocketOptions.SO_RCVBUF) return new Native(SysSocket.SOL_SOCKET, SysSocket.SO_RCVBUF, false);
        if (option == StandardSocketOptions.SO_SNDBUF) return new Native(SysSocket.SOL_SOCKET, SysSocket.SO_SNDBUF, false);
        if (inet && option == StandardSocketOptions.TCP_NODELAY) return new Native(NetinetIn.IPPROTO_TCP, NetinetTcp.TCP_NODELAY, true);
        if (inet && option == ExtendedSocketOptions.TCP_KEEPIDLE) return new Native(NetinetIn.IPPROTO_TCP, NetinetTcp.TCP_KEEPIDLE, false);
        if (inet && option == ExtendedSocketOptions.TCP_KEEPINTERVAL) return new Native(NetinetIn.IPPROTO_TCP, NetinetTcp.TCP_KEEPINTVL, false);
        if (inet && option == ExtendedSocketOptions.TCP_KEEPCOUNT) return new Native(NetinetIn.IPPROTO_TCP, NetinetTcp.TCP_KEEPCNT, false);
        if (option == StandardSocketOptions.IP_TOS && domain == SysSocket.AF_INET) return new Native(NetinetIn.IPPROTO_IP, NetinetIn.IP_TOS, false);
        if (option == StandardSocketOptions.IP_TOS && domain == SysSocket.AF_INET6) return new Native(NetinetIn.IPPROTO_IPV6, NetinetIn.IPV6_TCLASS, false);
        if (option == ExtendedSocketOptions.IPV6_V6ONLY && domain == SysSocket.AF_INET6) return new Native(NetinetIn.IPPROTO_IPV6, NetinetIn.IPV6_V6ONLY, true);
        throw new IllegalArgumentException("socket option " + option.name() + " is not supported on " + this);
    }

    /**
     * Sets a socket option (setsockopt(2)): {@link StandardSocketOptions} SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE,
     * SO_RCVBUF, SO_SNDBUF, SO_LINGER (seconds; negative turns it off), SO_BROADCAST, TCP_NODELAY, IP_TOS, and
     * {@link ExtendedSocketOptions}. One system call.
     *
     * @throws IllegalArgumentException naming the option or value: an option this socket does not have (TCP_NODELAY
     *         on a Unix socket), a null or out-of-range value
     */
    public <T> NetSocket setOption(SocketOption<T> option, T value) {
        checkOpen();
        if (value == null) throw new IllegalArgumentException("value of " + option + " is null");
        MemorySegment v = net.optScratch;
        if (option == StandardSocketOptions.SO_LINGER) {
            int secs = (Integer) value;
            v.set(ValueLayout.JAVA_INT, SysSocket.OFF_L_ONOFF, secs >= 0 ? 1 : 0);
            v.set(ValueLayout.JAVA_INT, SysSocket.OFF_L_LINGER, Math.max(0, secs));
            Errno.check(SysSocket.setsockopt(net.callState, fd, SysSocket.SOL_SOCKET, SysSocket.SO_LINGER, v,
                    (int) SysSocket.LINGER_SIZE), "setsockopt(fd " + fd + ", SO_LINGER, " + secs + ")");
            return this;
        }
        Native n = nativeOption(option);
        int raw;
        if (n.bool()) {
            raw = (Boolean) value ? 1 : 0;
        } else {
            raw = (Integer) value;
            if (raw < 0) throw new IllegalArgumentException(option.name() + " value " + raw + " is negative");
        }
        v.set(ValueLayout.JAVA_INT, 0, raw);
        Errno.check(SysSocket.setsockopt(net.callState, fd, n.level(), n.name(), v, 4),
                "setsockopt(fd " + fd + ", " + option.name() + ", " + value + ")");
        return this;
    }

    /** Reads a socket option (getsockopt(2)); the options of {@link #setOption}. One system call. */
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> option) {
        checkOpen();
        MemorySegment v = net.optScratch;
        MemorySegment len = net.addrLenScratch;
        if (option == StandardSocketOptions.SO_LINGER) {
            len.set(ValueLayout.JAVA_INT, 0, (int) SysSocket.LINGER_SIZE);
            Errno.check(SysSocket.getsockopt(net.callState, fd, SysSocket.SOL_SOCKET, SysSocket.SO_LINGER, v, len),
                    "getsockopt(fd " + fd + ", SO_LINGER)");
            int on = v.get(ValueLayout.JAVA_INT, SysSocket.OFF_L_ONOFF);
            return (T) Integer.valueOf(on != 0 ? v.get(ValueLayout.JAVA_INT, SysSocket.OFF_L_LINGER) : -1);
        }
        Native n = nativeOption(option);
        len.set(ValueLayout.JAVA_INT, 0, 4);
        Errno.check(SysSocket.getsockopt(net.callState, fd, n.level(), n.name(), v, len),
                "getsockopt(fd " + fd + ", " + option.name() + ")");
        int raw = v.get(ValueLayout.JAVA_INT, 0);
        return n.bool() ? (T) Boolean.valueOf(raw != 0) : (T) Integer.valueOf(raw);
    }

    /** Cancels the running accept, recv or recvFrom (its callback gets ECANCELED); whether one was running. */
    final boolean cancelReadSide() {
        net.checkOwner();
        Op op = readOp;
        return op != null && net.cancelOp(op);
    }

    /** Whether an accept, recv or recvFrom is running. */
    final boolean readSideRunning() {
        net.checkOwner();
        return readOp != null;
    }

    /** SO_ERROR: the pending error of the socket, cleared by reading it (0 if none). One system call. */
    int takeSocketError() {
        MemorySegment v = net.optScratch;
        MemorySegment len = net.addrLenScratch;
        len.set(ValueLayout.JAVA_INT, 0, 4);
        int r = SysSocket.getsockopt(net.callState, fd, SysSocket.SOL_SOCKET, SysSocket.SO_ERROR, v, len);
        return r < 0 ? -r : v.get(ValueLayout.JAVA_INT, 0);
    }

    @Override
    String describe() {
        return getClass().getSimpleName() + "[" + family + ", fd " + fd + (closed ? ", closed" : "") + "]";
    }
}
