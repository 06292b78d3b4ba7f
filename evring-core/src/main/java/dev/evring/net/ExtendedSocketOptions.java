package dev.evring.net;

import java.net.SocketOption;

/**
 * Socket options beyond {@link java.net.StandardSocketOptions} (which {@link NetSocket#setOption} also takes:
 * SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF, SO_LINGER, SO_BROADCAST, TCP_NODELAY, IP_TOS).
 */
public final class ExtendedSocketOptions {
    private ExtendedSocketOptions() {}

    private record Option<T>(String name, Class<T> type) implements SocketOption<T> {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Seconds a connection is idle before keepalive probes start (TCP_KEEPIDLE); needs SO_KEEPALIVE. */
    public static final SocketOption<Integer> TCP_KEEPIDLE = new Option<>("TCP_KEEPIDLE", Integer.class);
    /** Seconds between keepalive probes (TCP_KEEPINTVL). */
    public static final SocketOption<Integer> TCP_KEEPINTERVAL = new Option<>("TCP_KEEPINTERVAL", Integer.class);
    /** Unanswered probes before the connection is dropped (TCP_KEEPCNT). */
    public static final SocketOption<Integer> TCP_KEEPCOUNT = new Option<>("TCP_KEEPCOUNT", Integer.class);
    /** An IPv6 socket accepts IPv6 only, not IPv4-mapped peers (IPV6_V6ONLY); set before bind. */
    public static final SocketOption<Boolean> IPV6_V6ONLY = new Option<>("IPV6_V6ONLY", Boolean.class);
}
