package dev.evring.net;

import dev.evring.linux.NetinetIn;
import dev.evring.linux.SysSocket;
import dev.evring.linux.SysUn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/** Java socket addresses to and from the kernel's {@code sockaddr_in}, {@code sockaddr_in6}, {@code sockaddr_un}. */
final class SockAddr {
    private SockAddr() {}

    /** Ports and IPv4 addresses are big-endian in a sockaddr. */
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort HOST_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt HOST_INT = ValueLayout.JAVA_INT_UNALIGNED;

    static int domainOf(ProtocolFamily family) {
        if (family == StandardProtocolFamily.INET) return SysSocket.AF_INET;
        if (family == StandardProtocolFamily.INET6) return SysSocket.AF_INET6;
        if (family == StandardProtocolFamily.UNIX) return SysSocket.AF_UNIX;
        throw new IllegalArgumentException("protocol family " + family + " is not supported (INET, INET6 or UNIX)");
    }

    static ProtocolFamily familyOf(SocketAddress address) {
        if (address == null) throw new IllegalArgumentException("address is null");
        if (address instanceof InetSocketAddress isa) {
            checkResolved(isa);
            return isa.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        }
        if (address instanceof UnixDomainSocketAddress) return StandardProtocolFamily.UNIX;
        throw unsupported(address);
    }

    private static void checkResolved(InetSocketAddress isa) {
        if (isa.isUnresolved()) {
            throw new IllegalArgumentException("address " + isa + " is unresolved: resolve it first (name lookups block, "
                    + "so evring does not make them on the loop thread)");
        }
    }

    private static IllegalArgumentException unsupported(SocketAddress address) {
        return new IllegalArgumentException("address " + address + " is neither an InetSocketAddress nor a UnixDomainSocketAddress");
    }

