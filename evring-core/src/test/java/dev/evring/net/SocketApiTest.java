package dev.evring.net;

import dev.evring.Events;
import dev.evring.IoWatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Socket options, addresses and the readiness-style calls (an fd plus an io watcher). */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class SocketApiTest extends NetTestBase {

    @Test
    void optionsRoundTrip() {
        StreamSocket s = net.openStream(StandardProtocolFamily.INET);
        assertFalse(s.getOption(StandardSocketOptions.TCP_NODELAY));
        s.setOption(StandardSocketOptions.TCP_NODELAY, true).setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        assertTrue(s.getOption(StandardSocketOptions.TCP_NODELAY));
        assertTrue(s.getOption(StandardSocketOptions.SO_KEEPALIVE));
        s.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 77);
        assertEquals(77, s.getOption(ExtendedSocketOptions.TCP_KEEPIDLE));
        s.setOption(StandardSocketOptions.SO_RCVBUF, 65536);
        assertTrue(s.getOption(StandardSocketOptions.SO_RCVBUF) >= 65536, "the kernel doubles it");
        assertEquals(-1, s.getOption(StandardSocketOptions.SO_LINGER));
        s.setOption(StandardSocketOptions.SO_LINGER, 3);
        assertEquals(3, s.getOption(StandardSocketOptions.SO_LINGER));
        s.setOption(StandardSocketOptions.IP_TOS, 0x10);
        assertEquals(0x10, s.getOption(StandardSocketOptions.IP_TOS));
        StreamSocket u = net.socketPair()[0];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> u.setOption(StandardSocketOptions.TCP_NODELAY, true));
        assertTrue(e.getMessage().contains("TCP_NODELAY"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.setOption(StandardSocketOptions.SO_SNDBUF, -1));
    }

    @Test
    void reusePortLetsTwoListenersShareAPort() {
        StreamListener a = net.openListener(StandardProtocolFamily.INET)
                .setOption(StandardSocketOptions.SO_REUSEPORT, true).bind(loopback4()).listen(16);
        int port = ((InetSocketAddress) a.localAddress()).getPort();
        StreamListener b = net.openListener(StandardProtocolFamily.INET)
                .setOption(StandardSocketOptions.SO_REUSEPORT, true)
                .bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port)).listen(16);
        assertEquals(a.localAddress(), b.localAddress());
        assertTrue(a.getOption(StandardSocketOptions.SO_REUSEPORT));
    }

    @Test
    void ipv6ListenerAcceptsIpv4MappedPeersUnlessV6Only() {
        InetSocketAddress any6 = new InetSocketAddress(loopback6().getAddress() == null ? null : java.net.InetAddress.ofLiteral("::"), 0);
        StreamListener l = net.openListener(StandardProtocolFamily.INET6).bind(any6).listen(16);
        assertFalse(l.getOption(ExtendedSocketOptions.IPV6_V6ONLY));
        int port = ((InetSocketAddress) l.localAddress()).getPort();
        StreamSocket[] accepted = new StreamSocket[1];
        l.accept((lis, s, st) -> accepted[0] = s);
        net.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), (s, st) -> {});
        runUntil(() -> accepted[0] != null, "an IPv4 client on an IPv6 listener");
        InetSocketAddress peer = (InetSocketAddress) accepted[0].remoteAddress();
        assertTrue(peer.getAddress() instanceof java.net.Inet4Address, "an IPv4-mapped peer reads as IPv4: " + peer);
    }

    @Test
    void unresolvedAndMismatchedAddressesAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.listen(InetSocketAddress.createUnresolved("example.org", 80)));
        assertTrue(e.getMessage().contains("unresolved"), e.getMessage());
        StreamSocket v4 = net.openStream(StandardProtocolFamily.INET);
        assertThrows(IllegalArgumentException.class, () -> v4.connect(unixAddress("x.sock"), (s, st) -> {}));
        String tooLong = "x".repeat(200);
        assertThrows(IllegalArgumentException.class, () -> net.listen(java.net.UnixDomainSocketAddress.of("/tmp/" + tooLong)));
    }

    /** The readiness style: an io watcher on each fd, the non-blocking calls in the callbacks. */
    @Test
    void readinessStyleEchoWithIoWatchers() {
        StreamListener l = net.listen(loopback4());
        IoWatcher acceptor = loop.io(l.fd(), Events.READ, (w, ev) -> {
            StreamSocket c;
            while ((c = l.tryAccept()) != null) {
                StreamSocket conn = c;
                byte[] buf = new byte[4096];
                loop.io(conn.fd(), Events.READ, (rw, rev) -> {
                    int n = conn.read(buf, 0, buf.length);
                    if (n < 0) {
                        rw.stop();
                        conn.close();
                    } else if (n > 0) {
                        assertEquals(n, conn.write(buf, 0, n));
                    }
                }).start();
            }
        });
        acceptor.start();
        StreamSocket client = net.openStream(StandardProtocolFamily.INET);
        boolean now = client.startConnect(l.localAddress());
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] msg = pattern(1000, 4);
        boolean[] sent = {false};
        IoWatcher cw = loop.io(client.fd(), Events.WRITE, (w, ev) -> {
            if (!now && !sent[0]) client.finishConnect();
            if (!sent[0]) {
                assertEquals(msg.length, client.write(msg, 0, msg.length));
                sent[0] = true;
                w.set(client.fd(), Events.READ);
                return;
            }
            byte[] b = new byte[2048];
            int n = client.read(b, 0, b.length);
            if (n > 0) got.write(b, 0, n);
        });
        cw.start();
        runUntil(() -> got.size() == msg.length, "the readiness-style echo");
        assertArrayEquals(msg, got.toByteArray());
        cw.stop();
        assertNull(l.tryAccept(), "no connection waiting");
        byte[] none = new byte[10];
        assertEquals(0, client.read(none, 0, 10), "nothing to read: 0, as SocketChannel");
    }
}
