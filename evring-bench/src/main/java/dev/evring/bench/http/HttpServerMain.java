package dev.evring.bench.http;

/**
 * Starts one of the peer HTTP servers the harness measures, in a JVM of its own:
 * {@code HttpServerMain <netty-epoll|netty-io_uring|jdk> <port> <loops>}. Serves the plaintext test on
 * 127.0.0.1:port until killed; the harness knows it is up when a request gets the right answer.
 */
public final class HttpServerMain {
    private HttpServerMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) throw new IllegalArgumentException("usage: HttpServerMain <netty-epoll|netty-io_uring|jdk> <port> <loops>");
        int port = Integer.parseInt(args[1]);
        int loops = Integer.parseInt(args[2]);
        switch (args[0]) {
            case "netty-epoll", "netty-io_uring" -> NettyHttpServer.run(args[0].substring("netty-".length()), loops, port);
            case "jdk" -> JdkHttpServer.start(port); // loops: its command sets the virtual-thread scheduler's parallelism
            default -> throw new IllegalArgumentException("unknown HTTP server \"" + args[0] + "\"");
        }
    }
}
