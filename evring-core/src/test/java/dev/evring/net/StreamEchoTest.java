package dev.evring.net;

import dev.evring.FdLimit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Echo round trips through the completion API, over TCP v4/v6 and Unix sockets, on every backend. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class StreamEchoTest extends NetTestBase {

    /** A thousand clients each have a send in flight at once: on io_uring a buffer stays lent until its CQE. */
    @Override
    Net openNet() {
        return Net.builder(loop).buffers(2048, 4096).recvBuffers(512, 4096).open();
    }

    /** One client: connects, sends {@code payload} in pieces, collects the echo until it has all of it. */
    final class Client {
        final byte[] payload;
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        int connectStatus = 1;
        boolean done;
        StreamSocket socket;

        Client(SocketAddress server, byte[] payload, int piece) {
            this.payload = payload;
            socket = net.connect(server, (s, st) -> {
                connectStatus = st;
                if (st != 0) {
                    done = true;
                    return;
                }
                s.recv((sock, data, n) -> {
                    if (n <= 0) {
                        done = true;
                        return;
                    }
                    got.write(data.toArray(), 0, n);
                    data.release();
                    if (got.size() == payload.length) {
                        done = true;
                        sock.close();
                    }
                });
                for (int off = 0; off < payload.length; off += piece) {
                    Buffer b = net.allocate();
                    b.put(payload, off, Math.min(piece, payload.length - off));
                    s.send(b, null);
                }
            });
        }

        void check() {
            assertEquals(0, connectStatus, "connect: " + Status.describe(connectStatus));
            assertArrayEquals(payload, got.toByteArray(), "echoed bytes differ");
        }
    }

    void echoOver(SocketAddress listenOn) {
        StreamListener l = echoServer(listenOn);
        SocketAddress server = l.localAddress();
        Client c = new Client(server, pattern(100_000, 7), 3000);
        runUntil(() -> c.done, "the echo of 100 kB");
        c.check();
    }

    @Test
    void tcpOverIpv4EchoesEveryByteInOrder() {
        echoOver(loopback4());
    }

    @Test
    void tcpOverIpv6EchoesEveryByteInOrder() {
        echoOver(loopback6());
    }

    @Test
    void unixSocketEchoesEveryByteInOrder() {
        echoOver(unixAddress("echo.sock"));
    }

    @Test
    void aThousandConcurrentConnectionsAllGetTheirEcho() {
        FdLimit.reserve(2_000, 2_000); // client and server end of each: skips, saying why, where RLIMIT_NOFILE is lower
        StreamListener l = echoServer(loopback4());
        SocketAddress server = l.localAddress();
        Client[] clients = new Client[1000];
        for (int i = 0; i < clients.length; i++) clients[i] = new Client(server, pattern(64 + i % 200, i), 4096);
        runUntil(() -> {
            for (Client c : clients) if (!c.done) return false;
            return true;
        }, 30, "1000 echoes");
        for (Client c : clients) c.check();
        assertEquals(0, net.stats().recvBuffersHeld(), "every received buffer went back to its pool");
        assertReceivePoolSettled();
    }

    @Test
    void largeTransferSurvivesPartialSendsAndKeepsOrder() {
        StreamListener l = echoServer(loopback4());
        // 4 MB queued at once: far more than the socket buffers, so sends are partial and wait for room
        Net big = net;
        Client c = new Client(l.localAddress(), pattern(4 << 20, 3), big.bufferSize());
        runUntil(() -> c.done, 20, "the echo of 4 MB");
        c.check();
    }

    @Test
    void acceptedSocketKnowsBothAddresses() {
        StreamListener l = net.listen(loopback4());
        InetSocketAddress server = (InetSocketAddress) l.localAddress();
        assertTrue(server.getPort() > 0);
        StreamSocket[] accepted = new StreamSocket[1];
        l.accept((lis, s, st) -> accepted[0] = s);
        boolean[] connected = new boolean[1];
        StreamSocket client = net.connect(server, (s, st) -> connected[0] = st == 0);
        runUntil(() -> accepted[0] != null && connected[0], "accept and connect");
        assertEquals(server, accepted[0].localAddress());
        assertEquals(client.localAddress(), accepted[0].remoteAddress());
        assertEquals(server, client.remoteAddress());
        assertEquals(StandardProtocolFamily.INET, accepted[0].family());
    }

    @Test
    void unixSocketAddressesArePaths() {
        SocketAddress path = unixAddress("addr.sock");
        StreamListener l = net.listen(path);
        assertEquals(path, l.localAddress());
        StreamSocket[] accepted = new StreamSocket[1];
        l.accept((lis, s, st) -> accepted[0] = s);
        StreamSocket client = net.connect(path, (s, st) -> {});
        runUntil(() -> accepted[0] != null, "accept");
        assertEquals(path, client.remoteAddress());
        assertEquals(UnixDomainSocketAddress.of(""), client.localAddress(), "an unbound client is unnamed");
    }

    @Test
    void socketPairTalksBothWays() {
        StreamSocket[] pair = net.socketPair();
        byte[][] got = new byte[2][];
        for (int i = 0; i < 2; i++) {
            int me = i;
            pair[i].recv((s, data, n) -> {
                if (n == Status.ECANCELED) return;
                assertNotNull(data);
                got[me] = data.toArray();
                data.release();
                s.stopRecv();
            });
        }
        pair[0].send("ping".getBytes(), 0, 4, null);
        pair[1].send("pong".getBytes(), 0, 4, null);
        runUntil(() -> got[0] != null && got[1] != null, "both messages");
        assertEquals("pong", new String(got[0]));
        assertEquals("ping", new String(got[1]));
    }
}
