package dev.evring.examples;

import dev.evring.AsyncWatcher;
import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.net.Net;
import dev.evring.net.StreamListener;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./evring echo-server --port P [--backend io_uring|epoll|poll] [--mode readiness|completion]}: serves until
 * interrupted. Ctrl-C runs the JVM's shutdown hook, which sends an async to the loop (the one call other threads may
 * make): the loop breaks out, closing it closes the listener and every connection, and the hook waits for that.
 */
public final class EchoServer {
    private EchoServer() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    /** Runs the server; returns the exit status (2 for bad arguments). */
    public static int run(String[] args) throws Exception {
        int port = 7007;
        Backend backend = null;
        boolean readiness = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> port = Integer.parseInt(require(a, v));
                case "--backend" -> backend = Backend.parse(require(a, v));
                case "--mode" -> readiness = switch (require(a, v)) {
                    case "readiness" -> true;
                    case "completion" -> false;
                    default -> throw new IllegalArgumentException("--mode " + v + ": readiness or completion");
                };
                default -> {
                    System.err.println("usage: echo-server --port P [--backend io_uring|epoll|poll] [--mode readiness|completion]");
                    return 2;
                }
            }
            i++;
        }
        EventLoop.Builder builder = EventLoop.builder();
        if (backend != null) builder.backend(backend);
        CountDownLatch closed = new CountDownLatch(1);
        try (EventLoop loop = builder.open()) {
            Net net = Net.open(loop);
            StreamListener listener = net.listen(new InetSocketAddress(port));
            if (readiness) ReadinessEcho.serve(loop, listener);
            else CompletionEcho.serve(listener);
            AsyncWatcher stop = loop.async((w, ev) -> loop.breakLoop(EventLoop.Break.ALL));
            stop.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    stop.send();
                    closed.await(5, TimeUnit.SECONDS);
                } catch (IllegalStateException | InterruptedException e) {
                    // the loop is gone already
                }
            }, "echo-server-shutdown"));
            System.out.println("echo server on port " + ((InetSocketAddress) listener.localAddress()).getPort()
                    + ", " + loop.backend().id() + ", " + (readiness ? "readiness" : "completion") + " mode ("
                    + net.stats().features() + "); Ctrl-C stops it");
            loop.run();
            System.out.println("echo server: closing");
        } finally {
            closed.countDown();
        }
        return 0;
    }

    static String require(String option, String value) {
        if (value == null) throw new IllegalArgumentException(option + " needs a value");
        return value;
    }
}
