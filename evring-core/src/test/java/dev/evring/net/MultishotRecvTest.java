package dev.evring.net;

import dev.evring.LoopVariant;
import dev.evring.LoopVariants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Multishot receives (a Net without a per-connection share, {@code net.recv_share=0}) with and without recv bundles
 * ({@code net.recv_bundle}): a long stream written in random-sized pieces comes back from the README's echo server
 * byte for byte, in order, with many connections at once, and a bundle's buffers are all given back. A bundle's CQE
 * names only its first buffer; the receive path finds the others by their ring positions and delivers them one per
 * callback, so a mistake there shows as bytes out of place. And with incremental buffers ({@code net.recv_incremental}):
 * each CQE's bytes are a slice of a buffer the kernel fills piece by piece, so a slice placed wrong shows the same way.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("variants")
class MultishotRecvTest extends NetTestBase {
    static final long PER_CONNECTION = 4L << 20;
    static final int CONNECTIONS = 4;

    static List<LoopVariant> variants() {
        LoopVariant ring = LoopVariants.ioUring().getFirst();
        return List.of(derive(ring, "multishot-recv bundles", "true", "false"),
                derive(ring, "multishot-recv no-bundles", "false", "false"),
                derive(ring, "multishot-recv incremental", "true", "true"));
    }

    private static LoopVariant derive(LoopVariant base, String name, String bundle, String incremental) {
        Map<String, String> options = new HashMap<>(base.options());
        options.put("net.recv_share", "0");
        options.put("net.recv_bundle", bundle);
        options.put("net.recv_incremental", incremental);
        return new LoopVariant(base.name() + " " + name, base.backend(), Map.copyOf(options), base.unsupported());
    }

    /** The stream's byte at {@code offset}: not periodic in any buffer size. */
    static byte expected(long offset) {
        long x = offset * 0x9E3779B97F4A7C15L;
        return (byte) (x >>> 56 ^ x >>> 29);
    }

    @Test
    void longStreamsEchoInOrderThroughMultishotReceives() throws Exception {
        String features = net.stats().features();
        assertTrue(features.contains("multishot recv"), features);
        boolean incremental = variant.options().get("net.recv_incremental").equals("true");
        assumeTrue(!incremental || features.contains("incremental buffer ring"), "no incremental buffer rings: " + features);
        // (bundles are off with incremental buffers)
        boolean bundles = variant.options().get("net.recv_bundle").equals("true") && !incremental;
        assertEquals(bundles && !features.contains("no recv bundles"), features.contains("multishot recv bundles"), features);
        StreamListener server = readmeEchoServer();
        InetSocketAddress addr = (InetSocketAddress) server.localAddress();
        AtomicLong finished = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        for (int c = 0; c < CONNECTIONS; c++) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = new Socket()) {
                    s.connect(addr, 5000);
                    s.setSoTimeout(30_000);
                    OutputStream out = s.getOutputStream();
                    Thread writer = Thread.ofVirtual().start(() -> {
                        byte[] chunk = new byte[40_000];
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        long off = 0;
                        try {
                            while (off < PER_CONNECTION && !stop.get()) {
                                int len = (int) Math.min(PER_CONNECTION - off, 1 + random.nextInt(chunk.length));
                                for (int i = 0; i < len; i++) chunk[i] = expected(off + i);
                                out.write(chunk, 0, len);
                                off += len;
                            }
                            s.shutdownOutput();
                        } catch (java.io.IOException e) {
                            failure.compareAndSet(null, "write: " + e);
                        }
                    });
                    InputStream in = s.getInputStream();
                    byte[] got = new byte[65536];
                    long off = 0;
                    int n;
                    while ((n = in.read(got)) > 0) {
                        for (int i = 0; i < n; i++) {
                            if (got[i] != expected(off + i)) {
                                failure.compareAndSet(null, "byte " + (off + i) + " of a connection's echo is wrong");
                                return;
                            }
                        }
                        off += n;
                    }
                    writer.join();
                    if (off != PER_CONNECTION) failure.compareAndSet(null, "echo ended after " + off + " bytes (the server's ends so far: " + echoEnds + ")");
                } catch (Exception e) {
                    failure.compareAndSet(null, e.toString());
                } finally {
                    finished.incrementAndGet();
                }
            });
        }
        try {
            runUntil(() -> finished.get() == CONNECTIONS || failure.get() != null, 90, "the echoes");
        } finally {
            stop.set(true);
        }
        assertNull(failure.get(), variant.toString());
        runUntil(() -> net.stats().recvBuffersHeld() + net.stats().recvBuffersLent() == 0, "the receive buffers back");
        assertEquals(0, net.stats().staleCompletions(), net.stats().toString());
    }
}
