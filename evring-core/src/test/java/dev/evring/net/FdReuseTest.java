package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An fd number names a file only until it is closed. For every operation kind that names an fd: start operations
 * (some already in the kernel, some prepared and not yet submitted, some queued behind), close the handle, open a new
 * file at once that gets the same number, and check byte for byte that nothing of the old handle reaches the new
 * file, and that every operation of the old handle ends with ECANCELED (or the result it had before the close).
 * The test code runs on the loop thread between iterations, so what it starts is prepared, not yet submitted, when it
 * closes: the case that sent another connection's bytes into a new socket (issue 9 defect 1).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#datagrams")
class FdReuseTest extends NetTestBase {

    @Override
    Net openNet() {
        return Net.builder(loop).buffers(1024, 16384).open();
    }

    private static final byte[] OLD = "OLD-DATA-OF-THE-CLOSED-HANDLE".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEW = "new-data".getBytes(StandardCharsets.US_ASCII);

    private static void assertReused(int oldFd, int newFd, String what) {
        assertEquals(oldFd, newFd, what + " did not get the closed handle's number: the test would prove nothing");
    }

    /** Closes {@code old} and makes a new socket pair at once, whose first socket takes the closed number. */
    private StreamSocket[] closeAndReuse(StreamSocket old) {
        int oldFd = old.fd();
        old.close();
        StreamSocket[] fresh = net.socketPair();
        assertReused(oldFd, fresh[0].fd(), "the new socket");
        return fresh;
    }

    private static void assertAll(List<Integer> statuses, int expected, String what) {
        for (int st : statuses) assertEquals(expected, st, what + ": " + statuses);
    }

    @Test
    void sendsPreparedInFlightAndQueuedNeverReachTheNewSocket() {
        StreamSocket[] old = net.socketPair();
        List<Integer> statuses = new ArrayList<>();
        // in flight: more than the socket buffer takes, so on io_uring the head send waits in the kernel
        byte[] big = new byte[4 << 20];
        java.util.Arrays.fill(big, (byte) 'O');
        old[0].send(big, 0, big.length, (s, st) -> statuses.add(st));
        runFor(20);
        // queued behind it, and one more prepared now
        for (int i = 0; i < 4; i++) old[0].send(net.allocate().put(OLD), (s, st) -> statuses.add(st));
        StreamSocket[] fresh = closeAndReuse(old[0]);
        Collector peer = new Collector();
        fresh[1].recv(peer);
        fresh[0].send(net.allocate().put(NEW), null);
        runUntil(() -> statuses.size() == 5, "the final callbacks of the old sends");
        runFor(50);
        assertArrayEquals(NEW, peer.bytes.toByteArray(), "the new socket's peer got exactly what the new socket sent");
        for (int i = 1; i < 5; i++) assertEquals(Status.ECANCELED, statuses.get(i), "queued send " + i + ": " + statuses);
        assertTrue(statuses.get(0) == Status.ECANCELED || statuses.get(0) == big.length, "the big send: " + statuses);
        old[1].close();
    }

    @Test
    void aSendPreparedAloneIsCancelledNotSentToTheNewSocket() {
        StreamSocket[] old = net.socketPair();
        int[] status = {1};
        old[0].send(net.allocate().put(OLD), (s, st) -> status[0] = st);
        StreamSocket[] fresh = closeAndReuse(old[0]);
        Collector peer = new Collector();
        fresh[1].recv(peer);
        runUntil(() -> status[0] != 1, "the old send's final callback");
        runFor(30);
        assertEquals(0, peer.bytes.size(), "the new socket's peer got the old socket's bytes: " + peer.bytes);
        // on epoll and poll the send was written at once, before the close: it reports what it did
        assertTrue(status[0] == Status.ECANCELED || status[0] == OLD.length, Status.describe(status[0]));
        old[1].close();
    }

    @Test
    void receivesPreparedOrArmedNeverTakeTheNewSocketsBytes() {
        for (boolean armed : new boolean[] {false, true}) {
            StreamSocket[] old = net.socketPair();
            Collector oldRecv = new Collector();
            old[0].recv(oldRecv);
            if (armed) runFor(10); // submitted: the receive is armed in the kernel
            StreamSocket[] fresh = closeAndReuse(old[0]);
            // the new socket's bytes are there before the next submission (a readiness-style write runs at once):
            // an old receive reaching the new socket would take them
            assertEquals(NEW.length, fresh[1].write(NEW, 0, NEW.length));
            Collector newRecv = new Collector();
            fresh[0].recv(newRecv);
            runUntil(() -> newRecv.bytes.size() == NEW.length, "the new socket's bytes (armed " + armed + ")");
            runUntil(() -> !oldRecv.statuses.isEmpty(), "the old receive's end");
            assertArrayEquals(NEW, newRecv.bytes.toByteArray());
            assertEquals(0, oldRecv.bytes.size(), "the old receive got bytes of the new socket");
            assertAll(oldRecv.statuses, Status.ECANCELED, "the old receive (armed " + armed + ")");
            old[1].close();
            fresh[0].close();
            fresh[1].close();
        }
    }

