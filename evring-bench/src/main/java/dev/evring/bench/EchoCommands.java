package dev.evring.bench;

import dev.evring.Backend;
import dev.evring.EventLoop;
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

    /**
     * {@code echo-alloc [--backend B] [--echoes 1000000] [--connections 16]}: a completion-style echo server and
     * client on one loop; after a warm-up of a fifth of the echoes, the loop thread's allocated bytes (HotSpot's
     * per-thread counter) around the rest.
     */
    static int alloc(String[] args) throws Exception {
        Backend backend = null;
        long echoes = 1_000_000;
        int connections = 16;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) throw new IllegalArgumentException(args[i] + " needs a value");
            String v = args[i + 1];
            switch (args[i]) {
                case "--backend" -> backend = Backend.parse(v);
                case "--echoes" -> echoes = Long.parseLong(v);
                case "--connections" -> connections = Integer.parseInt(v);
                default -> {
                    System.err.println("usage: echo-alloc [--backend io_uring|epoll|poll] [--echoes 1000000] [--connections 16]");
                    return 2;
                }
            }
        }
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
