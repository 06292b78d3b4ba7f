package dev.evring.examples;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.TimerWatcher;
import dev.evring.net.Net;
import dev.evring.net.StreamListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both HTTP examples, on every backend, driven by plain blocking sockets as a client would: TechEmpower's answers with
 * Date and Server headers, keep-alive, pipelining in order, requests split anywhere across writes, a 400 and the close
 * for a malformed request, {@code Connection: close} honoured.
 */
class HttpExamplesTest {
    static final String PLAINTEXT = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain\r\nConnection: keep-alive\r\n\r\n";
    static final String JSON = "GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n";
    private static final Pattern DATE = Pattern.compile("\r\nDate: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\r\n");

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> servers() {
        return EchoExamplesTest.servers();
    }

    /** Runs {@code client} on a virtual thread while the loop serves with the example in {@code mode}; its result. */
    static <T> T serve(Backend backend, String mode, ClientBody<T> client) throws Exception {
        EventLoop loop = EchoExamplesTest.open(backend);
        try (loop) {
            Net net = HttpServer.openNet(loop);
            StreamListener listener = net.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Http http = new Http(loop);
            if (mode.equals("readiness")) ReadinessHttp.serve(loop, listener, http);
            else CompletionHttp.serve(listener, http);
            InetSocketAddress addr = (InetSocketAddress) listener.localAddress();
            CompletableFuture<T> result = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    result.complete(client.run(addr));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
            TimerWatcher guard = loop.timer(5_000_000L, 5_000_000L, (w, ev) -> {});
            guard.start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!result.isDone() && System.nanoTime() < deadline) loop.runOnce();
            assertTrue(result.isDone(), "the client did not finish on " + mode + " / " + backend);
            return result.get();
        }
    }

    interface ClientBody<T> {
        T run(InetSocketAddress server) throws Exception;
    }

    static Socket connect(InetSocketAddress addr) throws IOException {
        Socket s = new Socket();
        s.connect(addr, 5000);
        s.setSoTimeout(20_000);
        s.setTcpNoDelay(true);
        return s;
    }

    /** One answer: its head and body, read by Content-Length. */
    record Answer(String head, String body) {
        int status() {
            return Integer.parseInt(head.substring(9, 12));
        }

        String header(String name) {
            Matcher m = Pattern.compile("\r\n" + name + ": ([^\r]*)\r\n").matcher(head + "\r\n");
            return m.find() ? m.group(1) : null;
        }
    }

    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) return null;
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
        }
        String h = head.toString(StandardCharsets.US_ASCII);
        Matcher m = Pattern.compile("\r\nContent-Length: (\\d+)\r\n").matcher(h);
        assertTrue(m.find(), "an answer without Content-Length: " + h);
        byte[] body = in.readNBytes(Integer.parseInt(m.group(1)));
        return new Answer(h, new String(body, StandardCharsets.US_ASCII));
    }

    static void checkPlaintext(Answer a) {
        assertEquals(200, a.status(), a.head());
        assertEquals("Hello, World!", a.body());
        assertEquals("text/plain", a.header("Content-Type"));
        assertEquals("evring", a.header("Server"));
        assertTrue(DATE.matcher(a.head()).find(), "a Date header in IMF-fixdate form: " + a.head());
    }

    static void checkJson(Answer a) {
        assertEquals(200, a.status(), a.head());
        assertEquals("{\"message\":\"Hello, World!\"}", a.body());
        assertEquals("application/json", a.header("Content-Type"));
        assertEquals("evring", a.header("Server"));
        assertTrue(DATE.matcher(a.head()).find(), a.head());
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void answersPlaintextAndJsonOnOneKeepAliveConnectionAndPipelinedInOrder(Backend backend, String mode) throws Exception {
        serve(backend, mode, addr -> {
            try (Socket s = connect(addr)) {
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                for (int i = 0; i < 5; i++) { // keep-alive: one after the other
                    out.write((i % 2 == 0 ? PLAINTEXT : JSON).getBytes(StandardCharsets.US_ASCII));
                    Answer a = read(in);
                    if (i % 2 == 0) checkPlaintext(a);
                    else checkJson(a);
                }
                StringBuilder batch = new StringBuilder(); // 300 pipelined in one write, mixed
                for (int i = 0; i < 300; i++) batch.append(i % 3 == 0 ? JSON : PLAINTEXT);
                out.write(batch.toString().getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < 300; i++) {
                    Answer a = read(in);
                    if (i % 3 == 0) checkJson(a);
                    else checkPlaintext(a);
                }
                out.write("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(404, read(in).status());
                out.write(PLAINTEXT.getBytes(StandardCharsets.US_ASCII));
                checkPlaintext(read(in)); // still open after a 404
            }
            return null;
        });
    }

    /** Requests cut at random points over many writes, with pauses: every answer whole and in order. */
    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void requestsSplitAnywhereAcrossWritesAreAnsweredInOrder(Backend backend, String mode) throws Exception {
        serve(backend, mode, addr -> {
            byte[] all;
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 60; i++) batch.append(i % 2 == 0 ? PLAINTEXT : "POST /json HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde");
            all = batch.toString().getBytes(StandardCharsets.US_ASCII);
            try (Socket s = connect(addr)) {
                OutputStream out = s.getOutputStream();
                Random r = new Random(7);
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        InputStream in = s.getInputStream();
                        for (int i = 0; i < 60; i++) {
                            Answer a = read(in);
                            if (i % 2 == 0) checkPlaintext(a);
                            else checkJson(a);
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                });
                for (int off = 0; off < all.length; ) {
                    int n = Math.min(all.length - off, 1 + r.nextInt(40));
                    out.write(all, off, n);
                    out.flush();
                    off += n;
                    if (r.nextInt(4) == 0) Thread.sleep(1);
                }
                reader.join();
                if (failed.get() != null) throw new AssertionError(failed.get());
            }
            return null;
        });
    }

    /** Every split point of one request, each over a fresh connection of its own. */
    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void aRequestSplitAtEveryPointIsAnswered(Backend backend, String mode) throws Exception {
        byte[] req = PLAINTEXT.getBytes(StandardCharsets.US_ASCII);
        serve(backend, mode, addr -> {
            for (int k = 1; k < req.length; k++) {
                try (Socket s = connect(addr)) {
                    OutputStream out = s.getOutputStream();
                    out.write(req, 0, k);
                    out.flush();
                    Thread.sleep(1);
                    out.write(req, k, req.length - k);
                    checkPlaintext(read(s.getInputStream()));
                }
            }
            return null;
        });
    }

    /** A malformed request is answered 400 and the connection closes (the requests behind it are not answered). */
    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void aBadRequestIsAnswered400AndTheConnectionCloses(Backend backend, String mode) throws Exception {
        List<String> bad = List.of("GARBAGE\r\n\r\n", "GET /plaintext HTTP/9.9\r\n\r\n", "get /plaintext HTTP/1.1\r\n\r\n",
                "GET /plaintext HTTP/1.1\r\nNo colon here\r\n\r\n", "GET /plaintext HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                "GET /plaintext HTTP/1.1\r\nHost : x\r\n\r\n", "GET /plaintext HTTP/1.1\nHost: x\n\n",
                "POST /json HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        serve(backend, mode, addr -> {
            for (String b : bad) {
                try (Socket s = connect(addr)) {
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    out.write((PLAINTEXT + b + PLAINTEXT).getBytes(StandardCharsets.US_ASCII));
                    checkPlaintext(read(in)); // the good one before it
                    Answer a = read(in);
                    assertEquals(400, a.status(), "for " + b.replace("\r\n", "\\r\\n") + ": " + a.head());
                    assertEquals("close", a.header("Connection"));
                    assertEquals(-1, in.read(), "then the end of stream, nothing more answered");
                }
            }
            try (Socket s = connect(addr)) { // a head that never ends
                OutputStream out = s.getOutputStream();
                out.write("GET /plaintext HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] header = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 200; i++) out.write(header);
                assertEquals(400, read(s.getInputStream()).status());
            }
            return null;
        });
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void connectionCloseAndHttp10AreHonoured(Backend backend, String mode) throws Exception {
        serve(backend, mode, addr -> {
            for (String req : List.of("GET /plaintext HTTP/1.1\r\nConnection: close\r\n\r\n", "GET /plaintext HTTP/1.0\r\n\r\n")) {
                try (Socket s = connect(addr)) {
                    s.getOutputStream().write((req + PLAINTEXT).getBytes(StandardCharsets.US_ASCII));
                    InputStream in = s.getInputStream();
                    Answer a = read(in);
                    checkPlaintext(a);
                    assertEquals("close", a.header("Connection"));
                    assertEquals(-1, in.read());
                }
            }
            return null;
        });
    }

    /** Many connections at once, each pipelining, as wrk drives the benchmark. */
    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void manyConnectionsPipeliningAtOnceAllGetTheirAnswers(Backend backend, String mode) throws Exception {
        serve(backend, mode, addr -> {
            List<Thread> threads = new ArrayList<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            byte[] sixteen = PLAINTEXT.repeat(16).getBytes(StandardCharsets.US_ASCII);
            for (int c = 0; c < 100; c++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try (Socket s = connect(addr)) {
                        for (int round = 0; round < 20; round++) {
                            s.getOutputStream().write(sixteen);
                            for (int i = 0; i < 16; i++) checkPlaintext(read(s.getInputStream()));
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                }));
            }
            for (Thread t : threads) t.join();
            if (failed.get() != null) throw new AssertionError(failed.get());
            return null;
        });
    }
}