    @Test
    void anAcceptPreparedOnAClosedListenerStealsNoConnectionOfTheNewOne() {
        StreamListener old = net.listen(loopback4());
        List<Integer> oldStatuses = new ArrayList<>();
        old.accept((l, s, st) -> {
            oldStatuses.add(st);
            if (s != null) s.close();
        });
        int oldFd = old.fd();
        old.close();
        StreamListener fresh = net.listen(loopback4());
        assertReused(oldFd, fresh.fd(), "the new listener");
        List<StreamSocket> accepted = new ArrayList<>();
        fresh.accept((l, s, st) -> {
            if (s != null) accepted.add(s);
        });
        int[] connected = {1};
        net.connect(fresh.localAddress(), (s, st) -> connected[0] = st);
        runUntil(() -> accepted.size() == 1 && connected[0] == 0, "the new listener's connection");
        runUntil(() -> !oldStatuses.isEmpty(), "the old accept's end");
        runFor(20);
        assertEquals(1, accepted.size());
        assertAll(oldStatuses, Status.ECANCELED, "the old accept");
    }

    @Test
    void aConnectPreparedOnAClosedSocketDoesNotConnectTheNewOne() {
        StreamListener target = net.listen(loopback4());
        target.accept((l, s, st) -> {
            if (s != null) s.close();
        });
        StreamSocket old = net.openStream(java.net.StandardProtocolFamily.INET);
        int[] status = {1};
        old.connect(target.localAddress(), (s, st) -> status[0] = st);
        int oldFd = old.fd();
        old.close();
        StreamSocket fresh = net.openStream(java.net.StandardProtocolFamily.INET);
        assertReused(oldFd, fresh.fd(), "the new socket");
        runUntil(() -> status[0] != 1, "the old connect's end");
        runFor(30);
        // on epoll and poll connect(2) ran when started, before the close (the listener may have accepted it then)
        assertTrue(status[0] == Status.ECANCELED || !variant.name().startsWith("io_uring") || variant.name().contains("readiness"),
                Status.describe(status[0]));
        assertNull(fresh.remoteAddress(), "the new socket was connected by the old connect");
    }

    @Test
    void aShutdownPreparedOnAClosedSocketDoesNotHalfCloseTheNewOne() {
        StreamSocket[] old = net.socketPair();
        int[] status = {1};
        old[0].shutdown((s, st) -> status[0] = st);
        StreamSocket[] fresh = closeAndReuse(old[0]);
        Collector peer = new Collector();
        fresh[1].recv(peer);
        runUntil(() -> status[0] != 1, "the old shutdown's end");
        runFor(30);
        fresh[0].send(NEW, 0, NEW.length, null);
        runUntil(() -> peer.bytes.size() == NEW.length, "the new socket's bytes");
        runFor(20);
        assertTrue(peer.statuses.isEmpty(), "the new socket's peer saw an end of stream it was never sent: " + peer.statuses);
        assertArrayEquals(NEW, peer.bytes.toByteArray());
        assertTrue(status[0] == Status.ECANCELED || status[0] == 0, Status.describe(status[0]));
        old[1].close();
    }

    /**
     * A graceful close cut short: the half-close went out (on io_uring IORING_OP_SHUTDOWN would have gone to an io-wq
     * worker, which looks the fd number up only when it runs), then close() closed the number and a new socket took
     * it. The new socket must never be half-closed. Many rounds, since a worker that runs late is what it takes.
     */
    @Test
    void aShutdownStartedBeforeACloseNeverHalfClosesTheSocketThatTakesTheNumber() {
        for (int round = 0; round < 40; round++) {
            StreamSocket[] old = net.socketPair();
            int[] status = {1};
            old[0].shutdown((s, st) -> status[0] = st);
            loop.runNoWait(); // the shutdown starts (submitted, on io_uring)
            StreamSocket[] fresh = closeAndReuse(old[0]);
            Collector peer = new Collector();
            fresh[1].recv(peer);
            runFor(2);
            fresh[0].send(NEW, 0, NEW.length, null);
            runUntil(() -> peer.bytes.size() == NEW.length || !peer.statuses.isEmpty(), "the new socket's bytes");
            assertTrue(peer.statuses.isEmpty(), "round " + round + ": the new socket's peer saw an end of stream it was never sent: "
                    + peer.statuses);
            assertArrayEquals(NEW, peer.bytes.toByteArray());
            assertTrue(status[0] == Status.ECANCELED || status[0] == 0 || status[0] == 1, Status.describe(status[0]));
            old[1].close();
            fresh[0].close();
            fresh[1].close();
        }
    }

