package dev.evring.net.blocking;

import dev.evring.EventLoop;
import dev.evring.LoopGroup;
import dev.evring.net.Net;
import dev.evring.net.NetStats;

import javax.net.ServerSocketFactory;
import javax.net.SocketFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Blocking {@link java.net.Socket}s and {@link java.net.ServerSocket}s for thread-per-connection code (virtual threads
 * first, platform threads too) whose I/O runs on evring loops: io_uring completions by default, epoll or poll through
 * {@code dev.evring.net}'s emulation. Existing code runs unchanged: it gets its sockets from
 * {@link #socketFactory()} / {@link #serverSocketFactory()} (the JDK's {@code javax.net} factories) and sees plain
 * {@code Socket}s and {@code ServerSocket}s ({@link EvringSocket}, {@link EvringServerSocket}).
 *
 * <pre>{@code
 * try (BlockingSockets sockets = BlockingSockets.open();
 *      ServerSocket listener = sockets.serverSocketFactory().createServerSocket(8080)) {
 *     while (true) {
 *         Socket s = listener.accept();
 *         Thread.ofVirtual().start(() -> serve(s));    // blocking InputStream / OutputStream, as ever
 *     }
 * }
 * }</pre>
 *
 * <h2>Where the work happens, and what each call costs</h2>
 * Each connection belongs to one loop (round-robin over the loops for connects; the loop whose listening socket took
 * it for accepts). On that loop a continuous receive copies what arrives into the connection's inbound ring, and a
 * flush task copies what threads wrote into the socket's send queue, which the loop writes in batches (one
 * {@code io_uring_enter} serves many connections). The threads only copy, park and unpark:
 * <ul>
 * <li>read with data waiting: a lock and a copy (no system call, no hand-over); without: a park, and the loop's
 *     unpark when data, the end of stream or an error arrives;</li>
 * <li>write: a lock and a copy into the connection's staging array; the first write since the loop last flushed the
 *     connection hands it one task ({@link EventLoop#execute}: an array store under the loop's task lock, and a wakeup
 *     system call only if the loop sleeps); it waits only above the connection's high-water mark (64 KiB queued);</li>
 * <li>accept with a connection queued: a lock and a poll; connect, socket options, shutdowns and close: one task on
 *     the loop each (connect and reading an option wait for it: a park and an unpark).</li>
 * </ul>
 * Steady state allocates nothing per read or write: the ring and the staging array are made on a connection's first
 * use and grow by doubling while a burst needs it; what a connection allocates is its objects (the socket, its impl,
 * the connection, two locks, the streams) and those arrays.
 *
 * <h2>Lifetime</h2>
 * {@link #open()} and {@link #open(int)} start loops of their own (a {@link LoopGroup} of daemon threads, as the
 * JDK's own poller threads are), closed by {@link #close()}. {@link #on(LoopGroup)} and {@link #on(EventLoop)} use
 * loops you run (which must be running: this opens a {@link Net} on each, on its thread); {@link #close()} then closes
 * those Nets, and with them every socket made here. A socket call on a loop's own thread throws
 * {@link IllegalStateException}: the thread would wait for itself.
 */
public final class BlockingSockets implements AutoCloseable {
    private static final Object SHARED_LOCK = new Object();
    private static BlockingSockets shared;

    private final List<LoopPort> ports;
    private final LoopGroup ownedGroup;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final SocketFactory socketFactory = new Sockets();
    private final ServerSocketFactory serverSocketFactory = new ServerSockets();
    private volatile boolean closed;

    private BlockingSockets(List<LoopPort> ports, LoopGroup ownedGroup) {
        this.ports = List.copyOf(ports);
        this.ownedGroup = ownedGroup;
    }

    /** Blocking sockets on one loop of their own (io_uring, or the best backend this kernel has). */
    public static BlockingSockets open() throws IOException {
        return open(1);
    }

    /** Blocking sockets on {@code loops} loops of their own, each on a daemon thread. */
    public static BlockingSockets open(int loops) throws IOException {
        AtomicInteger n = new AtomicInteger();
        return open(LoopGroup.builder().loops(loops).threadFactory(r -> {
            Thread t = new Thread(r, "evring-blocking-loop-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        }), DEFAULT_NET);
    }

    /**
     * Blocking sockets on the loops {@code group} opens (its thread factory decides whether they are daemons), each
     * with a Net made by {@code nets} (on the loop's thread). The group is closed with this.
     */
    public static BlockingSockets open(LoopGroup.Builder group, Function<EventLoop, Net> nets) throws IOException {
        LoopGroup g = group.open();
        try {
            return new BlockingSockets(ports(g.loops(), nets), g);
        } catch (IOException | RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** Blocking sockets on the running loops of {@code group} (a Net of default settings is opened on each). */
    public static BlockingSockets on(LoopGroup group) throws IOException {
        return on(group.loops(), DEFAULT_NET);
    }

    /** Blocking sockets on one running loop (a Net of default settings is opened on it). */
    public static BlockingSockets on(EventLoop loop) throws IOException {
        return on(List.of(loop), DEFAULT_NET);
    }

    /** Blocking sockets on running {@code loops}, each with a Net made by {@code nets} (on the loop's thread). */
    public static BlockingSockets on(List<EventLoop> loops, Function<EventLoop, Net> nets) throws IOException {
        if (loops.isEmpty()) throw new IllegalArgumentException("no loops");
        return new BlockingSockets(ports(loops, nets), null);
    }

    /**
     * The process's default blocking sockets, made on first use: {@code evring.blocking.loops} loops (a system
     * property; 1 by default) on daemon threads, never closed (as the JDK's poller threads).
     */
    public static BlockingSockets shared() throws IOException {
        synchronized (SHARED_LOCK) {
            if (shared == null) shared = open(Integer.getInteger("evring.blocking.loops", 1));
            return shared;
        }
    }

    /**
     * The Net blocking sockets open on a loop unless told otherwise: a general pool of 2,048 buffers of 4 KiB (what
     * threads write is copied into it; a thousand connections with a reply in flight each need a thousand) and the
     * receive pool's defaults, per-connection share included (so on io_uring a receive is one SQE per chunk, armed only
     * under the share). Each chunk is copied out and its buffer given back inside the callback, so no buffer is held
     * for long; without the share ({@code recvShare(0)}, multishot receives) 1,000 connections each sending a request
     * at once measured stalls of over a second (the receive ring of 256 buffers ran dry and multishot receives waited
     * for buffers), so the share stays.
     */
    public static final Function<EventLoop, Net> DEFAULT_NET = loop -> Net.builder(loop).buffers(2048, 4096).open();

    private static List<LoopPort> ports(List<EventLoop> loops, Function<EventLoop, Net> nets) throws IOException {
        List<LoopPort> ports = new ArrayList<>();
        for (EventLoop l : loops) ports.add(LoopPort.open(l, nets));
        return ports;
    }

    List<LoopPort> ports() {
        return ports;
    }

    /** The loop for the next connect: round-robin. */
    LoopPort nextPort() {
        if (closed) throw new IllegalStateException("these blocking sockets are closed");
        return ports.get(Math.floorMod(next.getAndIncrement(), ports.size()));
    }

    void opened() {
        open.incrementAndGet();
    }

    void closed() {
        open.decrementAndGet();
    }

    /** An unconnected socket; {@code connect} picks its loop. */
    public EvringSocket socket() {
        try {
            return new EvringSocket(new ConnectionImpl(this));
        } catch (java.net.SocketException e) {
            throw new UncheckedIOException(e); // Socket(SocketImpl) throws nothing for a non-null impl
        }
    }

    /** An unbound server socket. */
    public EvringServerSocket serverSocket() {
        if (closed) throw new IllegalStateException("these blocking sockets are closed");
        return new EvringServerSocket(this);
    }

    /** A server socket bound to {@code port} (0: any free one) on every local address, with a backlog of 50. */
    public EvringServerSocket serverSocket(int port) throws IOException {
        return serverSocket(port, 50, null);
    }

    /** A server socket bound to {@code port} of {@code address} (null: every local address). */
    public EvringServerSocket serverSocket(int port, int backlog, InetAddress address) throws IOException {
        EvringServerSocket s = serverSocket();
        try {
            s.bind(new InetSocketAddress(address, port), backlog);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** The factory of this object's client sockets, for code that takes a {@link SocketFactory}. */
    public SocketFactory socketFactory() {
        return socketFactory;
    }

    /** The factory of this object's server sockets, for code that takes a {@link ServerSocketFactory}. */
    public ServerSocketFactory serverSocketFactory() {
        return serverSocketFactory;
    }

    /** Connections open now (connected or accepted, not yet closed on their loop). */
    public int openConnections() {
        return open.get();
    }

    /** The loops' Nets' stats, one per loop (a task on each loop; the caller waits). */
    public List<NetStats> netStats() throws IOException {
        List<NetStats> all = new ArrayList<>();
        for (LoopPort p : ports) all.add(p.call(p.net::stats));
        return all;
    }

    /** The loops the sockets run on. */
    public List<EventLoop> loops() {
        return ports.stream().map(p -> p.loop).toList();
    }

    /**
     * Closes every socket made here (threads blocked in them wake with "Socket closed") and, for {@link #open}, the
     * loops. Idempotent.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (ownedGroup != null) {
            ownedGroup.close();
            return;
        }
        for (LoopPort p : ports) {
            try {
                p.call(() -> {
                    p.net.close();
                    return null;
                });
            } catch (IOException e) {
                // that loop is closed already, and its Net with it
            }
        }
    }

    private final class Sockets extends SocketFactory {
        @Override
        public Socket createSocket() {
            return socket();
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            Socket s = socket();
            s.connect(new InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            Socket s = socket();
            s.bind(new InetSocketAddress(localHost, localPort));
            s.connect(new InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            Socket s = socket();
            s.connect(new InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            Socket s = socket();
            s.bind(new InetSocketAddress(localAddress, localPort));
            s.connect(new InetSocketAddress(address, port));
            return s;
        }
    }

    private final class ServerSockets extends ServerSocketFactory {
        @Override
        public ServerSocket createServerSocket() {
            return serverSocket();
        }

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            return serverSocket(port);
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog) throws IOException {
            return serverSocket(port, backlog, null);
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
            return serverSocket(port, backlog, address);
        }
    }
}
