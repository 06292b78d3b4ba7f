package dev.evring.linux;

/** {@code <netinet/tcp.h>}: TCP-level socket options (level {@link NetinetIn#IPPROTO_TCP}). */
public final class NetinetTcp {
    private NetinetTcp() {}

    public static final String HEADER = "netinet/tcp.h";

    /** Send segments as soon as possible, without Nagle's coalescing. */
    public static final int TCP_NODELAY = 1;
    /** Idle seconds before keepalive probes start. */
    public static final int TCP_KEEPIDLE = 4;
    /** Seconds between keepalive probes. */
    public static final int TCP_KEEPINTVL = 5;
    /** Unanswered probes before the connection is dropped. */
    public static final int TCP_KEEPCNT = 6;
}