    /**
     * Writes {@code address} as the sockaddr a socket of {@code domain} expects into {@code dst} (at least
     * {@code sockaddr_storage} large) and returns its length. An IPv4 address given to an IPv6 socket becomes its
     * IPv4-mapped form ({@code ::ffff:a.b.c.d}), as Java's own sockets do.
     */
    static int write(SocketAddress address, int domain, MemorySegment dst) {
        if (address == null) throw new IllegalArgumentException("address is null");
        dst.asSlice(0, SysSocket.SOCKADDR_STORAGE_SIZE).fill((byte) 0);
        if (address instanceof InetSocketAddress isa) {
            checkResolved(isa);
            InetAddress ia = isa.getAddress();
            if (domain == SysSocket.AF_INET) {
                if (!(ia instanceof Inet4Address)) {
                    throw new IllegalArgumentException("address " + isa + " is IPv6 but the socket is IPv4 (INET)");
                }
                dst.set(HOST_SHORT, NetinetIn.OFF_SIN_FAMILY, (short) SysSocket.AF_INET);
                dst.set(NET_SHORT, NetinetIn.OFF_SIN_PORT, (short) isa.getPort());
                MemorySegment.copy(ia.getAddress(), 0, dst, ValueLayout.JAVA_BYTE, NetinetIn.OFF_SIN_ADDR, 4);
                return (int) NetinetIn.SOCKADDR_IN_SIZE;
            }
            if (domain == SysSocket.AF_INET6) {
                byte[] raw = ia.getAddress();
                dst.set(HOST_SHORT, NetinetIn.OFF_SIN6_FAMILY, (short) SysSocket.AF_INET6);
                dst.set(NET_SHORT, NetinetIn.OFF_SIN6_PORT, (short) isa.getPort());
                if (raw.length == 4) {
                    dst.set(ValueLayout.JAVA_BYTE, NetinetIn.OFF_SIN6_ADDR + 10, (byte) 0xff);
                    dst.set(ValueLayout.JAVA_BYTE, NetinetIn.OFF_SIN6_ADDR + 11, (byte) 0xff);
                    MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, NetinetIn.OFF_SIN6_ADDR + 12, 4);
                } else {
                    MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, NetinetIn.OFF_SIN6_ADDR, 16);
                    dst.set(HOST_INT, NetinetIn.OFF_SIN6_SCOPE_ID, ((Inet6Address) ia).getScopeId());
                }
                return (int) NetinetIn.SOCKADDR_IN6_SIZE;
            }
            throw new IllegalArgumentException("address " + isa + " is an IP address but the socket is a Unix-domain socket");
        }
        if (address instanceof UnixDomainSocketAddress ua) {
            if (domain != SysSocket.AF_UNIX) {
                throw new IllegalArgumentException("address " + ua + " is a Unix-domain address but the socket is an IP socket");
            }
            byte[] path = ua.getPath().toString().getBytes(StandardCharsets.UTF_8);
            if (path.length >= SysUn.SUN_PATH_MAX) {
                throw new IllegalArgumentException("Unix socket path \"" + ua.getPath() + "\" is " + path.length
                        + " bytes; the kernel takes at most " + (SysUn.SUN_PATH_MAX - 1));
            }
            dst.set(HOST_SHORT, SysUn.OFF_SUN_FAMILY, (short) SysSocket.AF_UNIX);
            MemorySegment.copy(path, 0, dst, ValueLayout.JAVA_BYTE, SysUn.OFF_SUN_PATH, path.length);
            return (int) SysUn.OFF_SUN_PATH + path.length + 1;
        }
        throw unsupported(address);
    }

    /** The address in {@code src[0, length)}, as the kernel wrote it. */
    static SocketAddress read(MemorySegment src, int length) {
        if (length < 2) return null;
        int family = src.get(HOST_SHORT, SysSocket.OFF_SA_FAMILY);
        try {
            switch (family) {
                case SysSocket.AF_INET -> {
                    if (length < NetinetIn.SOCKADDR_IN_SIZE) break;
                    byte[] raw = src.asSlice(NetinetIn.OFF_SIN_ADDR, 4).toArray(ValueLayout.JAVA_BYTE);
                    int port = Short.toUnsignedInt(src.get(NET_SHORT, NetinetIn.OFF_SIN_PORT));
                    return new InetSocketAddress(InetAddress.getByAddress(raw), port);
                }
                case SysSocket.AF_INET6 -> {
                    if (length < NetinetIn.SOCKADDR_IN6_SIZE) break;
                    byte[] raw = src.asSlice(NetinetIn.OFF_SIN6_ADDR, 16).toArray(ValueLayout.JAVA_BYTE);
                    int port = Short.toUnsignedInt(src.get(NET_SHORT, NetinetIn.OFF_SIN6_PORT));
                    int scope = src.get(HOST_INT, NetinetIn.OFF_SIN6_SCOPE_ID);
                    InetAddress ia = InetAddress.getByAddress(raw); // an IPv4-mapped address comes back as Inet4Address
                    if (ia instanceof Inet6Address && scope != 0) ia = Inet6Address.getByAddress(null, raw, scope);
                    return new InetSocketAddress(ia, port);
                }
                case SysSocket.AF_UNIX -> {
                    int n = length - (int) SysUn.OFF_SUN_PATH;
                    if (n <= 0) return UnixDomainSocketAddress.of(""); // unnamed (socketpair, a client's socket)
                    byte[] raw = src.asSlice(SysUn.OFF_SUN_PATH, n).toArray(ValueLayout.JAVA_BYTE);
                    int end = 0;
                    while (end < raw.length && raw[end] != 0) end++;
                    return UnixDomainSocketAddress.of(new String(raw, 0, end, StandardCharsets.UTF_8));
                }
                default -> {
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("the kernel returned a malformed address", e);
        }
        throw new IllegalStateException("the kernel returned an address of family " + family + " and length " + length
                + ", which evring does not know");
    }
}
