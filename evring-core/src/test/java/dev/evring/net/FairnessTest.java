package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 defect 12: a peer that does not read must stall only its own connection. Clients that send as fast as they
 * can and never read make an echo server queue their echoes; each connection may hold only its share of the receive
 * pool, so its receive pauses (its data waits in its socket) while a well-behaved client goes on completing round
 * trips, on every backend.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class FairnessTest extends NetTestBase {

    @Test
    void clientsThatNeverReadStallOnlyThemselves() throws Exception {
        StreamListener server = readmeEchoServer();
        InetSocketAddress addr = (InetSocketAddress) server.localAddress();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong pushed = new AtomicLong();
        List<Socket> bad = new ArrayList<>();
        List<Thread> pushers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Socket s = new Socket();
            s.connect(addr, 5000);
            bad.add(s);
            pushers.add(Thread.ofVirtual().start(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    OutputStream out = s.getOutputStream();
                    while (!stop.get() && pushed.get() < (600L << 20)) { // never reads what comes back
                        out.write(chunk);
                        pushed.addAndGet(chunk.length);
                    }
                } catch (java.io.IOException closed) {
                    // the test ends it
                }
            }));
        }
        AtomicLong roundTrips = new AtomicLong();
        AtomicBoolean goodFailed = new AtomicBoolean();
        Thread good = Thread.ofVirtual().start(() -> {
            try (Socket s = new Socket()) {
                s.connect(addr, 5000);
                s.setSoTimeout(20_000);
                s.setTcpNoDelay(true);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] msg = new byte[64];
                while (!stop.get()) {
                    out.write(msg);
                    int got = 0;
                    while (got < msg.length) {
                        int n = in.read(msg, got, msg.length - got);
                        if (n < 0) throw new java.io.EOFException();
                        got += n;
                    }
                    roundTrips.incrementAndGet();
                }
            } catch (Exception e) {
                if (!stop.get()) goodFailed.set(true);
            }
        });
        runFor(500); // the non-readers fill what they are allowed to hold
        long before = roundTrips.get();
        long pushedBefore = pushed.get();
        runFor(1500);
        long during = roundTrips.get() - before;
        NetStats st = net.stats();
        stop.set(true);
        for (Socket s : bad) s.close();
        runFor(100);
        good.join(5000);
        for (Thread t : pushers) t.join(5000);
        assertTrue(!goodFailed.get(), "the well-behaved client's connection failed");
        assertEquals(16, net.recvShare(), "the default share of a 256-buffer pool");
        assertTrue(st.recvBuffersHeld() + st.recvBuffersLent() <= bad.size() * net.recvShare() + 2,
                "each non-reader holds its share, no more: " + st);
        assertTrue(st.recvSharePauses() >= bad.size(), "the non-readers' receives paused: " + st);
        assertTrue(during >= 50, "the well-behaved client completed " + during + " round trips in 1.5 s while "
                + bad.size() + " clients that never read pushed " + ((pushed.get() - pushedBefore) >> 20) + " MiB more ("
                + (pushedBefore >> 20) + " MiB before): " + st);
    }
}
