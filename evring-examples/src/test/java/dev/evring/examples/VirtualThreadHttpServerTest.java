package dev.evring.examples;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The virtual-thread HTTP server on each socket factory (the JDK's, evring's), as HTTP clients use it: pipelined requests answered in order,
 * requests that arrive a byte at a time, bodies skipped, {@code Connection: close} and HTTP/1.0, bad requests answered
 * 400 (431, 501, 505) after the answers before them and then the end of the connection, a client that half-closes
 * after its request, and resets.
 */
@Timeout(60)
@ParameterizedClass(name = "--sockets {0}")
@MethodSource("dev.evring.examples.SocketFactories#names")
class VirtualThreadHttpServerTest {
    @AutoClose // after each test: the listener closed, serve() returned
    private final ServingOnLoopback<VirtualThreadHttpServer> serving;
    private final VirtualThreadHttpServer server;

    VirtualThreadHttpServerTest(String sockets) throws IOException {
        serving = ServingOnLoopback.start(sockets, VirtualThreadHttpServer::new);
        server = serving.server;
    }

    /** A client connection: raw bytes out, answers parsed in. */
    final class Client implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final InputStream in;

        Client() throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
        }

        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        Answer answer() throws IOException {
            return Answer.read(in);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** One answer: status, headers (lower-case names), body by Content-Length (none for HEAD: see {@link #readHead}). */
    record Answer(int status, Map<String, String> headers, String body) {
        static Answer read(InputStream in) throws IOException {
            return read(in, false);
        }

        static Answer readHead(InputStream in) throws IOException {
            return read(in, true);
        }

        private static Answer read(InputStream in, boolean headOnly) throws IOException {
            String status = line(in);
            if (status == null) return null;
            assertTrue(status.matches("HTTP/1\\.1 \\d{3} .+"), status);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                assertTrue(colon > 0, h);
                headers.put(h.substring(0, colon).toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
            }
            int length = Integer.parseInt(headers.get("content-length"));
            String body = headOnly ? "" : new String(in.readNBytes(length), StandardCharsets.US_ASCII);
            return new Answer(Integer.parseInt(status.substring(9, 12)), headers, body);
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c >= 0; c = in.read()) {
                if (c == '\n') {
                    assertTrue(sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r', "a line ends in CRLF: " + sb);
                    return sb.substring(0, sb.length() - 1);
                }
                sb.append((char) c);
            }
            assertEquals(0, sb.length(), "the connection ended inside a line");
            return null;
        }

        void assertPlaintext() {
            assertEquals(200, status, this::toString);
            assertEquals("Hello, World!", body);
            assertEquals("13", headers.get("content-length"));
            assertEquals("text/plain", headers.get("content-type"));
            assertEquals(VirtualThreadHttpServer.SERVER, headers.get("server"));
            assertTrue(headers.getOrDefault("date", "").matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"),
                    "an IMF-fixdate: " + headers.get("date"));
        }
    }

    static final String GET = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Client c = new Client()) {
            String batch = GET + "GET /elsewhere HTTP/1.1\r\nHost: h\r\n\r\n" + "GET /plaintext?x=1 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n"
                    + "POST /plaintext HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" + "HEAD /plaintext HTTP/1.1\r\nHost: h\r\n\r\n"
                    + GET.repeat(16);
            c.send(batch);
            c.answer().assertPlaintext();
            assertEquals(404, c.answer().status());
            c.answer().assertPlaintext();
            Answer post = c.answer();
            assertEquals(405, post.status());
            assertEquals("GET, HEAD", post.headers().get("allow"));
            Answer head = Answer.readHead(c.in);
            assertEquals(200, head.status());
            assertEquals("13", head.headers().get("content-length"));
            for (int i = 0; i < 16; i++) c.answer().assertPlaintext();
            c.send(GET); // and the connection is still kept
            c.answer().assertPlaintext();
            assertEquals(0, c.in.available(), "nothing more than the answers");
        }
    }

    @Test
    void requestsArrivingAByteAtATimeAreAnswered() throws Exception {
        try (Client c = new Client()) {
            String two = GET + "GET /plaintext HTTP/1.1\nHost: h\nContent-Length: 3\n\nabc"; // bare LFs are taken too
            for (char ch : two.toCharArray()) c.send(String.valueOf(ch));
            c.answer().assertPlaintext();
            c.answer().assertPlaintext();
        }
    }

    @Test
    void connectionCloseIsAnsweredThenTheConnectionEnds() throws Exception {
        try (Client c = new Client()) {
            c.send(GET + "GET /plaintext HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n" + GET);
            c.answer().assertPlaintext();
            Answer last = c.answer();
            last.assertPlaintext();
            assertEquals("close", last.headers().get("connection"));
            assertNull(c.answer(), "the request after Connection: close is not answered: the connection ended");
        }
    }

    @Test
    void http10ClosesUnlessAskedToKeepAlive() throws Exception {
        try (Client c = new Client()) {
            c.send("GET /plaintext HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
            Answer kept = c.answer();
            kept.assertPlaintext();
            assertEquals("keep-alive", kept.headers().get("connection"));
            c.send("GET /plaintext HTTP/1.0\r\n\r\n");
            assertEquals("close", c.answer().headers().get("connection"));
            assertNull(c.answer());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a request line without a version             | 400 | GET /plaintext\\r\\nHost: h\\r\\n\\r\\n
            a method that is not a token                 | 400 | G(T /plaintext HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n
            a target with a control character            | 400 | GET /plain\\u0001text HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n
            HTTP/1.1 without Host                        | 400 | GET /plaintext HTTP/1.1\\r\\n\\r\\n
            two Host headers                             | 400 | GET /plaintext HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n
            a header line without a colon                | 400 | GET /plaintext HTTP/1.1\\r\\nHost: h\\r\\nBroken\\r\\n\\r\\n
            a space before the colon                     | 400 | GET /plaintext HTTP/1.1\\r\\nHost : h\\r\\n\\r\\n
            a header folded over two lines               | 400 | GET /plaintext HTTP/1.1\\r\\nHost: h\\r\\nX-A: 1\\r\\n  2\\r\\n\\r\\n
            a Content-Length that is not a number        | 400 | POST /plaintext HTTP/1.1\\r\\nHost: h\\r\\nContent-Length: -1\\r\\n\\r\\n
            two different Content-Lengths                | 400 | POST /plaintext HTTP/1.1\\r\\nHost: h\\r\\nContent-Length: 0\\r\\nContent-Length: 2\\r\\n\\r\\nab
            a Transfer-Encoding                          | 501 | POST /plaintext HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n
            HTTP/2.0 in a request line                   | 505 | GET /plaintext HTTP/2.0\\r\\nHost: h\\r\\n\\r\\n
            a version that is no version                 | 400 | GET /plaintext HTTX/1.1\\r\\nHost: h\\r\\n\\r\\n
            """)
    void aBadRequestIsRefusedAfterTheAnswersBeforeItThenTheConnectionEnds(String what, int status, String request) throws Exception {
        try (Client c = new Client()) {
            c.send(GET + unescape(request) + GET);
            c.answer().assertPlaintext();
            Answer refused = c.answer();
            assertEquals(status, refused.status(), what);
            assertEquals("close", refused.headers().get("connection"));
            assertNotNull(refused.headers().get("date"));
            assertNull(c.answer(), "nothing after the refusal: the connection ended");
        }
    }

    @Test
    void aHeadLargerThanTheBufferIsRefused431() throws Exception {
        try (Client c = new Client()) {
            c.send("GET /plaintext HTTP/1.1\r\nHost: h\r\nX-Big: " + "x".repeat(VirtualThreadHttpServer.MAX_HEAD) + "\r\n\r\n");
            assertEquals(431, c.answer().status());
            assertNull(c.answer());
        }
    }

    @Test
    void aClientThatHalfClosesAfterItsRequestsGetsTheAnswersThenTheEnd() throws Exception {
        try (Client c = new Client()) {
            c.send(GET + GET);
            c.socket.shutdownOutput();
            c.answer().assertPlaintext();
            c.answer().assertPlaintext();
            assertNull(c.answer());
        }
        VirtualThreadEchoServerTest.await(() -> server.openConnections() == 0, "the connection's thread to end");
    }

    @Test
    void aResetEndsOnlyThatConnection() throws Exception {
        try (Client kept = new Client(); Client reset = new Client()) {
            kept.send(GET);
            kept.answer().assertPlaintext();
            reset.send("GET /plaintext HTTP/1.1\r\nHost: h\r\n"); // half a head: its thread waits in read
            VirtualThreadEchoServerTest.await(() -> server.openConnections() == 2, "two connections");
            VirtualThreadEchoServerTest.reset(reset.socket);
            VirtualThreadEchoServerTest.await(() -> server.openConnections() == 1, "the reset connection's thread to end");
            kept.send(GET);
            kept.answer().assertPlaintext();
        }
    }

    /** The CSV cells spell CR, LF and other control characters as Java escapes. */
    private static String unescape(String s) {
        return s.replace("\\r", "\r").replace("\\n", "\n").replace("\\u0001", "\u0001");
    }
}
