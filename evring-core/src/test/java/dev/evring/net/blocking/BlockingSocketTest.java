package dev.evring.net.blocking;

import dev.evring.FdLimit;
import dev.evring.LoopGroup;
import dev.evring.LoopVariant;
import dev.evring.net.NetStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * evring's blocking sockets, on every backend and variant, on a group of two loops (connections spread over both):
 * what {@link java.net.Socket} code relies on, with the JDK's exceptions.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
// A test thread blocked in a read of a platform thread does not wake by interrupt (as the JDK's): a case that hangs
// fails after the bound from a thread of its own, and the next case goes on.
@Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BlockingSocketTest {
    @Parameter
    LoopVariant variant;

    BlockingSockets sockets;
    final Queue<Throwable> loopErrors = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void open() throws IOException {
        sockets = BlockingSockets.open(LoopGroup.builder().loops(2)
                .loop(variant.builder().exceptionHandler((w, e) -> loopErrors.add(e))), BlockingSockets.DEFAULT_NET);
    }

    @AfterEach
    void close() {
        if (sockets != null) sockets.close();
        if (!loopErrors.isEmpty()) throw new AssertionError("a loop callback threw", loopErrors.peek());
    }

    static byte[] payload(int seed, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (seed * 31 + i * 7 + (i >> 8));
        return b;
    }

    /** An echo server on virtual threads over {@code listener}: read, write back, until end of stream. */
    static Thread echoServer(ServerSocket listener) {
        return Thread.ofVirtual().start(() -> {
            while (true) {
                Socket s;
                try {
                    s = listener.accept();
                } catch (IOException e) {
                    return;
                }
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        s.setTcpNoDelay(true);
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream();
                        byte[] buf = new byte[8192];
                        for (int n; (n = in.read(buf)) != -1; ) out.write(buf, 0, n);
                    } catch (IOException e) {
                        // that connection ends
                    }
                });
            }
        });
    }

    /** A blocking call under test ({@link #blockedIn}), or a client's work ({@link Clients}). */
    interface BlockingCall {
        void run() throws Exception;
    }

    /** Starts {@code call} on a virtual thread named {@code name}; what it throws is kept in {@code got}. */
    static Thread started(String name, BlockingCall call, AtomicReference<Throwable> got) {
        return Thread.ofVirtual().name(name).start(() -> {
            try {
                call.run();
            } catch (Throwable e) {
                got.set(e);
            }
        });
    }

    /** Starts {@code call} on a virtual thread, what it throws kept in {@code got}, and waits until it is blocked in it. */
    static Thread blockedIn(BlockingCall call, AtomicReference<Throwable> got) throws InterruptedException {
        Thread t = started("blocked call", call, got);
        awaitBlocked(t);
        return t;
    }

    /**
     * Waits until {@code t} is parked (blocked in the call under test) and stays so for 100 ms (a writer parks and
     * wakes while it fills the queue up to the mark), failing after 10 s.
     */
    static void awaitBlocked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long since = 0;
        while (true) {
            boolean parked = t.getState() == Thread.State.WAITING;
            long now = System.nanoTime();
            if (!parked) since = 0;
            else if (since == 0) since = now;
            else if (now - since >= TimeUnit.MILLISECONDS.toNanos(100)) return;
            if (now > deadline) fail(t + " never stayed blocked: " + t.getState());
            Thread.sleep(5);
        }
    }

    /**
     * Virtual threads running clients, each waited for with a bound: a client that fails fails the test with its
     * exception, and clients still running at the bound fail it with their stacks (where they wait) and are
     * interrupted, so the test ends instead of waiting for them for ever.
     */
    static final class Clients {
        private record Client(Thread thread, AtomicReference<Throwable> failed) {}

        private final List<Client> clients = new ArrayList<>();

        void start(int id, BlockingCall c) {
            AtomicReference<Throwable> failed = new AtomicReference<>();
            clients.add(new Client(started("client " + id, c, failed), failed));
        }

        void awaitAll(long timeout, TimeUnit unit) throws InterruptedException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            StringBuilder stuck = new StringBuilder();
            int stuckCount = 0;
            for (Client c : clients) {
                Thread t = c.thread();
                long left = deadline - System.nanoTime();
                if (left > 0) t.join(Duration.ofNanos(left));
                if (t.isAlive() && stuckCount++ < 5) {
                    stuck.append('\n').append(t).append(" (").append(t.getState()).append(')');
                    for (StackTraceElement e : t.getStackTrace()) stuck.append("\n\tat ").append(e);
                }
            }
            if (stuckCount > 0) {
                for (Client c : clients) c.thread().interrupt();
                fail(stuckCount + " of " + clients.size() + " clients still running after " + timeout + " " + unit
                        + "; the first:" + stuck);
            }
            for (Client c : clients) {
                Throwable e = c.failed().get();
                if (e != null) fail(c.thread().getName() + " failed", e);
            }
        }
    }

    static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] got = new byte[n];
        int at = 0;
        while (at < n) {
            int r = in.read(got, at, n - at);
            if (r < 0) throw new IOException("end of stream after " + at + " of " + n + " bytes");
            at += r;
        }
        return got;
    }

    @Test
    void echoesEveryByteToAThousandVirtualThreads() throws Exception {
        int clients = FdLimit.reserve(2 * 1000, 200) / 2;
        try (EvringServerSocket listener = sockets.serverSocket(0, 4096, InetAddress.getLoopbackAddress())) {
            echoServer(listener);
            int port = listener.getLocalPort();
            Clients all = new Clients();
            for (int i = 0; i < clients; i++) {
                int id = i;
                all.start(id, () -> {
                    // half the clients on evring sockets, half on the JDK's: both talk to evring's server
                    try (Socket c = id % 2 == 0 ? sockets.socketFactory().createSocket(InetAddress.getLoopbackAddress(), port)
                            : new Socket(InetAddress.getLoopbackAddress(), port)) {
                        for (int round = 0; round < 3; round++) {
                            byte[] p = payload(id * 3 + round, 4096);
                            c.getOutputStream().write(p);
                            assertArrayEquals(p, readFully(c.getInputStream(), p.length), "client " + id + " round " + round);
                        }
                        c.shutdownOutput();
                        assertEquals(-1, c.getInputStream().read(), "end of stream after the echo");
                    }
                });
            }
            all.awaitAll(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void bigTransfersArriveWholeAndInOrder() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            echoServer(listener);
            byte[] p = payload(7, 3 << 20);
            try (Socket c = sockets.socket()) {
                c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        OutputStream out = c.getOutputStream();
                        for (int at = 0; at < p.length; at += 100_000) out.write(p, at, Math.min(100_000, p.length - at));
                        c.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                assertArrayEquals(p, readFully(c.getInputStream(), p.length));
                assertEquals(-1, c.getInputStream().read());
                writer.join();
            }
        }
    }

    /** A connected pair: [0] the client (evring), [1] the server side (evring, accepted). */
    Socket[] pair(ServerSocket listener) throws IOException {
        Socket c = sockets.socketFactory().createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        Socket s = listener.accept();
        return new Socket[] {c, s};
    }

    @Test
    void aResetWakesTheReaderWithConnectionReset() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0);
             Socket peer = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             Socket s = listener.accept()) {
            AtomicReference<Throwable> got = new AtomicReference<>();
            Thread reader = blockedIn(() -> s.getInputStream().read(new byte[10]), got);
            peer.setSoLinger(true, 0);
            peer.close(); // RST
            reader.join(5000);
            assertInstanceOf(SocketException.class, got.get());
            assertEquals("Connection reset", got.get().getMessage());
            assertThrows(SocketException.class, () -> s.getInputStream().read(), "a reset connection stays reset");
        }
    }

    @Test
    void writesToAResetConnectionFail() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0);
             Socket peer = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             Socket s = listener.accept()) {
            peer.setSoLinger(true, 0);
            peer.close();
            SocketException e = assertThrows(SocketException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    s.getOutputStream().write(new byte[1000]);
                    Thread.sleep(2);
                }
            });
            assertTrue(e.getMessage().equals("Connection reset") || e.getMessage().equals("Broken pipe"), e.getMessage());
        }
    }

    @Test
    void halfCloseBothWays() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            Socket[] p = pair(listener);
            try (Socket c = p[0]; Socket s = p[1]) {
                c.getOutputStream().write("request".getBytes());
                c.shutdownOutput();
                assertTrue(c.isOutputShutdown());
                assertArrayEquals("request".getBytes(), s.getInputStream().readAllBytes(), "all, then end of stream");
                s.getOutputStream().write("answer".getBytes());
                s.shutdownOutput();
                assertArrayEquals("answer".getBytes(), c.getInputStream().readAllBytes());
                assertThrows(SocketException.class, () -> c.getOutputStream().write(1), "output is shut down");
                InputStream sin = s.getInputStream();
                s.shutdownInput();
                assertEquals(-1, sin.read(), "reads after shutdownInput see the end");
                assertThrows(SocketException.class, s::getInputStream, "Socket input is shutdown (the JDK's Socket)");
            }
        }
    }

    @Test
    void readTimeoutLeavesTheSocketUsable() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            Socket[] p = pair(listener);
            try (Socket c = p[0]; Socket s = p[1]) {
                s.setSoTimeout(100);
                long t0 = System.nanoTime();
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
                assertEquals("Read timed out", e.getMessage());
                assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90));
                assertTrue(!s.isClosed());
                c.getOutputStream().write(42);
                assertEquals(42, s.getInputStream().read());
                s.setSoTimeout(0);
                assertEquals(0, s.getSoTimeout());
            }
        }
    }

    @Test
    void interruptMidReadClosesTheSocketAsTheJdkDoes() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            Socket[] p = pair(listener);
            try (Socket c = p[0]; Socket s = p[1]) {
                AtomicReference<Throwable> got = new AtomicReference<>();
                AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        s.getInputStream().read();
                    } catch (Throwable e) {
                        got.set(e);
                        stillInterrupted.set(Thread.currentThread().isInterrupted());
                    }
                });
                awaitBlocked(reader);
                reader.interrupt();
                reader.join(5000);
                assertInstanceOf(SocketException.class, got.get());
                assertEquals("Closed by interrupt", got.get().getMessage());
                assertTrue(stillInterrupted.get(), "the interrupt status stays set");
                assertTrue(s.isClosed());
                assertEquals(-1, c.getInputStream().read(), "the peer sees the close");
            }
        }
    }

    @Test
    void interruptMidWriteClosesTheSocketAsTheJdkDoes() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            Socket[] p = pair(listener);
            try (Socket c = p[0]; Socket s = p[1]) {
                c.setReceiveBufferSize(4096);
                AtomicReference<Throwable> got = new AtomicReference<>();
                CountDownLatch writing = new CountDownLatch(1);
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        byte[] chunk = new byte[65536];
                        writing.countDown();
                        while (true) s.getOutputStream().write(chunk); // the peer never reads: blocks at the mark
                    } catch (Throwable e) {
                        got.set(e);
                    }
                });
                writing.await();
                awaitBlocked(writer);
                writer.interrupt();
                writer.join(5000);
                assertInstanceOf(SocketException.class, got.get());
                assertEquals("Closed by interrupt", got.get().getMessage());
                assertTrue(s.isClosed());
            }
        }
        awaitNothingLeft();
    }

    @Test
    void closeFromAnotherThreadWakesABlockedReader() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            Socket[] p = pair(listener);
            try (Socket c = p[0]; Socket s = p[1]) {
                AtomicReference<Throwable> got = new AtomicReference<>();
                Thread reader = blockedIn(() -> s.getInputStream().read(new byte[100]), got);
                Thread.ofVirtual().start(() -> {
                    try {
                        s.close();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }).join();
                reader.join(5000);
                assertInstanceOf(SocketException.class, got.get());
                assertEquals("Socket closed", got.get().getMessage());
                assertEquals(-1, c.getInputStream().read());
            }
        }
    }

    @Test
    void closeWakesABlockedAcceptAndTimeoutsBoundIt() throws Exception {
        EvringServerSocket listener = sockets.serverSocket(0);
        listener.setSoTimeout(100);
        SocketTimeoutException t = assertThrows(SocketTimeoutException.class, listener::accept);
        assertEquals("Accept timed out", t.getMessage());
        listener.setSoTimeout(0);
        AtomicReference<Throwable> got = new AtomicReference<>();
        Thread acceptor = blockedIn(() -> listener.accept(), got);
        listener.close();
        acceptor.join(5000);
        assertInstanceOf(SocketException.class, got.get());
        assertEquals("Socket closed", got.get().getMessage());
    }

    @Test
    void closingTheSocketsWakesEveryBlockedCall() throws Exception {
        EvringServerSocket listener = sockets.serverSocket(0);
        try (Socket peer = new Socket()) { // the JDK's: the close below does not close it, so no end of stream comes
            peer.setReceiveBufferSize(4096);
            peer.connect(listener.getLocalSocketAddress());
            Socket s = listener.accept();
            AtomicReference<Throwable> accepting = new AtomicReference<>();
            AtomicReference<Throwable> reading = new AtomicReference<>();
            AtomicReference<Throwable> writing = new AtomicReference<>();
            Thread acceptor = blockedIn(listener::accept, accepting);
            Thread reader = blockedIn(() -> {
                int n = s.getInputStream().read();
                throw new AssertionError("the read returned " + n);
            }, reading);
            Thread writer = blockedIn(() -> {
                byte[] chunk = new byte[65536];
                while (true) s.getOutputStream().write(chunk); // the peer reads nothing: blocks at the mark
            }, writing);
            sockets.close();
            for (Thread t : List.of(acceptor, reader, writer)) t.join(5000);
            assertInstanceOf(SocketException.class, accepting.get(), "a blocked accept wakes when the sockets close");
            assertInstanceOf(SocketException.class, reading.get(), "a blocked read wakes when the sockets close");
            assertInstanceOf(SocketException.class, writing.get(), "a blocked write wakes when the sockets close");
            assertEquals("Socket closed", accepting.get().getMessage());
            assertEquals("Socket closed", reading.get().getMessage());
            assertEquals("Socket closed", writing.get().getMessage());
        }
    }

    /**
     * A JDK listener that never accepts, with a backlog of 1, and the JDK sockets that fill its queue (backlog + 1 on
     * Linux): from then on the kernel drops SYNs to it, so a connect there waits until its timeout.
     */
    record FullListener(ServerSocket listener, List<Socket> fillers) implements AutoCloseable {
        static FullListener open() throws IOException {
            ServerSocket l = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            List<Socket> fillers = new ArrayList<>();
            for (int i = 0; i < 8; i++) { // until a connect waits
                Socket f = new Socket();
                try {
                    f.connect(l.getLocalSocketAddress(), 300);
                    fillers.add(f);
                } catch (SocketTimeoutException e) {
                    f.close();
                    return new FullListener(l, fillers);
                }
            }
            fail("8 connects to a listener with a backlog of 1 never waiting");
            return null;
        }

        SocketAddress address() {
            return listener.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            for (Socket f : fillers) f.close();
            listener.close();
        }
    }

    @Test
    void closingTheSocketsWakesABlockedConnect() throws Exception {
        try (FullListener full = FullListener.open()) {
            AtomicReference<Throwable> got = new AtomicReference<>();
            Thread connector = blockedIn(() -> sockets.socket().connect(full.address()), got);
            sockets.close();
            connector.join(5000);
            assertInstanceOf(SocketException.class, got.get(), () -> "connect: " + connector);
        }
    }

    @Test
    void connectTimesOutWhereTheListenersQueueIsFull() throws Exception {
        try (FullListener full = FullListener.open()) {
            Socket s = sockets.socket();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> s.connect(full.address(), 300));
            assertEquals("Connect timed out", e.getMessage());
            assertTrue(s.isClosed(), "a timed-out connect closes the socket, as the JDK's");
        }
    }

    @Test
    void interruptingABlockedAcceptClosesTheServerSocketAsTheJdkDoes() throws Exception {
        EvringServerSocket listener = sockets.serverSocket(0);
        AtomicReference<Throwable> got = new AtomicReference<>();
        Thread acceptor = blockedIn(() -> listener.accept(), got);
        acceptor.interrupt();
        acceptor.join(5000);
        assertInstanceOf(SocketException.class, got.get());
        assertEquals("Closed by interrupt", got.get().getMessage());
        assertTrue(listener.isClosed());
    }

    @Test
    void platformThreadsBlockForReal() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            Socket[] p = pair(listener);
            try (Socket c = p[0]; Socket s = p[1]) {
                Thread.ofPlatform().start(() -> {
                    try {
                        Thread.sleep(50);
                        c.getOutputStream().write("late".getBytes());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                assertArrayEquals("late".getBytes(), readFully(s.getInputStream(), 4)); // this test thread is a platform thread
            }
        }
    }

    @Test
    void byteBuffersHeapAndDirect() throws Exception {
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            echoServer(listener);
            try (EvringSocket c = (EvringSocket) sockets.socketFactory().createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                ByteBuffer out = ByteBuffer.allocateDirect(10_000).put(payload(3, 10_000)).flip();
                c.write(out);
                assertEquals(out.limit(), out.position());
                ByteBuffer in = ByteBuffer.allocate(10_000);
                while (in.hasRemaining()) assertTrue(c.read(in) > 0);
                assertArrayEquals(payload(3, 10_000), in.array());
            }
        }
    }

    @Test
    void connectRefusedAndAddresses() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0)) {
            free = probe.getLocalPort();
        }
        Socket s = sockets.socket();
        ConnectException e = assertThrows(ConnectException.class,
                () -> s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), free), 2000));
        assertEquals("Connection refused", e.getMessage());
        assertTrue(s.isClosed(), "a failed connect closes the socket, as the JDK's");
        try (EvringServerSocket listener = sockets.serverSocket(0)) {
            Socket[] p = pair(listener);
            try (Socket c = p[0]; Socket a = p[1]) {
                assertEquals(listener.getLocalPort(), c.getPort());
                assertEquals(c.getLocalPort(), a.getPort());
                assertEquals(InetAddress.getLoopbackAddress(), a.getInetAddress());
                c.setTcpNoDelay(true);
                assertTrue(c.getTcpNoDelay());
                c.setKeepAlive(true);
                assertTrue(c.getKeepAlive());
                // an option a TCP socket does not have: the JDK's answer, as from its own sockets
                assertThrows(UnsupportedOperationException.class,
                        () -> c.setOption(java.net.StandardSocketOptions.IP_MULTICAST_LOOP, true));
                assertThrows(UnsupportedOperationException.class,
                        () -> c.getOption(java.net.StandardSocketOptions.IP_MULTICAST_LOOP));
                assertThrows(UnsupportedOperationException.class,
                        () -> listener.setOption(java.net.StandardSocketOptions.IP_MULTICAST_LOOP, true));
                assertThrows(UnsupportedOperationException.class,
                        () -> listener.getOption(java.net.StandardSocketOptions.IP_MULTICAST_LOOP));
            }
        }
    }

    @Test
    void tenThousandConnectionsLeaveNothingBehind() throws Exception {
        int batch = FdLimit.reserve(2 * 500, 100) / 2;
        int total = 10_000;
        try (EvringServerSocket listener = sockets.serverSocket(0, 4096, InetAddress.getLoopbackAddress())) {
            echoServer(listener);
            int port = listener.getLocalPort();
            for (int done = 0; done < total; done += batch) {
                int n = Math.min(batch, total - done);
                Clients batchOf = new Clients();
                for (int i = 0; i < n; i++) {
                    int id = done + i;
                    batchOf.start(id, () -> {
                        try (Socket c = sockets.socketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
                            byte[] p = payload(id, 1 + id % 300);
                            c.getOutputStream().write(p);
                            assertArrayEquals(p, readFully(c.getInputStream(), p.length));
                            if (id % 3 == 0) c.shutdownOutput(); // some half-close first, the others just close
                        }
                    });
                }
                batchOf.awaitAll(60, TimeUnit.SECONDS);
            }
        }
        awaitNothingLeft();
    }

    /** Every connection closed on its loop, and each loop's Net holds no operation, buffer or queued byte. */
    void awaitNothingLeft() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String last = "";
        while (System.nanoTime() < deadline) {
            List<NetStats> stats = sockets.netStats();
            boolean clean = sockets.openConnections() == 0;
            for (NetStats st : stats) {
                clean &= st.operationsRunning() == 0 && st.recvBuffersHeld() == 0 && st.buffersHeld() == 0
                        && st.buffersLent() == 0 && st.sendQueuedBytes() == 0 && st.recvAccumulatedBytes() == 0
                        && st.buffersFree() == st.buffers();
            }
            if (clean) return;
            last = sockets.openConnections() + " open; " + Arrays.toString(stats.toArray());
            Thread.sleep(20);
        }
        fail("left behind: " + last);
    }
}
