package dev.evring.examples;

import dev.evring.AsyncWatcher;
import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.net.Net;
import dev.evring.net.StreamListener;

import java.net.InetSocketAddress;
import java.util.List;
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
    static final CommandLine.Option<Integer> PORT = COMMAND_LINE.integer("--port", "P", 7007, 0, 65_535,
            "the port to listen on (default 7007; 0: any free one)");
    static final CommandLine.Option<Backend> BACKEND = COMMAND_LINE.value("--backend", "io_uring|epoll|poll", null,
            Backend::parse, "the loop's backend (default: the one EventLoop.open() picks)");
    static final CommandLine.Option<String> MODE = COMMAND_LINE.choice("--mode", "completion", List.of("completion", "readiness"),
            "the socket API style (default completion)");
    static final CommandLine.Option<Integer> LOOPS = GroupServer.loopsOption(COMMAND_LINE);
    static final CommandLine.Option<String> ACCEPT = GroupServer.acceptOption(COMMAND_LINE);

    public static void main(String[] args) throws Exception {
        System.exit(COMMAND_LINE.run(args, System.out, System.err, EchoServer::run));
    }

    /** Runs the server with its parsed options; returns the exit status. */
    public static int run(CommandLine.Parsed options) throws Exception {
        int port = options.get(PORT);
        Backend backend = options.get(BACKEND);
        boolean readiness = options.get(MODE).equals("readiness");
        EventLoop.Builder builder = EventLoop.builder();
        if (backend != null) builder.backend(backend);
        int loops = options.get(LOOPS);
        if (loops > 1) {
            GroupServer server = GroupServer.start(loops, builder, new InetSocketAddress(port),
                    GroupServer.mode(options.get(ACCEPT)), Net::open,
                    loop -> readiness ? ReadinessEcho::serve : CompletionEcho::serve);
            return GroupServer.serve("echo server", readiness ? "readiness" : "completion", options.get(ACCEPT), server);
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
