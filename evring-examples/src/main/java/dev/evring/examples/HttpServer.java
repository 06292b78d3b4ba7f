package dev.evring.examples;

import dev.evring.AsyncWatcher;
import dev.evring.EventLoop;
import dev.evring.net.Net;
import dev.evring.net.StreamListener;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./evring http-server --port P [--mode completion|readiness] [--backend io_uring|epoll|poll] [--loops N]
 * [--accept reuseport|handoff|handoff-least-loaded]}: the HTTP/1.1 examples ({@link CompletionHttp}, {@link ReadinessHttp}) on every local address, answering {@code /plaintext} and
 * {@code /json} as TechEmpower asks, until Ctrl-C (which closes the loop from its shutdown hook, as the echo server).
 */
public final class HttpServer {
    private HttpServer() {}

    /** The options of {@code ./evring http-server} (and of this class's {@code main}). */
    public static final CommandLine COMMAND_LINE = new CommandLine("./evring http-server",
            "HTTP/1.1 server (evring-examples' CompletionHttp or ReadinessHttp): /plaintext and /json, until Ctrl-C.");
    static final ServerOptions OPTIONS = ServerOptions.declare(COMMAND_LINE, 8080);

    public static void main(String[] args) throws Exception {
        System.exit(COMMAND_LINE.run(args, System.out, System.err, HttpServer::run));
    }

    /**
     * The Net for many keep-alive connections: a receive buffer for each of a thousand connections with a request
     * in flight, and small general buffers (the answers of one pass fit one, the completion server's sends take
     * them).
     */
    public static Net openNet(EventLoop loop) {
        return Net.builder(loop).recvBuffers(1024, 16384).buffers(4096, 4096).open();
    }

    /** Runs the server with its parsed options; returns the exit status. */
    public static int run(CommandLine.Parsed options) throws Exception {
        boolean readiness = OPTIONS.readiness(options);
        EventLoop.Builder builder = OPTIONS.loopBuilder(options);
        int loops = options.get(OPTIONS.loops());
        if (loops > 1) {
            GroupServer server = GroupServer.start(loops, builder, new InetSocketAddress(options.get(OPTIONS.port())),
                    GroupServer.mode(options.get(OPTIONS.accept())), HttpServer::openNet, loop -> {
                        Http http = new Http(loop);
                        return readiness ? socket -> ReadinessHttp.serve(socket, http) : CompletionHttp.server(http);
                    });
            return GroupServer.serve("http server", readiness ? "readiness" : "completion", options.get(OPTIONS.accept()), server);
        }
        CountDownLatch closed = new CountDownLatch(1);
        try (EventLoop loop = builder.open()) {
            Net net = openNet(loop);
            StreamListener listener = net.listen(new InetSocketAddress(options.get(OPTIONS.port())));
            Http http = new Http(loop);
            if (readiness) ReadinessHttp.serve(loop, listener, http);
            else CompletionHttp.serve(listener, http);
            AsyncWatcher stop = loop.async((w, ev) -> loop.breakLoop(EventLoop.Break.ALL));
            stop.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    stop.send();
                    closed.await(5, TimeUnit.SECONDS);
                } catch (IllegalStateException | InterruptedException e) {
                    // the loop is gone already
                }
            }, "http-server-shutdown"));
            System.out.println("http server on port " + ((InetSocketAddress) listener.localAddress()).getPort() + ", "
                    + loop.backend().id() + ", " + (readiness ? "readiness" : "completion") + " mode ("
                    + net.stats().features() + "); Ctrl-C stops it");
            loop.run();
            System.out.println("http server: closing");
        } finally {
            closed.countDown();
        }
        return 0;
    }
}
