package dev.evring.examples;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.net.Buffer;
import dev.evring.net.CompletionCallback;
import dev.evring.net.Net;
import dev.evring.net.RecvCallback;
import dev.evring.net.Status;
import dev.evring.net.StreamSocket;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * An echo load generator on the completion API: {@code connections} connections, each keeping {@code inflight}
 * messages of {@code size} bytes in flight and sending the next as soon as one came back, until each has had
 * {@code messages} echoed. Every callback is made once, when the traffic starts: nothing is allocated per message.
 *
 * <p>{@code ./evring echo-client --port P [--host H] [--connections 50] [--inflight 8] [--messages 400000]
 * [--size 64] [--backend epoll]} drives an echo server in another process (to count that server's system calls).
 */
public final class EchoClient {
    private final Net net;
    private final byte[] message;
    private final int inflight;
    private final long perConnection;
    /** Messages echoed back, all connections together. */
    public long echoed;
    /** Connections that got all their messages back (or failed). */
    public int finished;
    /** The first failure, as a status, or 0. */
    public int failure;
    private final int connections;

    private final class Conn {
        long sent;
        long back;
        int partial; // bytes of the next message already back
    }

    /** Starts the traffic on {@code net}'s loop; run the loop until {@link #done()}. */
    public EchoClient(Net net, SocketAddress server, int connections, int inflight, long messagesPerConnection, int size) {
        this.net = net;
        this.message = new byte[size];
        for (int i = 0; i < size; i++) message[i] = (byte) ('a' + i % 26);
        this.inflight = inflight;
        this.perConnection = messagesPerConnection;
        this.connections = connections;
        RecvCallback onData = this::received;
        CompletionCallback<StreamSocket> onConnect = (s, st) -> {
            if (st != 0) {
                fail(st);
                return;
            }
            Conn c = new Conn();
            s.attach(c);
            s.recv(onData);
            for (int i = 0; i < inflight && c.sent < perConnection; i++) send(s, c);
        };
        for (int i = 0; i < connections; i++) net.connect(server, onConnect);
    }

    public boolean done() {
        return finished == connections;
    }

    private void fail(int status) {
        if (failure == 0) failure = status;
        finished++;
    }

    private void send(StreamSocket s, Conn c) {
        Buffer b = net.allocate();
        b.put(message);
        s.send(b, null);
        c.sent++;
    }

    private void received(StreamSocket s, Buffer data, int n) {
        Conn c = (Conn) s.attachment();
        if (n <= 0) {
            if (c.back < perConnection) fail(n == 0 ? Status.ECONNRESET : n);
            return;
        }
        data.release();
        int total = c.partial + n;
        while (total >= message.length) {
            total -= message.length;
            c.back++;
            echoed++;
            if (c.sent < perConnection) send(s, c);
        }
        c.partial = total;
        if (c.back == perConnection) {
            finished++;
            s.close();
        }
    }

    /** The options of {@code ./evring echo-client} (and of this class's {@code main}). */
    public static final CommandLine COMMAND_LINE = new CommandLine("./evring echo-client",
            "Echo load on the completion API: drives an echo server in another process and prints messages per second.");
    static final CommandLine.Option<String> HOST = COMMAND_LINE.string("--host", "H", null, "the server's address (default: loopback)");
    static final CommandLine.Option<Integer> PORT = COMMAND_LINE.integer("--port", "P", 7007, 1, 65_535, "the server's port (default 7007)");
    static final CommandLine.Option<Integer> CONNECTIONS = COMMAND_LINE.integer("--connections", "N", 50, 1, 100_000,
            "connections (default 50)");
    static final CommandLine.Option<Integer> INFLIGHT = COMMAND_LINE.integer("--inflight", "N", 8, 1, 1_024,
            "messages in flight on each connection (default 8)");
    static final CommandLine.Option<Long> MESSAGES = COMMAND_LINE.longInteger("--messages", "N", 400_000, 1, Long.MAX_VALUE / 2,
            "messages echoed in all, at least one per connection (default 400000)");
    static final CommandLine.Option<Integer> SIZE = COMMAND_LINE.integer("--size", "BYTES", 64, 1, 65_536, "message size (default 64)");
    static final CommandLine.Option<Backend> BACKEND = COMMAND_LINE.value("--backend", "io_uring|epoll|poll", Backend.EPOLL,
            Backend::parse, "the client loop's backend (default epoll)");

    public static void main(String[] args) throws Exception {
        System.exit(COMMAND_LINE.run(args, System.out, System.err, EchoClient::run));
    }

    /** The command: drives a server and prints messages per second; returns the exit status. */
    public static int run(CommandLine.Parsed options) throws Exception {
        String host = options.get(HOST);
        int port = options.get(PORT);
        int connections = options.get(CONNECTIONS);
        int inflight = options.get(INFLIGHT);
        long messages = options.get(MESSAGES);
        int size = options.get(SIZE);
        Backend backend = options.get(BACKEND);
        if (messages < connections) {
            throw new CommandLine.UsageException("--messages: " + messages + " is fewer than the " + connections + " connections");
        }
        InetSocketAddress server = new InetSocketAddress(host == null ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host), port);
        try (EventLoop loop = EventLoop.builder().backend(backend).open()) {
            Net net = Net.builder(loop).buffers(Math.max(256, connections * inflight * 2), Math.max(64, size)).open();
            long t0 = System.nanoTime();
            EchoClient c = new EchoClient(net, server, connections, inflight, messages / connections, size);
            while (!c.done()) loop.runOnce();
            double secs = (System.nanoTime() - t0) / 1e9;
            if (c.failure != 0) {
                System.err.println("echo-client: a connection failed: " + Status.describe(c.failure));
                return 1;
            }
            System.out.printf("echo-client: %d messages of %d bytes echoed over %d connections (%d in flight each) in %.2f s: %.0f msg/s%n",
                    c.echoed, size, connections, inflight, secs, c.echoed / secs);
        }
        return 0;
    }
}
