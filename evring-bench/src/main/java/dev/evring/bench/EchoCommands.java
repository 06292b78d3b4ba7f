package dev.evring.bench;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.examples.CommandLine;
import dev.evring.examples.CompletionEcho;
import dev.evring.examples.EchoClient;
import dev.evring.net.Net;
import dev.evring.net.StreamListener;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * {@code echo-alloc}, which counts what a million echoes through the completion API allocate on the loop thread.
 */
final class EchoCommands {
    private EchoCommands() {}

    static final CommandLine COMMAND_LINE = new CommandLine("./evring echo-alloc",
            "Bytes a million completion-style echoes allocate on the loop thread.\n"
            + "A completion echo server and its clients on one loop; after a warm-up of a fifth of the echoes, HotSpot's\n"
            + "per-thread allocation counter of the loop thread around the rest.");
    static final CommandLine.Option<Backend> BACKEND = COMMAND_LINE.value("--backend", "io_uring|epoll|poll", null, Backend::parse,
            "the loop's backend (default: the one EventLoop.open() picks)");
    static final CommandLine.Option<Long> ECHOES = COMMAND_LINE.longInteger("--echoes", "N", 1_000_000, 1, 1_000_000_000_000L,
            "echoes measured (default 1000000)");
    static final CommandLine.Option<Integer> CONNECTIONS = COMMAND_LINE.integer("--connections", "N", 16, 1, 10_000,
            "client connections (default 16)");

    static int alloc(CommandLine.Parsed options) throws Exception {
        Backend backend = options.get(BACKEND);
        long echoes = options.get(ECHOES);
        int connections = options.get(CONNECTIONS);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        EventLoop.Builder b = EventLoop.builder();
        if (backend != null) b.backend(backend);
        try (EventLoop loop = b.open()) {
            Net net = Net.open(loop);
            StreamListener listener = net.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletionEcho.serve(listener);
            long warmup = echoes / 5;
            EchoClient client = new EchoClient(net, listener.localAddress(), connections, 1, (warmup + echoes) / connections + 1, 64);
            while (client.echoed < warmup) loop.runOnce();
            long before = mx.getCurrentThreadAllocatedBytes();
            long e0 = client.echoed;
            long i0 = loop.iteration();
            long t0 = System.nanoTime();
            while (client.echoed - e0 < echoes) loop.runOnce();
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            long n = client.echoed - e0;
            long iterations = loop.iteration() - i0;
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("echo-alloc on %s (%s): %d echoes, %d loop iterations, %.2f s%n",
                    loop.backend().id(), net.stats().features(), n, iterations, secs);
            System.out.printf("  allocated on the loop thread: %d bytes = %.3f bytes per echo, %.3f per loop iteration%n",
                    allocated, (double) allocated / n, (double) allocated / iterations);
        }
        return 0;
    }
}
