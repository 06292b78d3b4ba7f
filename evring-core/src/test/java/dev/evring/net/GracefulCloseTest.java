package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StreamSocket#closeGracefully}: everything queued goes out, the peer sees the end, the fd closes; a timeout
 * bounds it. Issue 9 defect 11: the README's echo server closed with close() at end of stream and cancelled its
 * queued echoes, so a client that sent 2 MiB and half-closed got 32 KB to 1.2 MB back.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class GracefulCloseTest extends NetTestBase {

    /** A client: sends {@code payload}, half-closes, collects the echo until the server's end of stream. */
    final class HalfClosingClient {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        int end = 1;

        HalfClosingClient(StreamListener server, byte[] payload) {
            net.connect(server.localAddress(), (s, st) -> {
                assertEquals(0, st, Status.describe(st));
                s.recv((sock, d, n) -> {
                    if (d != null) {
                        got.write(d.toArray(), 0, n);
                        d.release();
                    } else {
                        end = n;
                        if (sock.isOpen()) sock.close();
                    }
                });
                sendFrom(s, payload, 0);
            });
        }

        /** One piece at a time, the next when the last is written, so the general pool never runs dry. */
        private void sendFrom(StreamSocket s, byte[] payload, int off) {
            if (off == payload.length) {
                s.shutdown(null);
                return;
            }
            int n = Math.min(60_000, payload.length - off);
            s.send(payload, off, n, (sock, st) -> {
                assertEquals(n, st, Status.describe(st));
                sendFrom(sock, payload, off + n);
            });
        }
    }

    @Override
    Net openNet() {
        return Net.builder(loop).buffers(1024, 16384).open();
    }

    @Test
    void theReadmeEchoServerReturnsEverythingToClientsThatHalfClose() {
        StreamListener server = readmeEchoServer();
        List<HalfClosingClient> clients = new ArrayList<>();
        byte[][] payloads = new byte[8][];
        for (int i = 0; i < payloads.length; i++) {
            payloads[i] = pattern(2 << 20, i);
            clients.add(new HalfClosingClient(server, payloads[i]));
        }
        runUntil(() -> clients.stream().allMatch(c -> c.end != 1), 60, "every client's end of stream");
        for (int i = 0; i < payloads.length; i++) {
            assertEquals(0, clients.get(i).end, "client " + i + " ended with " + Status.describe(clients.get(i).end));
            assertEquals(payloads[i].length, clients.get(i).got.size(), "client " + i + " got its 2 MiB back");
            assertArrayEquals(payloads[i], clients.get(i).got.toByteArray(), "client " + i);
        }
        runFor(20);
        assertEquals(0, net.stats().recvBuffersHeld(), "nothing held after the closes");
    }

    @Test
    void aGracefulCloseTakesNoMoreSendsAndReportsOnceClosed() {
        StreamSocket[] pair = net.socketPair();
        Collector peer = new Collector();
        pair[1].recv(peer);
        List<Integer> sendStatuses = new ArrayList<>();
        for (int i = 0; i < 3; i++) pair[0].send(net.allocate().put(new byte[] {(byte) i}), (s, st) -> sendStatuses.add(st));
        int[] closed = {1};
        pair[0].closeGracefully(Duration.ofSeconds(5), (s, st) -> closed[0] = st);
        assertThrows(IllegalStateException.class, () -> pair[0].send(new byte[1], 0, 1, null), "no sends once closing");
        assertThrows(IllegalStateException.class, () -> pair[0].shutdown(null));
        pair[0].closeGracefully(Duration.ofSeconds(5), (s, st) -> closed[0] = -999); // a second call does nothing
        runUntil(() -> peer.ended, "the peer's end of stream");
        pair[1].close(); // the peer closes its side: the lingering close ends
        runUntil(() -> closed[0] != 1, "the graceful close's callback");
        assertEquals(0, closed[0], Status.describe(closed[0]));
        assertEquals(List.of(1, 1, 1), sendStatuses);
        assertArrayEquals(new byte[] {0, 1, 2}, peer.bytes.toByteArray());
        assertTrue(!pair[0].isOpen());
    }

    @Test
    void aRunningReceiveEndsFirstAndWhatThePeerStillSendsIsDropped() {
        StreamSocket[] pair = net.socketPair();
        List<Integer> ends = new ArrayList<>();
        pair[0].recv((s, d, n) -> {
            if (d != null) d.release();
            else ends.add(n);
        });
        Collector peer = new Collector();
        pair[1].recv(peer);
        runFor(10);
        int[] closed = {1};
        pair[0].closeGracefully(Duration.ofSeconds(5), (s, st) -> closed[0] = st);
        runUntil(() -> peer.ended, "the peer's end of stream");
        for (int i = 0; i < 20; i++) pair[1].send(new byte[1000], 0, 1000, null); // read and dropped by the close
        runFor(20);
        assertTrue(closed[0] == 1, "still lingering while the peer sends: " + closed[0]);
        pair[1].shutdown(null);
        runUntil(() -> closed[0] != 1, "the graceful close's callback");
        assertEquals(0, closed[0]);
        assertEquals(List.of(Status.ECANCELED), ends, "the application's receive ended with ECANCELED, once");
    }

    @Test
    void aTimeoutClosesAtOnceAndCancelsWhatIsStillQueued() {
        StreamSocket[] pair = net.socketPair(); // the peer never reads: the sends cannot all go out
        List<Integer> sendStatuses = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Buffer b = net.allocate();
            b.put(pattern(b.capacity(), i));
            pair[0].send(b, (s, st) -> sendStatuses.add(st));
        }
        int[] closed = {1};
        pair[0].closeGracefully(Duration.ofMillis(100), (s, st) -> closed[0] = st);
        runUntil(() -> closed[0] != 1, "the graceful close's timeout");
        assertEquals(Status.ETIMEDOUT, closed[0], Status.describe(closed[0]));
        assertTrue(!pair[0].isOpen());
        runUntil(() -> sendStatuses.size() == 200, "every send's final callback");
        assertTrue(sendStatuses.contains(Status.ECANCELED), "what could not go out was cancelled");
        pair[1].close();
    }

    @Test
    void closeDuringAGracefulCloseClosesAtOnceAndReportsEcanceled() {
        StreamSocket[] pair = net.socketPair();
        int[] closed = {1};
        pair[0].closeGracefully(Duration.ofSeconds(5), (s, st) -> closed[0] = st);
        runFor(10); // lingering: the peer has not ended its side
        pair[0].close();
        runUntil(() -> closed[0] != 1, "the graceful close's callback");
        assertEquals(Status.ECANCELED, closed[0]);
        pair[1].close();
    }
}