    @Test
    void fileReadsAndWritesPreparedOnAClosedFileNeverTouchTheNewOne() throws Exception {
        Path dir = Files.createTempDirectory("evring-fdreuse");
        Path oldPath = dir.resolve("old");
        Path newPath = dir.resolve("new");
        Files.write(oldPath, OLD);
        Files.write(newPath, NEW);
        try {
            AsyncFile old = net.openFile(oldPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
            int[] writeStatus = {1};
            List<Integer> readStatuses = new ArrayList<>();
            List<byte[]> readData = new ArrayList<>();
            old.write(0, net.allocate().put(OLD).put(OLD), (f, st) -> writeStatus[0] = st);
            old.read(0, net.allocate(), (f, data, n) -> {
                readStatuses.add(n);
                if (data != null) {
                    readData.add(data.toArray());
                    data.release();
                }
            });
            int oldFd = old.fd();
            old.close();
            AsyncFile fresh = net.openFile(newPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
            assertReused(oldFd, fresh.fd(), "the new file");
            runUntil(() -> writeStatus[0] != 1 && !readStatuses.isEmpty(), "the old read's and write's ends");
            runFor(20);
            fresh.close();
            assertArrayEquals(NEW, Files.readAllBytes(newPath), "the new file was written by the old handle's write");
            for (byte[] d : readData) {
                assertTrue(!new String(d, StandardCharsets.US_ASCII).contains("new-data"),
                        "the old handle's read returned the new file's data");
            }
            // on epoll and poll file I/O runs when started (before the close): it reports what it did
            int r = readStatuses.get(0);
            assertTrue(r == Status.ECANCELED || r >= 0, Status.describe(r));
            assertTrue(writeStatus[0] == Status.ECANCELED || writeStatus[0] == 2 * OLD.length, Status.describe(writeStatus[0]));
        } finally {
            Files.deleteIfExists(oldPath);
            Files.deleteIfExists(newPath);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void datagramsPreparedOnAClosedSocketNeitherLeaveFromNorArriveAtTheNewOne() {
        UdpSocket target = net.bindUdp(loopback4());
        List<byte[]> atTarget = new ArrayList<>();
        List<java.net.SocketAddress> senders = new ArrayList<>();
        target.recvFrom((s, data, n) -> {
            if (data != null) {
                atTarget.add(data.toArray());
                senders.add(data.sender());
                data.release();
            }
        });
        runFor(10);
        // a sendTo prepared on the old socket must not leave from the new one
        UdpSocket old = net.bindUdp(loopback4());
        int[] sendStatus = {1};
        List<Integer> oldRecv = new ArrayList<>();
        old.recvFrom((s, data, n) -> {
            oldRecv.add(n);
            if (data != null) data.release();
        });
        old.sendTo(net.allocate().put(OLD), target.localAddress(), (s, st) -> sendStatus[0] = st);
        int oldFd = old.fd();
        old.close();
        UdpSocket fresh = net.bindUdp(loopback4());
        assertReused(oldFd, fresh.fd(), "the new socket");
        List<byte[]> atFresh = new ArrayList<>();
        fresh.recvFrom((s, data, n) -> {
            if (data != null) {
                atFresh.add(data.toArray());
                data.release();
            }
        });
        UdpSocket sender = net.bindUdp(loopback4());
        sender.sendTo(net.allocate().put(NEW), fresh.localAddress(), null);
        runUntil(() -> atFresh.size() == 1, "the new socket's datagram");
        runUntil(() -> sendStatus[0] != 1 && !oldRecv.isEmpty(), "the old operations' ends");
        runFor(30);
        assertArrayEquals(NEW, atFresh.get(0));
        assertAll(oldRecv, Status.ECANCELED, "the old receive");
        for (int i = 0; i < atTarget.size(); i++) {
            if (sendStatus[0] == Status.ECANCELED) {
                throw new AssertionError("a cancelled sendTo still delivered " + new String(atTarget.get(i), StandardCharsets.US_ASCII));
            }
            // on epoll and poll sendto(2) ran when started, from the old socket; never from the new one
            assertTrue(!senders.get(i).equals(fresh.localAddress()), "the old sendTo left from the new socket");
        }
        assertTrue(sendStatus[0] == Status.ECANCELED || sendStatus[0] == OLD.length, Status.describe(sendStatus[0]));
    }

    @Test
    void closingWithACallbackAlsoLeavesNothingBehind() {
        StreamSocket[] old = net.socketPair();
        Collector oldRecv = new Collector();
        old[0].recv(oldRecv);
        int[] sendStatus = {1};
        old[0].send(net.allocate().put(OLD), (s, st) -> sendStatus[0] = st);
        int[] closed = {1};
        old[0].close((h, st) -> closed[0] = st);
        runUntil(() -> closed[0] != 1, "the asynchronous close");
        assertEquals(0, closed[0]);
        StreamSocket[] fresh = net.socketPair();
        Collector peer = new Collector();
        fresh[1].recv(peer);
        fresh[0].send(NEW, 0, NEW.length, null);
        runUntil(() -> peer.bytes.size() >= NEW.length, "the new socket's bytes");
        runFor(20);
        assertArrayEquals(NEW, peer.bytes.toByteArray());
        assertAll(oldRecv.statuses, Status.ECANCELED, "the old receive");
        assertTrue(sendStatus[0] == Status.ECANCELED || sendStatus[0] == OLD.length, Status.describe(sendStatus[0]));
    }

}
