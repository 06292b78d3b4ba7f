package dev.evring.net;

import dev.evring.EventLoop;
import dev.evring.LoopVariant;
import dev.evring.TimerWatcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.Parameter;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A loop and a Net per test, on the variant under test; helpers to run until something happened. */
abstract class NetTestBase {
    @Parameter
    LoopVariant variant;

    EventLoop loop;
    Net net;
    final List<Throwable> callbackErrors = new ArrayList<>();
    /** Set by a test whose callbacks throw on purpose: waiting goes on, the test checks {@link #callbackErrors} itself. */
    boolean callbacksMayThrow;
    private Path tempDir;

    @BeforeEach
    void openLoop() {
        loop = builder().open();
        net = openNet();
    }

    EventLoop.Builder builder() {
        return variant.builder().exceptionHandler((w, e) -> callbackErrors.add(e));
    }

    Net openNet() {
        return Net.open(loop);
    }

    @AfterEach
    void closeLoop() throws Exception {
        try {
            if (loop != null && !loop.isClosed()) loop.close(); // null when the variant was skipped before it opened
        } finally {
            if (tempDir != null) {
                try (var s = Files.walk(tempDir)) {
                    for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                }
            }
        }
        if (!callbackErrors.isEmpty()) {
            AssertionError e = new AssertionError("callbacks threw " + callbackErrors.size() + " exception(s)", callbackErrors.get(0));
            throw e;
        }
    }

    /** Runs the loop until {@code done}, failing after {@code seconds}. */
    void runUntil(BooleanSupplier done, int seconds, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        TimerWatcher guard = loop.timer(5_000_000L, 5_000_000L, (w, ev) -> {});
        guard.start();
        try {
            while (!done.getAsBoolean()) {
                if (!callbackErrors.isEmpty() && !callbacksMayThrow) throw new AssertionError("a callback threw while waiting for " + what, callbackErrors.get(0));
                if (System.nanoTime() > deadline) fail("timed out after " + seconds + " s waiting for " + what + " on " + variant);
                loop.runOnce();
            }
        } finally {
            guard.stop();
        }
    }

    void runUntil(BooleanSupplier done, String what) {
        runUntil(done, 10, what);
    }

    /** Runs the loop for about {@code millis}. */
    void runFor(long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        TimerWatcher guard = loop.timer(1_000_000L, 1_000_000L, (w, ev) -> {});
        guard.start();
        while (System.nanoTime() < end) loop.runOnce();
        guard.stop();
    }

    /**
     * What must hold once traffic has settled: no receive waits for a buffer while the receive pool has one free (in
     * the kernel's buffer ring or the free list), and the kernel's view of its buffer ring agrees with the pool's.
     */
    void assertReceivePoolSettled() {
        NetStats st = net.stats();
        assertTrue(st.recvWaiting() == 0 || st.recvBuffersFree() == 0,
                "receives wait for a buffer while buffers are free: " + st);
        if (net.engine instanceof RingEngine ring) {
            int kernel = ring.kernelRingBuffers();
            if (kernel >= 0) {
                org.junit.jupiter.api.Assertions.assertEquals(net.recvPool.inRing(), kernel,
                        "buffers in the kernel's ring, by the kernel and by the pool");
            }
        }
    }

    static InetSocketAddress loopback4() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    static InetSocketAddress loopback6() {
        try {
            InetAddress a = InetAddress.getByName("::1");
            assumeTrue(a instanceof Inet6Address && NetworkInterface.getByInetAddress(a) != null, "no IPv6 loopback here");
            return new InetSocketAddress(a, 0);
        } catch (java.io.IOException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e);
            return null;
        }
    }

    SocketAddress unixAddress(String name) {
        try {
            if (tempDir == null) tempDir = Files.createTempDirectory("evring-net");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return UnixDomainSocketAddress.of(tempDir.resolve(name));
    }

    /** An echo server: accepts every connection and sends back whatever arrives, closing at end of stream. */
    StreamListener echoServer(SocketAddress local) {
        StreamListener l = net.listen(local);
        l.accept((listener, s, status) -> {
            if (status == Status.ECANCELED) return; // the listener closed
            assertTrue(status == 0, "accept failed: " + Status.describe(status));
            s.recv((sock, data, n) -> {
                if (n > 0) sock.send(data, null);
                else if (sock.isOpen()) sock.close();
            });
        });
        return l;
    }

    /** How each connection of {@link #readmeEchoServer()} ended: 0 (end of stream) or -errno. */
    final List<Integer> echoEnds = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The README's completion echo server: every chunk goes straight back, end of stream closes gracefully. */
    StreamListener readmeEchoServer() {
        StreamListener listener = net.listen(loopback4());
        listener.accept((l, socket, status) -> {
            if (socket == null) return;
            socket.recv((s, data, n) -> {
                if (n > 0) s.send(data, null);
                else {
                    echoEnds.add(n);
                    s.closeGracefully(java.time.Duration.ofSeconds(5), null);
                }
            });
        });
        return listener;
    }

    /** A receiver that keeps every byte a socket gets, and the statuses of its end (and whether it ended). */
    static final class Collector implements RecvCallback {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        final List<Integer> statuses = new ArrayList<>();
        boolean ended;

        @Override
        public void onRecv(StreamSocket s, Buffer data, int n) {
            if (data != null) {
                bytes.write(data.toArray(), 0, n);
                data.release();
            } else {
                statuses.add(n);
                ended = true;
            }
        }
    }

    static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) b[i] = (byte) (i * 31 + seed);
        return b;
    }
}
