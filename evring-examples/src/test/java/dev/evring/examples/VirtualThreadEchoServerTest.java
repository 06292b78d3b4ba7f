package dev.evring.examples;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Timeout;

import javax.net.ServerSocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The virtual-thread echo server on each socket factory ({@code --sockets jdk}, {@code --sockets evring}), as clients use it: a thousand
 * connections at once each getting its own bytes back, clients that half-close after 2 MiB, resets while the server
 * reads and while it writes, none of which disturbs another connection or leaves a thread behind.
 */
@Timeout(120)
@ParameterizedClass(name = "--sockets {0}")
@MethodSource("dev.evring.examples.SocketFactories#names")
class VirtualThreadEchoServerTest {
    @AutoClose // after each test: the listener closed, serve() returned
    private final ServingOnLoopback<VirtualThreadEchoServer> serving;
    private final VirtualThreadEchoServer server;

    VirtualThreadEchoServerTest(String sockets) throws IOException {
        serving = ServingOnLoopback.start(sockets, VirtualThreadEchoServer::new);
        server = serving.server;
    }

    Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
        s.setSoTimeout(30_000);
        return s;
    }

    /** Waits up to 10 s for {@code condition}. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            Thread.sleep(10);
        }
    }

    /** Bytes that differ from one connection and round to the next, so a byte from the wrong one shows. */
    static byte[] payload(int connection, int round, int size) {
        byte[] b = new byte[size];
        new SplittableRandom(connection * 1_000_003L + round).nextBytes(b);
        return b;
    }

    @Test
    void aThousandConnectionsOnVirtualThreadsEachGetTheirOwnBytesBack() throws Exception {
        int connections = 1_000, rounds = 3, size = 4_096;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger done = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int id = c;
            clients.add(Thread.ofVirtual().start(() -> {
                try (Socket s = connect()) {
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    for (int r = 0; r < rounds; r++) {
                        byte[] sent = payload(id, r, size);
                        out.write(sent, 0, size / 2); // in two writes: the server sees them as they come
                        out.write(sent, size / 2, size - size / 2);
                        assertArrayEquals(sent, in.readNBytes(size), "connection " + id + " round " + r);
                    }
                    done.incrementAndGet();
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : clients) t.join();
        assertTrue(failures.isEmpty(), () -> failures.size() + " clients failed, first: " + failures.peek());
        assertEquals(connections, done.get());
        await(() -> server.openConnections() == 0, "every connection's thread to end after its client closed");
    }

    @Test
    void clientsThatSend2MiBAndHalfCloseGetEveryByteBackThenTheEnd() throws Exception {
        int clients = 8, size = 2 << 20;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int id = c;
            threads.add(Thread.ofVirtual().start(() -> {
                try (Socket s = connect()) {
                    byte[] sent = payload(id, 0, size);
                    Thread writer = Thread.ofVirtual().start(() -> {
                        try {
                            OutputStream out = s.getOutputStream();
                            for (int off = 0; off < size; off += 65_536) out.write(sent, off, Math.min(65_536, size - off));
                            s.shutdownOutput();
                        } catch (IOException e) {
                            failures.add(e);
                        }
                    });
                    InputStream in = s.getInputStream();
                    byte[] back = in.readNBytes(size);
                    assertArrayEquals(sent, back, "client " + id);
                    assertEquals(-1, in.read(), "the server's end of stream follows the echo");
                    writer.join();
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertTrue(failures.isEmpty(), () -> "first failure: " + failures.peek());
        await(() -> server.openConnections() == 0, "every connection's thread to end");
    }

    @Test
    void aResetWhileTheServerReadsEndsOnlyThatConnection() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 10; i++) sockets.add(connect());
        for (int i = 0; i < 10; i++) echoOnce(sockets.get(i), i);
        await(() -> server.openConnections() == 10, "ten connections");
        for (int i = 0; i < 10; i += 2) reset(sockets.get(i)); // their threads are blocked in read
        await(() -> server.openConnections() == 5, "the five reset connections' threads to end");
        for (int i = 1; i < 10; i += 2) echoOnce(sockets.get(i), 100 + i);
        for (int i = 1; i < 10; i += 2) sockets.get(i).close();
        await(() -> server.openConnections() == 0, "the rest to end");
    }

    @Test
    void aResetWhileTheServerIsBlockedWritingEndsOnlyThatConnection() throws Exception {
        Socket flooder = connect();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                OutputStream out = flooder.getOutputStream();
                byte[] chunk = new byte[65_536];
                while (true) out.write(chunk); // never reads: the server's echo fills the buffers and blocks
            } catch (IOException e) {
                // the reset below
            }
        });
        Thread.sleep(300); // time to fill both directions' buffers
        try (Socket other = connect()) {
            echoOnce(other, 7);
            assertEquals(2, server.openConnections());
            reset(flooder);
            writer.join(10_000);
            await(() -> server.openConnections() == 1, "the thread blocked in write to end");
            echoOnce(other, 8);
        }
        await(() -> server.openConnections() == 0, "the other to end");
    }

    @Test
    void theServerSocketComesFromTheFactoryGiven() throws Exception {
        AtomicInteger made = new AtomicInteger();
        ServerSocketFactory counting = new ServerSocketFactory() {
            final ServerSocketFactory jdk = ServerSocketFactory.getDefault();

            @Override
            public ServerSocket createServerSocket(int port) throws IOException {
                made.incrementAndGet();
                return jdk.createServerSocket(port);
            }

            @Override
            public ServerSocket createServerSocket(int port, int backlog) throws IOException {
                made.incrementAndGet();
                return jdk.createServerSocket(port, backlog);
            }

            @Override
            public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
                made.incrementAndGet();
                return jdk.createServerSocket(port, backlog, address);
            }
        };
        VirtualThreadEchoServer own = new VirtualThreadEchoServer(counting, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread t = Thread.ofVirtual().start(own::serve);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), own.port())) {
            assertEquals(1, made.get());
            echoOnce(s, 1);
        } finally {
            own.close();
            t.join(5_000);
        }
    }

    @Test
    void socketsAreChosenByNameAndAnUnknownNameIsRefusedByName() {
        assertEquals(SocketFactories.JDK, SocketFactories.names().getFirst(), "the JDK's sockets are the default");
        assertTrue(SocketFactories.has("jdk"));
        assertEquals(ServerSocketFactory.getDefault(), SocketFactories.get("jdk"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SocketFactories.get("bogus"));
        assertTrue(e.getMessage().contains("\"bogus\"") && e.getMessage().contains("jdk"), e.getMessage());
        CommandLine.UsageException u = assertThrows(CommandLine.UsageException.class,
                () -> VirtualThreadEchoServer.COMMAND_LINE.parse("--sockets", "bogus"));
        assertTrue(u.getMessage().startsWith("--sockets"), u.getMessage());
        String usage = VirtualThreadEchoServer.COMMAND_LINE.usage();
        assertTrue(usage.contains("--sockets jdk"), usage);
        assertTrue(usage.contains("--sockets jdk|evring") || usage.contains("evring:"), usage);
        assertEquals(List.of(SocketFactories.JDK, SocketFactories.EVRING), SocketFactories.names());
    }

    @Test
    void evringsFactoryMakesEvringsServerSockets() throws IOException {
        try (ServerSocket s = SocketFactories.get(SocketFactories.EVRING).createServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertInstanceOf(dev.evring.net.blocking.EvringServerSocket.class, s);
        }
    }

    static void echoOnce(Socket s, int round) throws IOException {
        byte[] sent = payload(-1, round, 64);
        s.getOutputStream().write(sent);
        assertArrayEquals(sent, s.getInputStream().readNBytes(sent.length));
    }

    /** Closes with an RST instead of a FIN (SO_LINGER 0), as a client that crashed or gave up. */
    static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }
}
