package dev.evring.bench.http;

import com.sun.net.httpserver.HttpServer;
import dev.evring.bench.harness.ServerRow;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The http benchmark's pieces that need no wrk: the answer check, wrk's output, nginx's configuration, the JDK row. */
class HttpBenchmarkTest {
    private static final String RIGHT = "HTTP/1.1 200 OK\r\nServer: x\r\nDate: Mon, 01 Dec 2026 10:00:00 GMT\r\n"
            + "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

    private static String check(String answers, int n) throws IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(answers.getBytes(StandardCharsets.US_ASCII));
        for (int i = 1; i <= n; i++) {
            String wrong = HttpProbe.answer(in, i);
            if (wrong != null) return wrong;
        }
        return null;
    }

    @Test
    void theAnswerCheckTakesTheRightAnswerWhateverTheHeaderCase() throws IOException {
        assertNull(check(RIGHT + RIGHT.replace("Content-Length", "content-length").replace("OK", "Fine"), 2));
    }

    @Test
    void theAnswerCheckNamesWhatIsWrong() throws IOException {
        assertTrue(check(RIGHT.replace("200 OK", "404 Not Found"), 1).contains("404"));
        assertTrue(check(RIGHT.replace("Date: Mon, 01 Dec 2026 10:00:00 GMT\r\n", ""), 1).contains("no date header"));
        assertTrue(check(RIGHT.replace("Server: x\r\n", ""), 1).contains("no server header"));
        assertTrue(check(RIGHT.replace("text/plain", "text/html"), 1).contains("text/html"));
        assertTrue(check(RIGHT.replace("Hello, World!", "Hello, world!"), 1).contains("Hello, world!"));
        assertTrue(check(RIGHT.replace("Content-Length: 13", "Transfer-Encoding: chunked"), 1).contains("chunked"));
        assertTrue(check(RIGHT, 2).contains("ended before answer 2"));
        assertTrue(check(RIGHT.substring(0, 40), 1).contains("ended in the headers"));
    }

    @Test
    void theJdkServerAnswersRightAloneAndPipelined() throws Exception {
        HttpServer server = JdkHttpServer.start(0);
        try {
            assertNull(HttpProbe.check(server.getAddress().getPort()));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aPortNobodyListensOnIsNotReadyYetRatherThanWrong() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        int closed = port;
        assertThrows(IOException.class, () -> HttpProbe.check(closed));
    }

    @Test
    void wrksFiguresAndItsExactCpuTimeAreRead() {
        String stat = "4242 (sh) S 1 2 3 0 -1 4194304 1 2 0 0 0 0 150 50 20 0 1 0 100 0 0";
        Wrk.Result r = Wrk.parse(List.of("Running 1s test", "wrk-stats requests=2000 duration_us=1000000 connect=0 read=1 write=0 "
                + "status=2 timeout=3 p50_us=120.0 p99_us=900.5 p999_us=1500.25", "wrapper-stat " + stat));
        assertNotNull(r);
        assertEquals(2000, r.requestsPerSecond(), 1e-9);
        assertEquals(6, r.errors());
        assertEquals(900.5, r.p99Us());
        assertEquals(1500.25, r.p999Us());
        assertEquals(2.0, r.clientCpuSeconds(), 0.5); // 200 ticks of children's time at USER_HZ (100 on Linux)
        assertTrue(r.describeErrors().contains("2 answers with status >= 400"), r.describeErrors());
        assertNull(Wrk.parse(List.of("unable to connect to 127.0.0.1:1 Connection refused")));
    }

    @Test
    void nginxGetsItsOwnPrefixAndThePlaintextAnswer() {
        String c = Nginx.config(Path.of("/r/http/nginx"), new ServerRow.Launch(8123, 1));
        assertTrue(Nginx.config(Path.of("/r"), new ServerRow.Launch(8123, 2)).contains("worker_processes 2;"), "a loop is a worker");
        for (String line : List.of("daemon off;", "worker_processes 1;", "pid /r/http/nginx/nginx.pid;", "access_log off;",
                "listen 127.0.0.1:8123 backlog=4096;", "return 200 \"Hello, World!\";", "default_type text/plain;",
                "client_body_temp_path /r/http/nginx/tmp/client_body;")) {
            assertTrue(c.contains(line), line + " in\n" + c);
        }
    }

    @Test
    void everyCaseRunsBothDepthsAtEachConnectionCount() {
        assertEquals(List.of("50 x 1", "50 x 16", "256 x 1", "256 x 16", "1,000 x 1", "1,000 x 16"),
                HttpBenchmark.LOADS.stream().map(HttpBenchmark.Load::label).toList());
    }
}
