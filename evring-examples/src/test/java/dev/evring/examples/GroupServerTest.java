package dev.evring.examples;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.net.GroupListener;
import dev.evring.net.Net;
import dev.evring.net.NetGroupStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The echo and HTTP example servers on a loop group ({@code --loops N --accept reuseport|handoff|handoff-least-loaded}),
 * on every backend, in both styles, with 2 and 4 loops: clients get every byte (every answer) back, and every loop
 * served connections.
 */
class GroupServerTest {
    static Stream<Arguments> servers() {
        List<Arguments> a = new ArrayList<>();
        for (Backend b : Backend.values()) {
            for (String mode : List.of("completion", "readiness")) {
                for (String accept : GroupServer.ACCEPT_CHOICES) {
                    for (int loops : new int[] {2, 4}) a.add(Arguments.of(b, mode, accept, loops));
                }
            }
        }
        return a.stream();
    }

    private static GroupServer start(Backend backend, String mode, String accept, int loops, boolean http) {
        Backend.Availability av = backend.availability();
        assumeTrue(av.available(), backend + " is not available here: " + av.reason());
        boolean readiness = mode.equals("readiness");
        InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (!http) {
            return GroupServer.start(loops, EventLoop.builder().backend(backend), local, GroupServer.mode(accept),
                    Net::open, loop -> readiness ? ReadinessEcho::serve : CompletionEcho::serve);
        }
        return GroupServer.start(loops, EventLoop.builder().backend(backend), local, GroupServer.mode(accept),
                HttpServer::openNet, loop -> {
                    Http h = new Http(loop);
                    return readiness ? socket -> ReadinessHttp.serve(socket, h) : CompletionHttp.server(h);
                });
    }

    private static void assertEveryLoopServed(GroupServer server, int loops, int clients) {
        NetGroupStats st = server.stats();
        assertEquals(clients, st.totalAccepted(), st.toString());
        for (int i = 0; i < loops; i++) assertTrue(st.accepted().get(i) > 0, "loop " + i + " served connections: " + st);
    }

    @ParameterizedTest(name = "{1} on {0}, {3} loops, {2}")
    @MethodSource("servers")
    void echoClientsThatSendAndHalfCloseGetEveryByteBackOnEveryLoop(Backend backend, String mode, String accept, int loops)
            throws Exception {
        int clients = 16 * loops; // SO_REUSEPORT hashes: a loop gets none with p = n(1-1/n)^16n < 1e-7
        int size = 64 << 10;
        try (GroupServer server = start(backend, mode, accept, loops, false)) {
            InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int id = c;
                threads.add(Thread.ofVirtual().start(() -> {
                    byte[] payload = new byte[size];
                    new Random(id).nextBytes(payload);
                    try (Socket s = new Socket()) {
                        s.connect(addr, 5_000);
                        s.setSoTimeout(20_000);
                        Thread writer = Thread.ofVirtual().start(() -> {
                            try {
                                s.getOutputStream().write(payload);
                                s.shutdownOutput();
                            } catch (java.io.IOException e) {
                                failures.add("client " + id + " write: " + e);
                            }
                        });
                        byte[] got = s.getInputStream().readAllBytes(); // until the server's end of stream
                        writer.join();
                        if (!Arrays.equals(payload, got)) failures.add("client " + id + " got " + got.length + " of " + size);
                    } catch (Exception e) {
                        failures.add("client " + id + ": " + e);
                    }
                }));
            }
            for (Thread t : threads) t.join(30_000);
            assertTrue(failures.isEmpty(), failures.toString());
            assertEveryLoopServed(server, loops, clients);
        }
    }

    @ParameterizedTest(name = "{1} on {0}, {3} loops, {2}")
    @MethodSource("servers")
    void httpKeepAliveClientsGetEveryPipelinedAnswerOnEveryLoop(Backend backend, String mode, String accept, int loops)
            throws Exception {
        int clients = 16 * loops;
        try (GroupServer server = start(backend, mode, accept, loops, true)) {
            List<Socket> cs = new ArrayList<>();
            try {
                for (int c = 0; c < clients; c++) {
                    Socket s = new Socket();
                    cs.add(s);
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5_000);
                    s.setSoTimeout(20_000);
                }
                byte[] three = ("GET /plaintext HTTP/1.1\r\nHost: h\r\n\r\n".repeat(2)
                        + "GET /json HTTP/1.1\r\nHost: h\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                for (int round = 0; round < 2; round++) {
                    for (Socket s : cs) s.getOutputStream().write(three);
                    for (Socket s : cs) {
                        InputStream in = s.getInputStream();
                        HttpExamplesTest.checkPlaintext(HttpExamplesTest.read(in));
                        HttpExamplesTest.checkPlaintext(HttpExamplesTest.read(in));
                        HttpExamplesTest.checkJson(HttpExamplesTest.read(in));
                    }
                }
            } finally {
                for (Socket s : cs) s.close();
            }
            assertEveryLoopServed(server, loops, clients);
        }
    }

    @Test
    void badLoopsAndAcceptValuesAreRefusedByName() {
        for (CommandLine cl : List.of(EchoServer.COMMAND_LINE, HttpServer.COMMAND_LINE)) {
            String m = assertThrows(CommandLine.UsageException.class, () -> cl.parse("--loops", "0")).getMessage();
            assertTrue(m.contains("--loops") && m.contains("0"), m);
            m = assertThrows(CommandLine.UsageException.class, () -> cl.parse("--accept", "kernel")).getMessage();
            assertTrue(m.contains("--accept") && m.contains("kernel"), m);
            assertTrue(cl.usage().contains("--loops N") && cl.usage().contains("reuseport|handoff|handoff-least-loaded"), cl.usage());
        }
        assertEquals(1, EchoServer.COMMAND_LINE.parse().get(EchoServer.OPTIONS.loops()));
        assertEquals("reuseport", HttpServer.COMMAND_LINE.parse().get(HttpServer.OPTIONS.accept()));
        assertEquals(GroupListener.Mode.HAND_OFF_ROUND_ROBIN, GroupServer.mode("handoff"));
    }
}
