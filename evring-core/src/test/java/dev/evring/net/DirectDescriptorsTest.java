package dev.evring.net;

import dev.evring.EventLoop;
import dev.evring.linux.EventFd;
import dev.evring.linux.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Direct descriptors ({@code net.direct_descriptors=true}, a file table of two slots here): connections' requests
 * name their slot of the ring's file table, close lets go of it, a full table loses no connection, and a slot comes
 * back for new connections only after the kernel closed it. On every io_uring variant (with the option on); skipped
 * on epoll and poll and on the readiness emulation, which have no ring.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class DirectDescriptorsTest extends NetTestBase {

    @Override
    EventLoop.Builder builder() {
        return super.builder().option("net.direct_descriptors", "true").option("net.direct_descriptors_table", "2");
    }

    private DirectDescriptors table() {
        assumeTrue(net.engine instanceof RingEngine r && r.directDescriptors() != null,
                "no direct descriptors on " + variant + ": " + net.stats().features());
        return ((RingEngine) net.engine).directDescriptors();
    }

    /** Reads what the (non-blocking) client has, into {@code into}; returns false at end of stream. */
    private static boolean drain(SocketChannel c, ByteArrayOutputStream into) {
        try {
            ByteBuffer b = ByteBuffer.allocate(4096);
            int n;
            while ((n = c.read(b)) > 0) {
                into.write(b.array(), 0, n);
                b.clear();
            }
            return n >= 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void echoRound(SocketChannel client, ByteArrayOutputStream got, String text) throws Exception {
        byte[] m = text.getBytes(StandardCharsets.US_ASCII);
        int before = got.size();
        client.write(ByteBuffer.wrap(m));
        runUntil(() -> drain(client, got) && got.size() >= before + m.length, "the echo of " + text);
        byte[] all = got.toByteArray();
        assertArrayEquals(m, java.util.Arrays.copyOfRange(all, before, all.length), "the echo of " + text);
    }

    /**
     * The proof that requests go through the slot and close through it: once the connection's slot is live, its fd
     * number is closed behind the handle's back and given to an eventfd. A request naming the number would hit the
     * eventfd (a 3-byte write to it fails); the echo goes on, so they name the slot. Closing the handle then closes
     * the eventfd (the number's file now) and the slot, whose file was the socket's last reference: the client sees
     * the end of the stream.
     */
    @Test
    void anAcceptedConnectionsRequestsNameItsSlotAndItsCloseEndsTheConnection() throws Exception {
        DirectDescriptors table = table();
        List<StreamSocket> accepted = new ArrayList<>();
        StreamListener l = net.listen(loopback4());
        l.accept((x, s, st) -> {
            if (s == null) return;
            accepted.add(s);
            s.recv((sock, data, n) -> {
                if (n > 0) sock.send(data, null);
            });
        });
        try (SocketChannel client = SocketChannel.open(l.localAddress())) {
            client.configureBlocking(false);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            echoRound(client, got, "one");
            StreamSocket s = accepted.get(0);
            assertTrue(s.directLive, "the accepted connection's slot is live: " + net.stats().features());
            assertEquals(1, table.live(), net.stats().features());
            assertTrue(net.stats().features().contains("direct descriptors (table 2, 1 live"), net.stats().features());

            int number = s.fd();
            assertEquals(0, Unistd.close(net.callState, number));
            int efd = EventFd.eventfd(net.callState, 0, EventFd.EFD_CLOEXEC);
            assertEquals(number, efd, "the eventfd did not get the closed number: the test would prove nothing");
            echoRound(client, got, "two");
            echoRound(client, got, "three");

            s.close(); // close(2) of the number (the eventfd now), and IORING_OP_CLOSE of the slot
            runUntil(() -> !drain(client, got), "the end of the stream once the slot let go of the socket");
            runUntil(() -> table.freeSlots() == 2, "the slot's close");
        } finally {
            l.close();
        }
    }

    /**
     * Eight connections (four pairs) on a table of two: two get slots, six run on their real fds; every byte is
     * echoed. Closed, the slots come back once the kernel closed them, and new connections get them.
     */
    @Test
    void aFullTableLosesNoConnectionAndClosedSlotsComeBack() {
        DirectDescriptors table = table();
        List<StreamSocket[]> pairs = new ArrayList<>();
        List<Collector> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            StreamSocket[] p = net.socketPair();
            pairs.add(p);
            p[0].recv((s, data, n) -> {
                if (n > 0) s.send(data, null);
            });
            Collector c = new Collector();
            got.add(c);
            p[1].recv(c);
        }
        byte[][] sent = new byte[4][];
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 4; i++) {
                byte[] m = pattern(1000 + 300 * i, round * 4 + i);
                pairs.get(i)[1].send(m, 0, m.length, null);
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                if (sent[i] != null) all.writeBytes(sent[i]);
                all.writeBytes(m);
                sent[i] = all.toByteArray();
            }
            runUntil(() -> {
                for (int i = 0; i < 4; i++) if (got.get(i).bytes.size() < sent[i].length) return false;
                return true;
            }, "the echoes");
        }
        for (int i = 0; i < 4; i++) assertArrayEquals(sent[i], got.get(i).bytes.toByteArray(), "pair " + i);
        assertEquals(2, table.live(), net.stats().features());
        assertEquals(6, table.tableFull, net.stats().features());

        for (StreamSocket[] p : pairs) {
            p[0].close();
            p[1].close();
        }
        assertEquals(0, table.inUse());
        runUntil(() -> table.freeSlots() == 2, "the slots' closes");
        StreamSocket[] p = net.socketPair();
        p[0].recv((s, data, n) -> {
            if (n > 0) s.send(data, null);
        });
        Collector c = new Collector();
        p[1].recv(c);
        byte[] m = pattern(5000, 9);
        p[1].send(m, 0, m.length, null);
        runUntil(() -> c.bytes.size() == m.length, "the new pair's echo");
        assertArrayEquals(m, c.bytes.toByteArray());
        assertEquals(2, table.live(), "the new pair got the freed slots: " + net.stats().features());
        assertEquals(0, net.stats().staleCompletions(), net.stats().toString());
        p[0].close();
        p[1].close();
    }
}
