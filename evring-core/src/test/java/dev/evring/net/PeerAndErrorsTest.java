package dev.evring.net;

import dev.evring.ErrnoException;
import dev.evring.linux.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What happens when the other side goes away, refuses, or a callback misbehaves. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class PeerAndErrorsTest extends NetTestBase {

    @Test
    void peerClosingMidStreamEndsRecvFailsQueuedSendsAndBreaksNothingElse() {
        StreamListener l = net.listen(loopback4());
        List<Integer> recvStatuses = new ArrayList<>();
        List<Integer> sendStatuses = new ArrayList<>();
        int sends = 40;
        StreamSocket[] server = new StreamSocket[1];
        l.accept((lis, s, st) -> {
            if (st != 0) return;
            if (server[0] != null) { // a second connection: plain echo, to show the server still works
                s.recv((sock, d, n) -> {
                    if (n > 0) sock.send(d, null);
                });
                return;
            }
            server[0] = s;
            s.recv((sock, data, n) -> {
                recvStatuses.add(n);
                if (data != null) data.release();
                if (n == 0) {
                    // the peer is gone: everything queued now must fail, none may be lost
                    for (int i = 0; i < sends; i++) {
                        Buffer b = net.allocate();
                        b.put(pattern(b.capacity(), i));
                        sock.send(b, (x, status) -> sendStatuses.add(status));
                    }
                }
            });
        });
        StreamSocket client = net.connect(l.localAddress(), (s, st) -> {
            assertEquals(0, st);
            s.send("bye".getBytes(), 0, 3, (x, status) -> x.close());
        });
        runUntil(() -> sendStatuses.size() == sends, "every queued send to report");
        assertEquals(List.of(3, 0), recvStatuses, "the data, then end of stream");
        int firstFailure = -1;
        for (int i = 0; i < sends; i++) {
            int st = sendStatuses.get(i);
            if (st < 0 && firstFailure < 0) firstFailure = i;
            if (firstFailure >= 0) {
                assertTrue(st == Status.EPIPE || st == Status.ECONNRESET,
                        "send " + i + " after the first failure reported " + Status.describe(st));
            }
        }
        assertTrue(firstFailure >= 0, "some send must fail once the peer is gone: " + sendStatuses);
        assertEquals(0, server[0].pendingSends());
        assertTrue(!client.isOpen());

        // nothing else broke: the listener still accepts and serves
        byte[][] echoed = new byte[1][];
        net.connect(l.localAddress(), (s, st) -> {
            s.recv((sock, d, n) -> {
                if (n > 0) {
                    echoed[0] = d.toArray();
                    d.release();
                    sock.close();
                }
            });
            s.send("again".getBytes(), 0, 5, null);
        });
        runUntil(() -> echoed[0] != null, "an echo on a new connection");
        assertEquals("again", new String(echoed[0]));
        assertEquals(0, net.stats().buffersHeld() + net.stats().buffersLent(), "every send buffer went back to the pool");
    }

    @Test
    void connectToAClosedTcpPortIsRefused() {
        StreamListener probe = net.listen(loopback4());
        SocketAddress gone = probe.localAddress();
        probe.close();
        int[] status = {1};
        net.connect(gone, (s, st) -> {
            status[0] = st;
            s.close();
        });
        runUntil(() -> status[0] != 1, "the connect to fail");
        assertEquals(Status.ECONNREFUSED, status[0], Status.describe(status[0]));
    }

    @Test
    void connectToAUnixPathNobodyBoundFailsWithEnoent() {
        int[] status = {1};
        net.connect(unixAddress("nobody.sock"), (s, st) -> status[0] = st);
        runUntil(() -> status[0] != 1, "the connect to fail");
        assertEquals(Status.ENOENT, status[0], Status.describe(status[0]));
    }

    @Test
    void bindingABusyPortThrowsWithItsErrno() {
        StreamListener l = net.listen(loopback4());
        ErrnoException e = assertThrows(ErrnoException.class, () -> net.listen(l.localAddress()));
        assertEquals(Errno.EADDRINUSE, e.errno());
        assertEquals("EADDRINUSE", e.errnoName());
        assertTrue(e.getMessage().contains("bind"), e.getMessage());
    }

    @Test
    void aThrowingCallbackIsReportedAndTheConnectionGoesOn() {
        callbacksMayThrow = true;
        StreamListener l = echoServer(loopback4());
        List<String> got = new ArrayList<>();
        int[] calls = {0};
        net.connect(l.localAddress(), (s, st) -> {
            s.recv((sock, data, n) -> {
                if (n <= 0) return;
                got.add(data.toString(java.nio.charset.StandardCharsets.US_ASCII));
                data.release();
                if (++calls[0] == 1) {
                    sock.send("two".getBytes(), 0, 3, null);
                    throw new IllegalStateException("thrown on purpose");
                }
                sock.close();
            });
            s.send("one".getBytes(), 0, 3, null);
        });
        runUntil(() -> calls[0] == 2, "the second chunk after a throwing callback");
        assertEquals(List.of("one", "two"), got);
        assertEquals(1, callbackErrors.size());
        assertEquals("thrown on purpose", callbackErrors.get(0).getMessage());
        callbackErrors.clear();
    }

    @Test
    void aClosedSocketRefusesFurtherUse() {
        StreamSocket[] pair = net.socketPair();
        StreamSocket s = pair[0];
        s.close();
        s.close(); // idempotent
        assertEquals(-1, s.fd());
        assertTrue(!s.isOpen());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.recv((x, d, n) -> {}));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> s.send(net.allocate(), null));
        assertThrows(IllegalStateException.class, () -> s.localAddress());
        assertThrows(IllegalStateException.class, () -> s.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 4096));
        assertThrows(IllegalStateException.class, () -> s.close((h, st) -> {}));
        assertThrows(IllegalStateException.class, () -> s.read(new byte[1], 0, 1));
        net.stats(); // the Net itself is fine
        // the buffer taken by the refused send is still ours
        assertEquals(1, net.stats().buffersHeld());
    }

    @Test
    void closeWithACallbackCancelsRunningOperationsThenReportsTheClose() {
        StreamSocket[] pair = net.socketPair();
        List<String> events = new ArrayList<>();
        pair[0].recv((s, d, n) -> events.add("recv " + Status.name(n)));
        pair[0].close((h, st) -> events.add("close " + st));
        assertThrows(IllegalStateException.class, () -> pair[0].recv((s, d, n) -> {}));
        runUntil(() -> events.size() == 2, "the cancel and the close");
        assertEquals(List.of("recv ECANCELED", "close 0"), events);
        // the peer sees end of stream
        int[] eof = {1};
        pair[1].recv((s, d, n) -> eof[0] = n);
        runUntil(() -> eof[0] != 1, "end of stream at the peer");
        assertEquals(0, eof[0]);
    }

    @Test
    void callsFromAnotherThreadAreRefused() throws Exception {
        StreamSocket[] pair = net.socketPair();
        Throwable[] thrown = new Throwable[2];
        Thread t = new Thread(() -> {
            try {
                pair[0].send(net.allocate(), null);
            } catch (Throwable e) {
                thrown[0] = e;
            }
            try {
                net.allocate();
            } catch (Throwable e) {
                thrown[1] = e;
            }
        });
        t.start();
        t.join();
        assertTrue(thrown[0] instanceof IllegalStateException, String.valueOf(thrown[0]));
        assertTrue(thrown[1] instanceof IllegalStateException, String.valueOf(thrown[1]));
    }

    @Test
    void closingTheLoopCancelsWhatRunsAndClosesEverySocket() {
        StreamListener l = net.listen(loopback4());
        List<Integer> ends = new ArrayList<>();
        l.accept((lis, s, st) -> ends.add(st));
        StreamSocket[] pair = net.socketPair();
        pair[0].recv((s, d, n) -> ends.add(n));
        int before = dev.evring.TestFds.openFdCount();
        loop.close();
        assertEquals(List.of(Status.ECANCELED, Status.ECANCELED), ends);
        assertTrue(l.closed && pair[0].closed && pair[1].closed);
        assertTrue(dev.evring.TestFds.openFdCount() <= before - 3, "the three sockets' fds are closed");
        assertTrue(net.isClosed());
        assertThrows(IllegalStateException.class, () -> net.allocate());
    }
}
