package dev.evring.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static dev.evring.linux.ValueLayouts.C_CHAR;
import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_SHORT;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code <netinet/in.h>}: IP protocol numbers, IP-level options and the IPv4/IPv6 socket addresses. Ports and IPv4
 * addresses are stored in network byte order (big-endian): write them with a big-endian layout.
 */
public final class NetinetIn {
    private NetinetIn() {}

    public static final String HEADER = "netinet/in.h";

    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_IPV6 = 41;

    public static final int IP_TOS = 1;
    public static final int IPV6_V6ONLY = 26;
    /** The IPv6 traffic class, IPv6's IP_TOS. */
    public static final int IPV6_TCLASS = 67;

    /** {@code struct sockaddr_in} (16 bytes); {@code sin_addr} is {@code struct in_addr}. */
    public static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
            C_SHORT.withName("sin_family"),
            C_SHORT.withName("sin_port"),
            MemoryLayout.structLayout(C_INT.withName("s_addr")).withName("sin_addr"),
            MemoryLayout.sequenceLayout(8, C_CHAR).withName("sin_zero")).withName("struct sockaddr_in");

    public static final long SOCKADDR_IN_SIZE = SOCKADDR_IN.byteSize();
    public static final long OFF_SIN_FAMILY = SOCKADDR_IN.byteOffset(groupElement("sin_family"));
    public static final long OFF_SIN_PORT = SOCKADDR_IN.byteOffset(groupElement("sin_port"));
    public static final long OFF_SIN_ADDR = SOCKADDR_IN.byteOffset(groupElement("sin_addr"));

    /** {@code struct sockaddr_in6} (28 bytes); {@code sin6_addr} is the 16 bytes of {@code struct in6_addr}. */
    public static final StructLayout SOCKADDR_IN6 = MemoryLayout.structLayout(
            C_SHORT.withName("sin6_family"),
            C_SHORT.withName("sin6_port"),
            C_INT.withName("sin6_flowinfo"),
            MemoryLayout.sequenceLayout(16, C_CHAR).withName("sin6_addr"),
            C_INT.withName("sin6_scope_id")).withName("struct sockaddr_in6");

    public static final long SOCKADDR_IN6_SIZE = SOCKADDR_IN6.byteSize();
    public static final long OFF_SIN6_FAMILY = SOCKADDR_IN6.byteOffset(groupElement("sin6_family"));
    public static final long OFF_SIN6_PORT = SOCKADDR_IN6.byteOffset(groupElement("sin6_port"));
    public static final long OFF_SIN6_FLOWINFO = SOCKADDR_IN6.byteOffset(groupElement("sin6_flowinfo"));
    public static final long OFF_SIN6_ADDR = SOCKADDR_IN6.byteOffset(groupElement("sin6_addr"));
    public static final long OFF_SIN6_SCOPE_ID = SOCKADDR_IN6.byteOffset(groupElement("sin6_scope_id"));
}
