package dev.evring.net;

import dev.evring.ErrnoException;
import dev.evring.linux.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Datagram receives under the conditions that break them: a datagram longer than a buffer, many peers at once, the
 * pool running dry (and a socket at its share), a close while the receive is armed (and the fd's next owner), and the
 * readiness-style calls' failures. On every variant, among them {@code net.udp_multishot=true} (multishot RECVMSG over
 * the receive pool's buffer ring).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#datagrams")
class DatagramReceiveTest extends NetTestBase {

    /** A Net of {@code count} x {@code size} buffers in both pools, with the given share. */
    private void reopen(int count, int size, int share) {
        net.close();
        net = Net.builder(loop).recvBuffers(count, size).buffers(count, size).recvShare(share).open();
    }

    /** Whether this Net receives datagrams with multishot RECVMSG: the kernel's header and the address share the buffer. */
    private boolean multishot() {
        return net.stats().features().contains("multishot recvmsg");
    }

    /** Every buffer of both pools is back (nothing held, nothing lent); the stats, for more checks. */
    private NetStats assertBuffersBack() {
        NetStats st = net.stats();
        assertEquals(0, st.recvBuffersHeld() + st.recvBuffersLent() + st.buffersHeld() + st.buffersLent(), "buffers not back: " + st);
        return st;
    }

    private static void sendFrom(DatagramSocket s, SocketAddress to, byte[] data) throws Exception {
        s.send(new DatagramPacket(data, data.length, to));
    }

    @Test
    void aLongDatagramIsDeliveredTruncatedToTheBufferAndTheNextOneWhole() throws Exception {
        reopen(8, 1024, 8);
        UdpSocket server = net.bindUdp(loopback4());
        List<byte[]> got = new ArrayList<>();
        List<SocketAddress> from = new ArrayList<>();
        server.recvFrom((s, data, n) -> {
            if (data == null) return;
            got.add(data.toArray());
            from.add(data.sender());
            data.release();
        });
        runFor(5);
        byte[] big = pattern(3000, 7);
        byte[] small = pattern(5, 9);
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            sendFrom(client, server.localAddress(), big);
            sendFrom(client, server.localAddress(), small);
            runUntil(() -> got.size() == 2, "two datagrams");
            int room = multishot() ? 1024 - 16 - 28 : 1024; // io_uring_recvmsg_out and a sockaddr_in6 come first there
            assertArrayEquals(Arrays.copyOf(big, room), got.get(0), "the long datagram, cut at the buffer's room (" + room + ")");
            assertArrayEquals(small, got.get(1), "the next datagram, whole");
            assertEquals(client.getLocalSocketAddress(), from.get(0));
            assertEquals(client.getLocalSocketAddress(), from.get(1));
        }
        server.close();
        runFor(5);
        NetStats st = assertBuffersBack();
        assertEquals(0, st.staleCompletions(), "nothing dropped as malformed: " + st);
    }

    @Test
    void manyPeersEachGetTheirOwnEchoesInOrder() {
        UdpSocket server = net.bindUdp(loopback4());
        List<SocketAddress> senders = new ArrayList<>();
        server.recvFrom((s, data, n) -> {
            if (data == null) return;
            senders.add(data.sender());
            s.reply(data, data, null);
        });
        int peers = 64, rounds = 10;
        UdpSocket[] clients = new UdpSocket[peers];
        List<List<String>> got = new ArrayList<>();
        for (int i = 0; i < peers; i++) {
            int c = i;
            got.add(new ArrayList<>());
            clients[i] = net.bindUdp(loopback4());
            clients[i].recvFrom((s, data, n) -> {
                if (data == null) return;
                String m = data.toString(StandardCharsets.US_ASCII);
                assertEquals(server.localAddress(), data.sender());
                data.release();
                got.get(c).add(m);
                int k = got.get(c).size();
                if (k < rounds) s.sendTo(net.allocate().put(("peer " + c + " #" + k).getBytes(StandardCharsets.US_ASCII)), server.localAddress(), null);
            });
        }
        for (int i = 0; i < peers; i++) {
            clients[i].sendTo(net.allocate().put(("peer " + i + " #0").getBytes(StandardCharsets.US_ASCII)), server.localAddress(), null);
        }
        runUntil(() -> got.stream().allMatch(l -> l.size() == rounds), "every peer's " + rounds + " echoes");
        for (int i = 0; i < peers; i++) {
            List<String> want = new ArrayList<>();
            for (int k = 0; k < rounds; k++) want.add("peer " + i + " #" + k);
            assertEquals(want, got.get(i), "peer " + i + "'s echoes");
        }
        Set<SocketAddress> distinct = new HashSet<>(senders);
        assertEquals(peers, distinct.size(), "the server saw each peer as its sender");
        for (UdpSocket c : clients) assertTrue(distinct.contains(c.localAddress()), c + " was a sender");
        assertEquals(0, net.stats().staleCompletions());
    }

    /**
     * The pool runs dry (share 0) or the socket reaches its share (2 of 4): the datagrams wait in the socket, none is
     * lost, none delivered twice, and receiving goes on once buffers come back.
     */
    @Test
    void aPoolRunningDryOrAShareReachedMakesDatagramsWaitNotVanish() throws Exception {
        for (int share : new int[] {0, 2}) {
            reopen(4, 2048, share);
            UdpSocket server = net.bindUdp(loopback4());
            List<Buffer> held = new ArrayList<>();
            List<Integer> seen = new ArrayList<>();
            List<Integer> ends = new ArrayList<>();
            server.recvFrom((s, data, n) -> {
                if (data == null) {
                    ends.add(n);
                    return;
                }
                seen.add(data.get(0) & 0xFF);
                held.add(data); // kept: the pool (or the share) runs out
            });
            runFor(5);
            int total = 12;
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                for (int i = 0; i < total; i++) sendFrom(client, server.localAddress(), new byte[] {(byte) i, 1, 2, 3});
                int limit = share == 0 ? 4 : 4; // never more than the pool; a share of 2 may be overshot by CQEs in flight
                runUntil(() -> held.size() >= (share == 0 ? 4 : 2), "the first datagrams");
                runFor(30);
                assertTrue(held.size() <= limit && seen.size() < total, "held " + held.size() + " of a pool of 4, share " + share);
                NetStats st = net.stats();
                // (a multishot receive may overshoot a share by what the kernel filled before the loop saw the
                // first: here the whole pool, and then it waits for the pool as at share 0)
                assertTrue(st.recvBufferWaits() + st.bufferWaits() + (share == 0 ? 0 : st.recvSharePauses()) > 0,
                        "the receive waited (share " + share + "): " + st);
                if (share > 0 && !multishot()) assertTrue(st.recvSharePauses() > 0, "paused at its share: " + st);
                while (seen.size() < total) {
                    for (Buffer b : held) b.release();
                    held.clear();
                    runUntil(() -> !held.isEmpty() || seen.size() == total, "more datagrams once buffers came back");
                }
            }
            List<Integer> want = new ArrayList<>();
            for (int i = 0; i < total; i++) want.add(i);
            assertEquals(want, seen, "every datagram once, in order (share " + share + ")");
            assertEquals(List.of(), ends, "the receive did not end");
            for (Buffer b : held) b.release();
            held.clear();
            runFor(10);
            assertReceivePoolSettled();
            server.close();
            runUntil(() -> ends.size() == 1, "the receive's end");
            assertEquals(List.of(Status.ECANCELED), ends);
        }
    }

    @Test
    void closingWhileArmedEndsTheReceiveOnceAndTheFdsNextOwnerGetsOnlyItsOwnDatagrams() {
        UdpSocket old = net.bindUdp(loopback4());
        List<String> oldGot = new ArrayList<>();
        List<Integer> oldEnds = new ArrayList<>();
        old.recvFrom((s, data, n) -> {
            if (data == null) {
                oldEnds.add(n);
                return;
            }
            oldGot.add(data.toString(StandardCharsets.US_ASCII));
            data.release();
        });
        runFor(10); // armed in the kernel
        old.close();
        UdpSocket fresh = net.bindUdp(loopback4()); // most likely the same fd number
        List<String> freshGot = new ArrayList<>();
        fresh.recvFrom((s, data, n) -> {
            if (data == null) return;
            freshGot.add(data.toString(StandardCharsets.US_ASCII));
            data.release();
        });
        UdpSocket sender = net.bindUdp(loopback4());
        for (int i = 0; i < 5; i++) {
            sender.sendTo(net.allocate().put(("to fresh " + i).getBytes(StandardCharsets.US_ASCII)), fresh.localAddress(), null);
        }
        runUntil(() -> freshGot.size() == 5 && oldEnds.size() == 1, "the fresh socket's datagrams and the old receive's end");
        runFor(10);
        assertEquals(List.of(Status.ECANCELED), oldEnds, "the closed socket's receive ends once");
        assertEquals(List.of(), oldGot, "nothing for the closed socket");
        assertEquals(List.of("to fresh 0", "to fresh 1", "to fresh 2", "to fresh 3", "to fresh 4"), freshGot);
        fresh.close();
        sender.close();
        runFor(10);
        NetStats st = assertBuffersBack();
        assertEquals(0, st.operationsRunning(), "operations running: " + st);
    }

    /**
     * A burst of datagrams queued in one go (on io_uring they leave by sendmmsg, {@code net.udp_send_batch}): all
     * arrive, in order, each callback in call order with its own status; one that fails (a broadcast address without
     * SO_BROADCAST: EACCES) fails alone and the ones behind it go.
     */
    @Test
    void aBurstOfDatagramsLeavesInOrderAndAFailureStaysItsOwn() {
        UdpSocket a = net.bindUdp(loopback4());
        UdpSocket b = net.bindUdp(loopback4());
        List<Integer> got = new ArrayList<>();
        b.recvFrom((s, data, n) -> {
            if (data == null) return;
            got.add(data.get(0) & 0xFF);
            data.release();
        });
        runFor(5);
        int total = 100, bad = 40;
        List<Integer> statuses = new ArrayList<>();
        InetSocketAddress broadcast = new InetSocketAddress("255.255.255.255", 9);
        for (int i = 0; i < total; i++) {
            a.sendTo(net.allocate().put(new byte[] {(byte) i, 1, 2}), i == bad ? broadcast : b.localAddress(), (s, st) -> statuses.add(st));
        }
        runUntil(() -> statuses.size() == total && got.size() == total - 1, "every callback and " + (total - 1) + " datagrams");
        List<Integer> wantStatus = new ArrayList<>();
        List<Integer> wantGot = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            wantStatus.add(i == bad ? -Errno.EACCES : 3);
            if (i != bad) wantGot.add(i);
        }
        assertEquals(wantStatus, statuses, "each datagram's own status, in call order");
        assertEquals(wantGot, got, "the datagrams, in order");
        NetStats st = net.stats();
        assertTrue(st.buffersHeld() == 0 && st.buffersLent() <= 1, "general buffers not back (but the armed receive's): " + st);
    }

    /**
     * The readiness-style calls report a failure as a status, as the stream sockets' do, and the completion sendTo
     * reports the same errno to its callback: a datagram too long for UDP (EMSGSIZE), a broadcast address without
     * SO_BROADCAST (EACCES). {@code send} (the boolean form) throws it.
     */
    @Test
    void readinessStyleCallsReportFailuresAsStatuses() {
        reopen(4, 70_000, 4);
        UdpSocket u = net.bindUdp(loopback4());
        Buffer in = net.allocate();
        assertEquals(-1, u.receive(in), "nothing waiting");
        in.release();
        Buffer tooLong = net.allocate().put(new byte[66_000]);
        assertEquals(Status.EMSGSIZE, u.trySend(tooLong, u.localAddress()));
        ErrnoException e = assertThrows(ErrnoException.class, () -> u.send(tooLong, u.localAddress()));
        assertEquals(Errno.EMSGSIZE, e.errno());
        Buffer one = net.allocate().put((byte) 1);
        InetSocketAddress broadcast = new InetSocketAddress("255.255.255.255", 9);
        assertEquals(-Errno.EACCES, u.trySend(one, broadcast));
        assertEquals(1, u.trySend(one, u.localAddress()), "a datagram to itself");
        runFor(5);
        Buffer back = net.allocate();
        assertEquals(1, u.receive(back));
        assertEquals(u.localAddress(), back.sender());
        back.release();
        List<Integer> statuses = new ArrayList<>();
        u.sendTo(tooLong, u.localAddress(), (s, st) -> statuses.add(st));
        u.sendTo(one, broadcast, (s, st) -> statuses.add(st));
        runUntil(() -> statuses.size() == 2, "both sendTo callbacks");
        assertEquals(List.of(Status.EMSGSIZE, -Errno.EACCES), statuses, "the callbacks get the errno, in order");
    }
}
