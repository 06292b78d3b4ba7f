package dev.evring.net;

import dev.evring.FdLimit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Thousands of connections, idle first, then all sending at once to a server whose receive pool is a small fraction
 * of the connection count: every byte comes back, on every backend and variant, and the pool settles. This is the
 * shape of the memory benchmark that stalled on CI ("1,040 of the server's 2,000 sockets holding bytes it has not
 * read"): receives armed while idle must not keep the few buffers from the receives that have data.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class ManyConnectionsTest extends NetTestBase {
    static final int WANTED = 2_500;
    static final int RECV_BUFFERS = 64;

    @Override
    Net openNet() {
        return Net.builder(loop).recvBuffers(RECV_BUFFERS, 2048).open();
    }

    @Test
    void thousandsOfConnectionsSendingAtOnceThroughASmallPoolAllGetEveryByteBack() throws Exception {
        int n = FdLimit.reserve(2 * WANTED, 2 * 1_000) / 2; // both ends of each connection are in this process
        StreamListener listener = net.listen(loopback4());
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        AtomicInteger accepted = new AtomicInteger();
        listener.accept( // the README's echo server, counting connections
(l, socket, status) -> {
            if (socket == null) return;
            accepted.incrementAndGet();
            socket.recv((s, data, len) -> {
                if (len > 0) s.send(data, null);
                else s.closeGracefully(java.time.Duration.ofSeconds(5), null);
            });
        });

        AtomicReference<String> outcome = new AtomicReference<>();
        Thread clients = Thread.ofPlatform().name("clients").start(() -> {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = new Socket();
                    sockets.add(s);
                    s.setSoTimeout(30_000);
                    s.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
                }
                long until = System.nanoTime() + 30_000_000_000L;
                while (accepted.get() < n && System.nanoTime() < until) Thread.sleep(5);
                if (accepted.get() < n) throw new IOException("the server accepted " + accepted.get() + " of " + n);
                Thread.sleep(50); // every receive armed and idle (parked in the kernel, or waiting for readiness)
                for (int round = 0; round < 2; round++) {
                    for (int i = 0; i < n; i++) sockets.get(i).getOutputStream().write(message(i, round));
                    for (int i = 0; i < n; i++) {
                        byte[] want = message(i, round);
                        byte[] got = new byte[want.length];
                        InputStream in = sockets.get(i).getInputStream();
                        for (int at = 0; at < got.length; ) {
                            int r = in.read(got, at, got.length - at);
                            if (r < 0) throw new IOException("connection " + i + " ended after " + at + " of " + got.length + " bytes, round " + round);
                            at += r;
                        }
                        if (!Arrays.equals(want, got)) throw new IOException("connection " + i + " got other bytes back, round " + round);
                    }
                }
                for (Socket s : sockets) s.shutdownOutput();
                for (Socket s : sockets) {
                    if (s.getInputStream().read() != -1) throw new IOException("a byte after the echo");
                }
                outcome.set("ok");
            } catch (Throwable e) {
                outcome.set(e.toString());
            } finally {
                for (Socket s : sockets) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing a client: nothing to report
                    }
                }
            }
        });
        try {
            runUntil(() -> outcome.get() != null, 90, n + " connections echoed through " + RECV_BUFFERS + " receive buffers");
        } finally {
            if (outcome.get() == null) clients.interrupt();
            clients.join(30_000);
        }
        if (!"ok".equals(outcome.get())) fail(variant + ", " + n + " connections: " + outcome.get() + "; " + net.stats());
        runUntil(() -> net.stats().recvBuffersHeld() == 0, "every received buffer back in its pool");
        assertEquals(0, net.stats().recvBuffersHeld());
        assertReceivePoolSettled();
    }

    /** Connection {@code i}'s message of a round: 1 to 3 receive buffers long, its bytes its own. */
    static byte[] message(int i, int round) {
        return pattern(100 + (i * 37 + round * 1013) % 5000, i * 7 + round);
    }
}
