package dev.evring.examples;

import dev.evring.AsyncWatcher;
import dev.evring.EventLoop;
import dev.evring.net.Net;
import dev.evring.net.StreamListener;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./evring echo-server --port P [--backend io_uring|epoll|poll] [--mode readiness|completion] [--loops N]
 * [--accept reuseport|handoff|handoff-least-loaded]}: serves until interrupted (with {@code --loops} above 1, on a
 * loop group: {@link GroupServer}). Ctrl-C runs the JVM's shutdown hook, which sends an async to the loop (the one call other threads may
 * make): the loop breaks out, closing it closes the listener and every connection, and the hook waits for that.
 */
public final class EchoServer {
    private EchoServer() {}

    /** The options of {@code ./evring echo-server} (and of this class's {@code main}). */
    public static final CommandLine COMMAND_LINE = new CommandLine("./evring echo-server",
            "TCP echo server (evring-examples' EchoServer) on every local address, until Ctrl-C.");
    static final ServerOptions OPTIONS = ServerOptions.declare(COMMAND_LINE, 7007);

    public static void main(String[] args) throws Exception {
        System.exit(COMMAND_LINE.run(args, System.out, System.err, EchoServer::run));
    }

    /** Runs the server with its parsed options; returns the exit status. */
    public static int run(CommandLine.Parsed options) throws Exception {
        int port = options.get(OPTIONS.port());
        boolean readiness = OPTIONS.readiness(options);
        EventLoop.Builder builder = OPTIONS.loopBuilder(options);
        int loops = options.get(OPTIONS.loops());
        if (loops > 1) {
            GroupServer server = GroupServer.start(loops, builder, new InetSocketAddress(port),
                    GroupServer.mode(options.get(OPTIONS.accept())), Net::open,
                    loop -> readiness ? ReadinessEcho::serve : CompletionEcho::serve);
            return GroupServer.serve("echo server", readiness ? "readiness" : "completion", options.get(OPTIONS.accept()), server);
        }
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
}
