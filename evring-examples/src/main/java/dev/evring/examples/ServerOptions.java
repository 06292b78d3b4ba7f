package dev.evring.examples;

import dev.evring.Backend;
import dev.evring.EventLoop;

import java.util.List;

/**
 * The options the echo and HTTP servers share, declared once: where they listen, the loop's backend, the socket API
 * style, and on a loop group how many loops and how connections reach them ({@link GroupServer}).
 */
record ServerOptions(CommandLine.Option<Integer> port, CommandLine.Option<Backend> backend, CommandLine.Option<String> mode,
                     CommandLine.Option<Integer> loops, CommandLine.Option<String> accept) {

    /** Declares {@code --port} (default {@code defaultPort}), {@code --backend}, {@code --mode}, {@code --loops}, {@code --accept}. */
    static ServerOptions declare(CommandLine commandLine, int defaultPort) {
        return new ServerOptions(
                commandLine.integer("--port", "P", defaultPort, 0, 65_535,
                        "the port to listen on (default " + defaultPort + "; 0: any free one)"),
                commandLine.value("--backend", "io_uring|epoll|poll", null, Backend::parse,
                        "the loop's backend (default: the one EventLoop.open() picks)"),
                commandLine.choice("--mode", "completion", List.of("completion", "readiness"),
                        "the socket API style (default completion)"),
                GroupServer.loopsOption(commandLine),
                GroupServer.acceptOption(commandLine));
    }

    /** A loop builder with the {@code --backend} asked for (none: the one {@code EventLoop.open()} picks). */
    EventLoop.Builder loopBuilder(CommandLine.Parsed options) {
        EventLoop.Builder builder = EventLoop.builder();
        Backend b = options.get(backend);
        if (b != null) builder.backend(b);
        return builder;
    }

    /** Whether {@code --mode readiness} was asked for. */
    boolean readiness(CommandLine.Parsed options) {
        return options.get(mode).equals("readiness");
    }
}
