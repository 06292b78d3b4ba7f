package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cancellation of each kind of operation, and timeouts bounding them (linked timeouts on io_uring, timers elsewhere).
 * Every operation ends with exactly one final callback, cancelled ones with ECANCELED, expired ones with ETIMEDOUT.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#datagrams")
class CancelAndTimeoutTest extends NetTestBase {

    /** Connects until some connects stay pending: a listener that never accepts, backlog 1, drops further SYNs. */
    List<StreamSocket> pendingConnects(List<Integer> statuses, Duration timeout, int n) {
        StreamListener l = net.openListener(java.net.StandardProtocolFamily.INET).bind(loopback4()).listen(1);
        SocketAddress full = l.localAddress();
        List<StreamSocket> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StreamSocket s = net.openStream(java.net.StandardProtocolFamily.INET);
            s.connect(full, timeout, (x, st) -> statuses.add(st));
            pending.add(s);
        }
        runFor(100);
        pending.removeIf(s -> s.connectOp == null);
        return pending;
    }

    @Test
    void cancellingAPendingConnectReportsEcanceled() {
        List<Integer> statuses = new ArrayList<>();
        List<StreamSocket> pending = pendingConnects(statuses, null, 6);
        assertFalse(pending.isEmpty(), "a connect to a full backlog stays pending");
        int done = statuses.size();
        StreamSocket s = pending.get(0);
        assertTrue(net.cancel(s.connectOp.id()));
        runUntil(() -> statuses.size() == done + 1, "the cancelled connect to report");
        assertEquals(Status.ECANCELED, statuses.get(done));
    }

    @Test
    void aConnectTimeoutFiresWithEtimedout() {
        List<Integer> statuses = new ArrayList<>();
        List<StreamSocket> pending = pendingConnects(statuses, Duration.ofSeconds(2), 6); // long enough to outlast the 100 ms setup on a loaded machine
        assertFalse(pending.isEmpty(), "a connect to a full backlog stays pending");
        runUntil(() -> statuses.size() == 6, "every connect to end");
        assertTrue(statuses.contains(Status.ETIMEDOUT), "statuses " + statuses);
        for (int st : statuses) assertTrue(st == 0 || st == Status.ETIMEDOUT, Status.describe(st));
    }

    @Test
    void stoppingAcceptReportsEcanceledOnce() {
        StreamListener l = net.listen(loopback4());
        List<Integer> statuses = new ArrayList<>();
        long id = l.accept((lis, s, st) -> statuses.add(st));
        assertTrue(l.isAccepting());
        assertTrue(l.stopAccept());
        assertFalse(l.stopAccept(), "a second stop finds nothing running");
        runUntil(() -> !statuses.isEmpty(), "the cancelled accept to report");
        runFor(20);
        assertEquals(List.of(Status.ECANCELED), statuses);
        assertFalse(net.cancel(id), "a finished operation's id is stale");
        assertFalse(l.isAccepting());
        // and accepting can start again
        l.accept((lis, s, st) -> statuses.add(st));
        net.connect(l.localAddress(), (s, st) -> {});
        runUntil(() -> statuses.size() == 2, "a new accept");
        assertEquals(0, statuses.get(1));
    }

    @Test
    void anAcceptTimeoutFiresWithEtimedout() {
        StreamListener l = net.listen(loopback4());
        List<Integer> statuses = new ArrayList<>();
        long t0 = System.nanoTime();
        l.accept(Duration.ofMillis(100), (lis, s, st) -> statuses.add(st));
        runUntil(() -> !statuses.isEmpty(), "the accept timeout");
        assertEquals(List.of(Status.ETIMEDOUT), statuses);
        assertTrue(System.nanoTime() - t0 >= 90_000_000L, "not before its time");
    }

    @Test
    void stoppingRecvReportsEcanceled() {
        StreamSocket[] pair = net.socketPair();
        List<Integer> statuses = new ArrayList<>();
        pair[0].recv((s, d, n) -> statuses.add(n));
        runFor(10);
        assertTrue(pair[0].stopRecv());
        runUntil(() -> !statuses.isEmpty(), "the cancelled recv");
        assertEquals(List.of(Status.ECANCELED), statuses);
        assertFalse(pair[0].isReceiving());
    }

    @Test
    void anIdleRecvTimeoutFiresOnlyWhenNoDataComes() {
        StreamSocket[] pair = net.socketPair();
        List<Integer> statuses = new ArrayList<>();
        // a second of idleness ends it: a loaded machine may delay the feeder's 50 ms ticks, never by that much
        pair[0].recv(Duration.ofSeconds(1), (s, d, n) -> {
            statuses.add(n);
            if (d != null) d.release();
        });
        // data every 50 ms keeps it alive, then silence lets it expire
        int[] sent = {0};
        dev.evring.TimerWatcher feeder = loop.timer(50_000_000L, 50_000_000L, (w, ev) -> {
            if (sent[0]++ < 4) pair[1].send("x".getBytes(), 0, 1, null);
            else w.stop();
        });
        feeder.start();
        runUntil(() -> statuses.contains(Status.ETIMEDOUT), "the idle timeout");
        assertEquals(List.of(1, 1, 1, 1, Status.ETIMEDOUT), statuses);
    }

    /**
     * A connected pair whose sender has a tiny send buffer, so a few hundred kB of sends fill the path when the receiver
     * does not read (the receiver keeps its default buffer: a tiny receive window would make TCP slow to reopen it).
     */
    StreamSocket[] cloggedPair() {
        StreamListener l = net.listen(loopback4());
        StreamSocket[] accepted = new StreamSocket[1];
        l.accept((lis, s, st) -> {
            if (st == 0) accepted[0] = s;
        });
        StreamSocket client = net.openStream(java.net.StandardProtocolFamily.INET);
        client.setOption(StandardSocketOptions.SO_SNDBUF, 4096);
        boolean[] connected = {false};
        client.connect(l.localAddress(), (s, st) -> connected[0] = st == 0);
        runUntil(() -> connected[0] && accepted[0] != null, "the connection");
        return new StreamSocket[] {client, accepted[0]};
    }

    @Test
    void cancellingQueuedAndInProgressSendsReportsEcanceled() {
        StreamSocket[] pair = cloggedPair();
        List<String> events = new ArrayList<>();
        long[] ids = new long[24];
        for (int i = 0; i < ids.length; i++) {
            int k = i;
            Buffer b = net.allocate();
            b.put(pattern(b.capacity(), i));
            ids[i] = pair[0].send(b, (s, st) -> events.add(k + ":" + Status.name(st)));
        }
        runFor(50);
        int sentBefore = events.size();
        assertTrue(sentBefore < ids.length - 2, "the receiver does not read, so sends must be waiting: " + events);
        int head = sentBefore;          // in progress (blocked)
        int last = ids.length - 1;      // queued behind it
        assertTrue(net.cancel(ids[last]), "a queued send is cancellable");
        assertTrue(net.cancel(ids[head]), "the send in progress is cancellable");
        runUntil(() -> events.contains(last + ":ECANCELED") && events.contains(head + ":ECANCELED"), "both cancellations");
        // the receiver reads again: the others go through, and nothing is reported twice
        pair[1].recv((s, d, n) -> {
            if (d != null) d.release();
        });
        runUntil(() -> events.size() == ids.length, "every send to report");
        assertEquals(ids.length, events.stream().map(e -> e.split(":")[0]).distinct().count(), "one report per send: " + events);
    }

    @Test
    void aSendTimeoutFiresWhenThePeerDoesNotRead() {
        StreamSocket[] pair = cloggedPair();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            Buffer b = net.allocate();
            b.put(pattern(b.capacity(), i));
            pair[0].send(b, Duration.ofMillis(100), (s, st) -> statuses.add(st));
        }
        runUntil(() -> statuses.contains(Status.ETIMEDOUT), "a send timeout");
    }

    @Test
    void cancellingAUdpReceiveReportsEcanceled() {
        UdpSocket u = net.bindUdp(loopback4());
        List<Integer> statuses = new ArrayList<>();
        long id = u.recvFrom((s, d, n) -> statuses.add(n));
        runFor(10);
        assertTrue(net.cancel(id));
        runUntil(() -> !statuses.isEmpty(), "the cancelled receive");
        assertEquals(List.of(Status.ECANCELED), statuses);
    }

    @Test
    void aUdpReceiveTimeoutFiresWithEtimedout() {
        UdpSocket u = net.bindUdp(loopback4());
        List<Integer> statuses = new ArrayList<>();
        u.recvFrom(Duration.ofMillis(80), (s, d, n) -> statuses.add(n));
        runUntil(() -> !statuses.isEmpty(), "the receive timeout");
        assertEquals(List.of(Status.ETIMEDOUT), statuses);
    }

    @Test
    void cancellingASendToEndsItOnceEitherWay() {
        UdpSocket a = net.bindUdp(loopback4());
        UdpSocket b = net.bindUdp(loopback4());
        List<Integer> statuses = new ArrayList<>();
        long first = a.sendTo(net.allocate().put((byte) 1), b.localAddress(), (s, st) -> statuses.add(st));
        long second = a.sendTo(net.allocate().put((byte) 2), b.localAddress(), (s, st) -> statuses.add(st));
        boolean c1 = net.cancel(first);
        boolean c2 = net.cancel(second);
        runUntil(() -> statuses.size() == 2, "both sends to report");
        runFor(10);
        assertEquals(2, statuses.size(), "one report each");
        // a datagram is sent in one go: cancelled before, or done; never half of each
        assertCancelledOr(c1, 1, statuses.get(0));
        assertCancelledOr(c2, 1, statuses.get(1));
    }

    /**
     * A cancel that found the operation running may still lose the race with its completion (io_uring: the kernel
     * finished it before the cancel request); one that found it finished must see the result.
     */
    static void assertCancelledOr(boolean cancelled, int result, int status) {
        if (cancelled) assertTrue(status == Status.ECANCELED || status == result, "cancelled: " + Status.describe(status));
        else assertEquals(result, status);
    }

    @Test
    void cancellingFileOperationsEndsThemOnceEitherWay() throws Exception {
        Path f = Files.createTempFile("evring-cancel", ".bin");
        try {
            Files.write(f, pattern(10_000, 1));
            AsyncFile file = net.openFile(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            List<Integer> statuses = new ArrayList<>();
            long r = file.read(0, net.allocate(), (x, d, n) -> {
                statuses.add(n);
                d.release();
            });
            long w = file.write(0, net.allocate().put(pattern(100, 2)), (x, n) -> statuses.add(n));
            boolean cr = net.cancel(r);
            boolean cw = net.cancel(w);
            runUntil(() -> statuses.size() == 2, "both file operations to report");
            assertCancelledOr(cr, 10_000, statuses.get(0));
            assertCancelledOr(cw, 100, statuses.get(1));
            file.close();
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @Test
    void cancellingAnUnknownOrStaleIdIsRefused() {
        assertFalse(net.cancel(0));
        assertFalse(net.cancel(-1));
        assertFalse(net.cancel(Long.MAX_VALUE));
        StreamSocket[] pair = net.socketPair();
        int[] st = {Integer.MIN_VALUE};
        long id = pair[0].send("a".getBytes(), 0, 1, (s, x) -> st[0] = x);
        runUntil(() -> st[0] != Integer.MIN_VALUE, "the send");
        assertEquals(1, st[0]);
        assertFalse(net.cancel(id), "finished");
        long again = pair[0].send("b".getBytes(), 0, 1, null); // may reuse the slot, with a new generation
        assertTrue(again != id);
    }

    /**
     * Issue 9 defect 16: cancel an operation twice, then close its handle (now, or with a callback): each operation
     * still ends with exactly one final callback, ECANCELED (or the result it had), the close callback is the
     * handle's last, and nothing leaks: no operation left running, every pool buffer back, nothing queued. With and
     * without timeouts (on io_uring a timed operation has a linked timeout SQE of its own to end too), with sends in
     * the kernel, half-written and only queued, in both forms (a pool buffer handed over, a copy).
     */
    @Test
    void cancellingTwiceThenClosingEndsEachOperationOnceAndTheCloseLast() {
        for (int round = 0; round < 4; round++) {
            boolean asyncClose = (round & 1) != 0;
            Duration timeout = (round & 2) != 0 ? Duration.ofSeconds(30) : null;
            StreamSocket[] pair = cloggedPair();
            runFor(10);
            NetStats before = net.stats();
            List<String> ends = new ArrayList<>();
            RecvCallback onRecv = (s, d, n) -> {
                if (d != null) d.release();
                else ends.add("recv:" + Status.name(n));
            };
            long recv = timeout == null ? pair[0].recv(onRecv) : pair[0].recv(timeout, onRecv);
            long[] sends = new long[6];
            for (int i = 0; i < sends.length; i++) {
                int k = i;
                CompletionCallback<StreamSocket> done = (s, st) -> ends.add("send" + k + ":" + (st >= 0 ? "OK" : Status.name(st)));
                if (i % 2 == 0) {
                    Buffer b = net.allocate();
                    b.put(pattern(b.capacity(), i));
                    sends[i] = timeout == null ? pair[0].send(b, done) : pair[0].send(b, timeout, done);
                } else {
                    byte[] copy = pattern(20_000, i);
                    sends[i] = pair[0].send(copy, 0, copy.length, done); // copies take no timeout
                }
            }
            runFor(30); // some in the kernel, some queued
            for (long id : new long[] {recv, sends[0], sends[5]}) {
                net.cancel(id);
                assertFalse(net.cancel(id), "a second cancel finds nothing more to do");
            }
            int[] closed = {1};
            if (asyncClose) pair[0].close((h, st) -> {
                closed[0] = st;
                ends.add("close");
            });
            else pair[0].close();
            runUntil(() -> ends.size() == 7 + (asyncClose ? 1 : 0), "every final callback (async close " + asyncClose + ")");
            runFor(30);
            assertEquals(7 + (asyncClose ? 1 : 0), ends.size(), "one final callback each: " + ends);
            assertEquals(1, ends.stream().filter(e -> e.startsWith("recv:")).count(), ends.toString());
            assertTrue(ends.contains("recv:ECANCELED"), ends.toString());
            for (int i = 0; i < sends.length; i++) {
                int k = i;
                assertEquals(1, ends.stream().filter(e -> e.startsWith("send" + k + ":")).count(), ends.toString());
                assertTrue(ends.contains("send" + k + ":ECANCELED") || ends.contains("send" + k + ":OK"), ends.toString());
            }
            if (asyncClose) {
                assertEquals("close", ends.get(ends.size() - 1), "the close callback is the handle's last: " + ends);
                assertEquals(0, closed[0]);
            }
            NetStats after = net.stats();
            assertEquals(before.operationsRunning(), after.operationsRunning(), "operations left running: " + after);
            assertEquals(0, after.buffersHeld() + after.buffersLent(), "general buffers not back: " + after);
            assertEquals(before.buffersFree(), after.buffersFree(), "general buffers free: " + after);
            assertEquals(0, after.recvBuffersHeld() + after.recvBuffersLent(), "receive buffers not back: " + after);
            assertEquals(0, after.sendQueuedBytes(), "bytes still counted as queued: " + after);
            pair[1].close();
        }
    }

    /** The same for the other kinds: accept, a pending connect, a datagram receive, file reads. */
    @Test
    void cancellingTwiceThenClosingEndsEveryKindOnce() throws Exception {
        for (boolean asyncClose : new boolean[] {false, true}) {
            List<String> ends = new ArrayList<>();
            List<IoHandle> handles = new ArrayList<>();
            List<Long> ids = new ArrayList<>();
            StreamListener l = net.listen(loopback4());
            handles.add(l);
            ids.add(l.accept((lis, s, st) -> {
                if (s == null) ends.add("accept:" + Status.name(st));
                else s.close();
            }));
            List<Integer> connects = new ArrayList<>();
            List<StreamSocket> pending = pendingConnects(connects, null, 6);
            assertFalse(pending.isEmpty(), "a connect to a full backlog stays pending");
            StreamSocket c = pending.get(0);
            handles.add(c);
            long cid = c.connectOp.id();
            ids.add(cid);
            int connectsBefore = connects.size();
            UdpSocket u = net.bindUdp(loopback4());
            handles.add(u);
            ids.add(u.recvFrom((s, d, n) -> {
                if (d != null) d.release();
                else ends.add("recvfrom:" + Status.name(n));
            }));
            runFor(10);
            for (long id : ids) {
                assertTrue(net.cancel(id), "running");
                assertFalse(net.cancel(id), "a second cancel finds nothing more to do");
            }
            List<String> closes = new ArrayList<>();
            for (IoHandle h : handles) {
                if (asyncClose) h.close((x, st) -> closes.add(Status.name(st)));
                else h.close();
            }
            runUntil(() -> ends.size() == 2 && connects.size() == connectsBefore + 1
                    && closes.size() == (asyncClose ? 3 : 0), "every final callback (async close " + asyncClose + ")");
            runFor(30);
            assertEquals(List.of("accept:ECANCELED", "recvfrom:ECANCELED"), ends.stream().sorted().toList());
            assertEquals(Status.ECANCELED, connects.get(connectsBefore), "the connect");
            assertEquals(connectsBefore + 1, connects.size(), "one final callback for the connect");
            if (asyncClose) assertEquals(List.of("OK", "OK", "OK"), closes);
            for (StreamSocket p : pending) p.close();
        }
    }

    /**
     * Issue 9 defect 16: stopAccept() while a connection waits in the backlog (or is being accepted by the kernel),
     * then closing the listener: the connection is handed to the callback, or refused (the client sees its end), and
     * no fd is left open for it behind the application's back.
     */
    @Test
    void stoppingAcceptWithAConnectionInTheBacklogThenClosingNeverStrandsIt() throws Exception {
        int fdsBefore = 0;
        for (int round = 0; round < 20; round++) {
            StreamListener l = net.listen(loopback4());
            List<StreamSocket> delivered = new ArrayList<>();
            List<Integer> statuses = new ArrayList<>();
            l.accept((lis, s, st) -> {
                statuses.add(st);
                if (s != null) delivered.add(s);
            });
            runFor(5);
            java.net.Socket client = new java.net.Socket();
            client.connect(l.localAddress(), 1000); // the handshake completes in the kernel: in the backlog now
            if (round % 2 == 0) runOnceNoWait();     // half the rounds: the kernel may be accepting it right now
            l.stopAccept();
            runFor(5);
            l.close();
            runUntil(() -> statuses.contains(Status.ECANCELED), "the accept's end");
            client.setSoTimeout(2000);
            if (delivered.isEmpty()) {
                // left in the backlog and refused with the listener: the client must see the end of it
                try {
                    assertEquals(-1, client.getInputStream().read(), "round " + round + ": the stranded connection");
                } catch (java.net.SocketException reset) {
                    // a reset is an end too
                }
            } else {
                for (StreamSocket s : delivered) s.close();
            }
            client.close();
            if (round == 0) {
                runFor(5);
                fdsBefore = dev.evring.TestFds.openFdCount(); // after the JDK's sockets opened what they open once
            }
        }
        runFor(20);
        assertEquals(fdsBefore, dev.evring.TestFds.openFdCount(), "no fd left behind for a connection nobody got");
    }

    /**
     * Connections accepted in one batch (up to 16 per readiness event; several CQEs of a multishot accept): a callback
     * that stops accepting and closes the listener on the first still gets the others, which the kernel had accepted
     * already; none is closed behind the application's back (its client would see a clean end of a connection the
     * server never saw). Those the kernel had not accepted are refused with the listener (a reset).
     */
    @Test
    void connectionsAcceptedBeforeAStopTookEffectAreStillDelivered() throws Exception {
        StreamListener l = net.listen(loopback4());
        List<StreamSocket> delivered = new ArrayList<>();
        List<Integer> statuses = new ArrayList<>();
        l.accept((lis, s, st) -> {
            statuses.add(st);
            if (s == null) return;
            delivered.add(s);
            if (delivered.size() == 1) {
                lis.stopAccept();
                lis.close();
            }
        });
        runFor(5);
        List<java.net.Socket> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            java.net.Socket c = new java.net.Socket();
            c.connect(l.localAddress(), 1000);
            c.setSoTimeout(150); // a delivered connection stays open: its read times out
            clients.add(c);
        }
        runUntil(() -> statuses.contains(Status.ECANCELED), "the accept's end");
        runFor(20);
        int reset = 0;
        for (java.net.Socket c : clients) {
            try {
                int r = c.getInputStream().read(); // a delivered connection is open: nothing to read, it times out
                assertTrue(r != -1, "a client saw a clean end of a connection the server never handed to the application");
            } catch (java.net.SocketTimeoutException open) {
                // delivered and open
            } catch (java.net.SocketException refused) {
                reset++;
            }
            c.close();
        }
        assertEquals(4, delivered.size() + reset, "every connection delivered or refused: " + statuses);
        for (StreamSocket s : delivered) s.close();
    }

    private void runOnceNoWait() {
        loop.runNoWait();
    }
}
