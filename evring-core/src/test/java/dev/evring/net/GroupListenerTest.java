package dev.evring.net;

import dev.evring.EventLoop;
import dev.evring.LoopGroup;
import dev.evring.LoopVariant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Listening on a loop group (issue 13) on every backend and net variant (the completion path's fallbacks forced, the
 * readiness emulation on the ring), both ways (a listener per loop with SO_REUSEPORT; one
 * accepting loop handing connections off round-robin or to the least loaded), with 2 and 4 loops on this 2-core
 * machine: connections reach every loop and are served there byte for byte, the group's stats show each loop's
 * connections, a graceful shutdown of the group loses no reply already queued, a loop whose callbacks throw leaves the
 * others (and itself) serving.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class GroupListenerTest {
    @Parameter
    LoopVariant variant;

    private final List<Throwable> thrown = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> thrownOn = Collections.synchronizedList(new ArrayList<>());
    private final List<LoopGroup> groups = new ArrayList<>();
    private final List<Socket> clients = new ArrayList<>();
    private boolean callbacksMayThrow;

    static Stream<Arguments> modesAndLoops() {
        List<Arguments> a = new ArrayList<>();
        for (GroupListener.Mode m : GroupListener.Mode.values()) for (int n : new int[] {2, 4}) a.add(Arguments.of(m, n));
        return a.stream();
    }

    private LoopGroup openGroup(int loops) {
        LoopGroup g = LoopGroup.builder().loops(loops).loop(variant.builder().exceptionHandler((source, e) -> {
            thrownOn.add(Thread.currentThread());
            thrown.add(e);
        })).open();
        groups.add(g);
        return g;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (Socket c : clients) c.close();
        for (LoopGroup g : groups) {
            g.close();
            assertTrue(g.awaitTermination(Duration.ofSeconds(10)), g + " did not terminate");
        }
        if (!callbacksMayThrow && !thrown.isEmpty()) throw new AssertionError("callbacks threw on " + variant, thrown.get(0));
    }

    private static SocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    private Socket connect(GroupListener l) throws IOException {
        Socket c = new Socket();
        clients.add(c);
        c.setSoTimeout(10_000);
        c.connect(l.localAddress(), 10_000);
        return c;
    }

    /** Echoes every chunk back and closes at end of stream; notes which loop thread served each connection. */
    private static GroupAcceptCallback echo(Set<Thread> servedOn, AtomicInteger served) {
        return (socket, status) -> {
            if (socket == null) return; // ECANCELED when the listener closes
            servedOn.add(Thread.currentThread());
            served.incrementAndGet();
            socket.recv((s, data, n) -> {
                if (n > 0) s.send(data, null);
                else s.closeGracefully(Duration.ofSeconds(5), null);
            });
        };
    }

    /**
     * Connects are refused, at once or within a moment: on io_uring a request the kernel still holds (the readiness
     * emulation's poll, removed with the loop's next submission; or any request of a ring being torn down, which the
     * kernel finishes in the background) keeps the listening socket alive until it ends.
     */
    private static void assertNothingListens(GroupListener l, String why) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try (Socket c = new Socket()) {
                c.connect(l.localAddress(), 2_000);
            } catch (IOException refused) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, why + ": connects still complete 5 s after the close");
            Thread.sleep(10);
        }
    }

    private static void roundTrip(Socket c, int seed) throws IOException {
        byte[] out = new byte[1000];
        for (int i = 0; i < out.length; i++) out[i] = (byte) (seed * 31 + i);
        c.getOutputStream().write(out);
        byte[] in = c.getInputStream().readNBytes(out.length);
        assertArrayEquals(out, in, "echo of connection " + seed);
    }

    /** Each loop's thread, in loop order. */
    private static Thread[] threadsOf(NetGroup nets) {
        Thread[] t = new Thread[nets.size()];
        for (int i = 0; i < t.length; i++) t[i] = nets.onLoop(nets.group().loop(i), Thread::currentThread);
        return t;
    }

    private static Set<Thread> loopThreads(NetGroup nets) {
        return Set.of(threadsOf(nets));
    }

    @ParameterizedTest(name = "{0}, {1} loops")
    @MethodSource("modesAndLoops")
    void connectionsReachEveryLoopAndTheStatsShowThem(GroupListener.Mode mode, int n) throws Exception {
        LoopGroup g = openGroup(n);
        NetGroup nets = NetGroup.open(g);
        Set<Thread> servedOn = ConcurrentHashMap.newKeySet();
        AtomicInteger served = new AtomicInteger();
        GroupListener l = nets.listen(loopback(), mode, echo(servedOn, served));
        assertTrue(((InetSocketAddress) l.localAddress()).getPort() > 0, "the port the kernel chose: " + l.localAddress());
        int count = 16 * n; // REUSE_PORT spreads by a hash: a loop gets none with probability n(1-1/n)^16n < 1e-7
        List<Socket> cs = new ArrayList<>();
        for (int i = 0; i < count; i++) cs.add(connect(l));
        for (int i = 0; i < count; i++) roundTrip(cs.get(i), i);
        assertEquals(count, served.get());
        assertEquals(loopThreads(nets), servedOn, "every loop served connections (" + mode + ")");
        NetGroupStats st = nets.stats();
        assertEquals(count, st.totalConnections(), "open connections: " + st);
        assertEquals(count, st.totalAccepted(), "connections given to loops: " + st);
        for (int i = 0; i < n; i++) {
            assertTrue(st.connections().get(i) > 0, "loop " + i + " holds connections: " + st);
            assertEquals((long) st.connections().get(i), st.accepted().get(i), "loop " + i + ": " + st);
        }
        if (mode == GroupListener.Mode.HAND_OFF_ROUND_ROBIN) {
            for (int i = 0; i < n; i++) assertEquals(count / n, st.connections().get(i), "round-robin is exact: " + st);
        }
        long handedOff = st.handedOff().stream().mapToLong(Long::longValue).sum();
        if (mode == GroupListener.Mode.REUSE_PORT) assertEquals(0, handedOff, st.toString());
        else assertEquals(count - st.accepted().get(0), handedOff, "loop 0 handed off all but its own: " + st);
        for (Socket c : cs) c.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (nets.stats().totalConnections() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(0, nets.stats().totalConnections(), "closed connections leave the count: " + nets.stats());
        l.close();
        assertNothingListens(l, "nothing listens once the group listener closed");
    }

    @ParameterizedTest(name = "{0}, {1} loops")
    @MethodSource("modesAndLoops")
    void tasksAConnectionHandsToAnotherLoopRunThereInOrder(GroupListener.Mode mode, int n) throws Exception {
        LoopGroup g = openGroup(n);
        NetGroup nets = NetGroup.open(g);
        List<EventLoop> loops = g.loops();
        Thread[] threads = threadsOf(nets);
        int count = 4 * n;
        int perConnection = 200;
        List<List<Integer>> seen = new ArrayList<>(); // per connection, written only on the next loop's thread
        for (int i = 0; i < count; i++) seen.add(new ArrayList<>());
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch ran = new CountDownLatch(count * perConnection);
        GroupListener l = nets.listen(loopback(), mode, (socket, status) -> {
            if (socket == null) return;
            int here = loops.indexOf(socket.net().loop());
            EventLoop next = loops.get((here + 1) % n);
            Thread nextThread = threads[(here + 1) % n];
            socket.recv((s, data, k) -> {
                if (k <= 0) {
                    s.closeGracefully(Duration.ofSeconds(5), null);
                    return;
                }
                int id = data.get(0);
                data.release();
                for (int seq = 0; seq < perConnection; seq++) { // from this loop's callback to the next loop
                    int q = seq;
                    next.execute(() -> {
                        if (Thread.currentThread() != nextThread) wrong.add("connection " + id + " ran on " + Thread.currentThread());
                        seen.get(id).add(q);
                        ran.countDown();
                    });
                }
                s.send(new byte[] {(byte) id}, null);
            });
        });
        for (int i = 0; i < count; i++) {
            Socket c = connect(l);
            c.getOutputStream().write(i);
            assertEquals(i, c.getInputStream().read());
        }
        assertTrue(ran.await(10, TimeUnit.SECONDS), "every task ran");
        assertTrue(wrong.isEmpty(), wrong.toString());
        List<Integer> inOrder = new ArrayList<>();
        for (int q = 0; q < perConnection; q++) inOrder.add(q);
        for (int i = 0; i < count; i++) {
            assertEquals(inOrder, seen.get(i), "connection " + i + "'s tasks, in submission order"); // seen after the latch
        }
    }

    @ParameterizedTest(name = "{0}, {1} loops")
    @MethodSource("modesAndLoops")
    void gracefulShutdownOfTheGroupLosesNoQueuedReply(GroupListener.Mode mode, int n) throws Exception {
        LoopGroup g = openGroup(n);
        NetGroup nets = NetGroup.open(g);
        int reply = 1 << 20; // far more than the socket buffers take: most of it waits in the send queue
        byte[] pattern = new byte[reply];
        for (int i = 0; i < reply; i++) pattern[i] = (byte) (i * 7 + (i >> 11));
        int count = 2 * n;
        CountDownLatch queued = new CountDownLatch(count);
        GroupListener l = nets.listen(loopback(), mode, (socket, status) -> {
            if (socket == null) return;
            socket.send(pattern, null); // queued at once, written as the client reads
            socket.recv((s, data, k) -> {
                if (data != null) data.release();
                if (k <= 0) s.closeGracefully(Duration.ofSeconds(20), null); // the client read it all and closed
            });
            queued.countDown();
        });
        List<Socket> cs = new ArrayList<>();
        for (int i = 0; i < count; i++) cs.add(connect(l));
        assertTrue(queued.await(10, TimeUnit.SECONDS), "every connection queued its reply");
        long t0 = System.nanoTime();
        g.shutdownGracefully(Duration.ofSeconds(30));
        for (Socket c : cs) {
            byte[] got = c.getInputStream().readNBytes(reply);
            assertArrayEquals(pattern, got, "a reply queued before the shutdown arrives whole (" + mode + ")");
            c.close();
        }
        assertTrue(g.awaitTermination(Duration.ofSeconds(20)), "the group ends once its connections closed");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(25), "ended by draining, not at the deadline");
        assertNothingListens(l, "the group stopped listening");
    }

    @ParameterizedTest(name = "{0}, {1} loops")
    @MethodSource("modesAndLoops")
    void aLoopWhoseCallbacksThrowLeavesTheOthersServing(GroupListener.Mode mode, int n) throws Exception {
        callbacksMayThrow = true;
        LoopGroup g = openGroup(n);
        NetGroup nets = NetGroup.open(g);
        Thread bad = nets.onLoop(g.loop(0), Thread::currentThread);
        Set<Thread> servedOn = ConcurrentHashMap.newKeySet();
        GroupListener l = nets.listen(loopback(), mode, (socket, status) -> {
            if (socket == null) return;
            servedOn.add(Thread.currentThread());
            socket.recv((s, data, k) -> {
                if (k > 0) s.send(data, null);
                else s.closeGracefully(Duration.ofSeconds(5), null);
                if (Thread.currentThread() == bad) throw new IllegalStateException("loop 0's callback fails");
            });
            if (Thread.currentThread() == bad) throw new IllegalStateException("loop 0's accept callback fails");
        });
        int count = 16 * n;
        List<Socket> cs = new ArrayList<>();
        for (int i = 0; i < count; i++) cs.add(connect(l));
        for (int round = 0; round < 3; round++) for (int i = 0; i < count; i++) roundTrip(cs.get(i), i + round);
        assertTrue(servedOn.contains(bad), "loop 0 got connections too");
        assertEquals(loopThreads(nets), servedOn);
        assertTrue(!thrown.isEmpty(), "the failures reached the exception handler");
        assertEquals(Set.of(bad), new HashSet<>(thrownOn), "only loop 0's callbacks failed, on loop 0's thread");
        for (Throwable t : thrown) assertTrue(t instanceof IllegalStateException && t.getMessage().startsWith("loop 0"), t.toString());
    }

    @Test
    void handOffWorksForUnixSocketsAndReusePortRefusesThem() throws Exception {
        LoopGroup g = openGroup(2);
        NetGroup nets = NetGroup.open(g);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("evring-group");
        SocketAddress path = java.net.UnixDomainSocketAddress.of(dir.resolve("s"));
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> nets.listen(path, GroupListener.Mode.REUSE_PORT, (s, st) -> {}));
            assertTrue(e.getMessage().contains("REUSE_PORT"), e.getMessage());
            Set<Thread> servedOn = ConcurrentHashMap.newKeySet();
            AtomicInteger served = new AtomicInteger();
            GroupListener l = nets.listen(path, GroupListener.Mode.HAND_OFF_ROUND_ROBIN, echo(servedOn, served));
            for (int i = 0; i < 4; i++) {
                try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(path)) {
                    byte[] out = ("hello " + i).getBytes();
                    c.write(java.nio.ByteBuffer.wrap(out));
                    java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(out.length);
                    while (in.hasRemaining()) assertTrue(c.read(in) > 0);
                    assertArrayEquals(out, in.array());
                }
            }
            assertEquals(loopThreads(nets), servedOn);
            l.close();
        } finally {
            java.nio.file.Files.deleteIfExists(dir.resolve("s"));
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    @Test
    void adoptStreamTakesABlockingSocketMadeElsewhereAndRefusesWhatIsNoConnection() throws Exception {
        try (EventLoop loop = variant.builder().open()) {
            Net net = Net.open(loop);
            java.lang.foreign.MemorySegment state = java.lang.foreign.Arena.ofAuto()
                    .allocate(java.lang.foreign.Linker.Option.captureStateLayout());
            java.lang.foreign.MemorySegment sv = java.lang.foreign.Arena.ofAuto().allocate(8, 4);
            assertEquals(0, dev.evring.linux.SysSocket.socketpair(state, dev.evring.linux.SysSocket.AF_UNIX,
                    dev.evring.linux.SysSocket.SOCK_STREAM, 0, sv)); // blocking, as another library would make it
            StreamSocket a = net.adoptStream(sv.get(java.lang.foreign.ValueLayout.JAVA_INT, 0));
            StreamSocket b = net.adoptStream(sv.get(java.lang.foreign.ValueLayout.JAVA_INT, 4));
            assertEquals(java.net.StandardProtocolFamily.UNIX, a.family());
            assertEquals(2, net.connections());
            assertEquals(0, a.read(new byte[4], 0, 4), "made non-blocking: nothing there is 0, not a wait");
            byte[][] got = new byte[1][];
            b.recv((s, data, n) -> {
                if (n > 0) got[0] = data.toArray();
                if (data != null) data.release();
            });
            a.send("adopted".getBytes(), null);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got[0] == null && System.nanoTime() < deadline) loop.runOnce();
            assertArrayEquals("adopted".getBytes(), got[0]);
            a.close();
            assertEquals(1, net.connections());
            StreamListener l = net.listen(loopback());
            int listening = l.fd();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.adoptStream(listening));
            assertTrue(e.getMessage().contains("fd " + listening) && e.getMessage().contains("listening"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> net.adoptStream(-3));
            assertTrue(e.getMessage().contains("-3"), e.getMessage());
            UdpSocket u = net.bindUdp(loopback());
            int udp = u.fd();
            e = assertThrows(IllegalArgumentException.class, () -> net.adoptStream(udp));
            assertTrue(e.getMessage().contains("not a stream socket"), e.getMessage());
            AsyncFile f = net.openFile(Path.of("/proc/self/stat"));
            int file = f.fd();
            e = assertThrows(IllegalArgumentException.class, () -> net.adoptStream(file));
            assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> net.adoptStream(1_000_000));
            assertTrue(e.getMessage().contains("not open"), e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}, {1} loops")
    @MethodSource("modesAndLoops")
    void aPortHeldElsewhereFailsTheListenWithEaddrinuseAndLeavesNothingOpen(GroupListener.Mode mode, int n) throws Exception {
        LoopGroup g = openGroup(n);
        NetGroup nets = NetGroup.open(g);
        try (java.net.ServerSocket held = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int fds = dev.evring.TestFds.openFdCount();
            dev.evring.ErrnoException e = assertThrows(dev.evring.ErrnoException.class, () -> nets.listen(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), held.getLocalPort()), mode, (s, st) -> {}));
            assertTrue(e.getMessage().contains("EADDRINUSE") || e.getMessage().contains("in use"), e.getMessage());
            assertEquals(fds, dev.evring.TestFds.openFdCount(), "no listener is left open");
        }
    }

    @Test
    void badArgumentsAreRefusedByName() {
        LoopGroup g = openGroup(2);
        NetGroup nets = NetGroup.open(g);
        assertThrows(IllegalArgumentException.class, () -> nets.listen(null, GroupListener.Mode.REUSE_PORT, (s, st) -> {}));
        assertThrows(IllegalArgumentException.class, () -> nets.listen(loopback(), null, (s, st) -> {}));
        assertThrows(IllegalArgumentException.class, () -> nets.listen(loopback(), GroupListener.Mode.REUSE_PORT, null));
        assertThrows(IllegalArgumentException.class, () -> NetGroup.open(g, loop -> null));
        assertThrows(IllegalArgumentException.class, () -> NetGroup.open(null));
        assertThrows(IndexOutOfBoundsException.class, () -> nets.net(2));
        EventLoop other = g.loop(1);
        assertEquals(other, nets.onLoop(other, () -> nets.net(other).loop()));
    }

    @Test
    void aNetGroupOpensFromALoopThreadOfItsOwnGroup() throws Exception {
        LoopGroup g = openGroup(2);
        NetGroup nets = new java.util.concurrent.CompletableFuture<NetGroup>() {
            {
                g.loop(1).execute(() -> {
                    try {
                        complete(NetGroup.open(g));
                    } catch (Throwable t) {
                        completeExceptionally(t);
                    }
                });
            }
        }.get(10, TimeUnit.SECONDS);
        assertEquals(2, nets.size());
        assertEquals(Arrays.asList(0, 0), nets.stats().connections());
    }
}
