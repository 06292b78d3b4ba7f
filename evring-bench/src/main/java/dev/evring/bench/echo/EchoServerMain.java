package dev.evring.bench.echo;

/**
 * Starts one of the peer echo servers the harness measures, in a JVM of its own:
 * {@code EchoServerMain <nio|netty-epoll|netty-io_uring> <port> [loops]}. Serves on 127.0.0.1:port until killed
 * with {@code loops} event-loop threads (1 unless given); the harness knows it is up when the port accepts a
 * connection.
 */
public final class EchoServerMain {
    private EchoServerMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2 && args.length != 3) {
            System.err.println("usage: EchoServerMain <nio|netty-epoll|netty-io_uring> <port> [loops]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[1]);
        int loops = args.length == 3 ? Integer.parseInt(args[2]) : 1;
        switch (args[0]) {
            case "nio" -> NioEchoServer.run(port, loops);
            case "netty-epoll", "netty-io_uring" -> NettyEchoServer.run(args[0].substring("netty-".length()), port, loops);
            default -> throw new IllegalArgumentException("unknown echo server \"" + args[0] + "\"");
        }
    }
}
