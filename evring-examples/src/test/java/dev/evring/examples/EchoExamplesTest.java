package dev.evring.examples;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.TimerWatcher;
import dev.evring.net.Net;
import dev.evring.net.StreamListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Both echo servers of the examples serve the example load client, on every backend. */
class EchoExamplesTest {

    static Stream<Arguments> servers() {
        List<Arguments> a = new ArrayList<>();
        for (Backend b : Backend.values()) {
            a.add(Arguments.of(b, "readiness"));
            a.add(Arguments.of(b, "completion"));
        }
        return a.stream();
    }

    /** A loop on {@code backend}; skips, saying why, where it cannot open. */
    static EventLoop open(Backend backend) {
        try {
            return EventLoop.builder().backend(backend).open();
        } catch (IllegalStateException e) {
            assumeTrue(false, backend + " is not available here: " + e.getMessage());
            return null;
        }
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void echoServerAnswersEveryMessage(Backend backend, String mode) {
        EventLoop loop = open(backend);
        try (loop) {
            Net net = Net.builder(loop).buffers(1024, 4096).open();
            StreamListener listener = net.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            if (mode.equals("readiness")) ReadinessEcho.serve(loop, listener);
            else CompletionEcho.serve(listener);
            EchoClient client = new EchoClient(net, listener.localAddress(), 20, 8, 200, 64);
            TimerWatcher guard = loop.timer(5_000_000L, 5_000_000L, (w, ev) -> {});
            guard.start();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!client.done() && System.nanoTime() < deadline) loop.runOnce();
            assertTrue(client.done(), "timed out: " + client.echoed + " echoed");
            assertEquals(0, client.failure);
            assertEquals(20 * 200, client.echoed);
        }
    }

    /**
     * Issue 9 defect 11: the examples under load as a real client drives them: many clients each send 2 MiB and
     * half-close, reading the echo as it comes; each must get every byte back, in order, then the server's end of
     * stream. The completion example used to close() at end of stream and lose what was still queued.
     */
    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void clientsThatSend2MiBAndHalfCloseGetEveryByteBack(Backend backend, String mode) throws Exception {
        EventLoop loop = open(backend);
        int clients = 16;
        int size = 2 << 20;
        try (loop) {
            Net net = Net.open(loop); // the defaults, as the README's server has them
            StreamListener listener = net.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            if (mode.equals("readiness")) ReadinessEcho.serve(loop, listener);
            else CompletionEcho.serve(listener);
            InetSocketAddress addr = (InetSocketAddress) listener.localAddress();
            java.util.concurrent.ConcurrentLinkedQueue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
            java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
            for (int c = 0; c < clients; c++) {
                int id = c;
                Thread.ofVirtual().start(() -> {
                    byte[] payload = new byte[size];
                    new java.util.Random(id).nextBytes(payload);
                    try (java.net.Socket sock = new java.net.Socket()) {
                        sock.connect(addr, 5000);
                        sock.setSoTimeout(30_000);
                        Thread writer = Thread.ofVirtual().start(() -> {
                            try {
                                java.io.OutputStream out = sock.getOutputStream();
                                for (int off = 0; off < size; off += 65536) out.write(payload, off, Math.min(65536, size - off));
                                sock.shutdownOutput();
                            } catch (java.io.IOException e) {
                                failures.add("client " + id + " write: " + e);
                            }
                        });
                        byte[] got = sock.getInputStream().readAllBytes(); // until the server's end of stream
                        writer.join();
                        if (!java.util.Arrays.equals(payload, got)) {
                            failures.add("client " + id + " got " + got.length + " of " + size + " bytes back"
                                    + (got.length == size ? ", different" : ""));
                        }
                    } catch (Exception e) {
                        failures.add("client " + id + ": " + e);
                    } finally {
                        finished.incrementAndGet();
                    }
                });
            }
            TimerWatcher guard = loop.timer(5_000_000L, 5_000_000L, (w, ev) -> {});
            guard.start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (finished.get() < clients && System.nanoTime() < deadline) loop.runOnce();
            assertEquals(clients, finished.get(), "timed out: " + failures);
            assertTrue(failures.isEmpty(), mode + " on " + backend + ": " + failures);
        }
    }
}
