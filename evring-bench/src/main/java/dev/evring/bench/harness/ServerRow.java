package dev.evring.bench.harness;

import dev.evring.bench.report.RowKind;

import java.io.IOException;
import java.util.List;
import java.util.function.Function;

/**
 * A server measured by a server benchmark (echo, http): its row name, how to start it, and how to know it serves.
 *
 * @param command the command line of the server process for a launch (pinned and ready to start)
 * @param skip    why it cannot run here (the row is then reported skipped with it), or null
 * @param ready   whether a started server serves yet, and serves correctly
 */
public record ServerRow(String name, RowKind kind, Function<Launch, List<String>> command, String skip, ReadyCheck ready) {
    /**
     * What one server process is started with: the port it listens on (127.0.0.1) and its event-loop count. Every row
     * runs one loop today; a loop-group run (issue 13's {@code --loops N}) makes this a case dimension, and each row's
     * command already turns it into its own option (nginx's worker_processes, Netty's group size).
     */
    public record Launch(int port, int loops) {}

    /** Asks a started server whether it serves. */
    @FunctionalInterface
    public interface ReadyCheck {
        /**
         * Null when the server on {@code port} serves correctly; a reason when it answers wrongly (the row fails with
         * it at once).
         *
         * @throws IOException while it does not answer yet (asked again until the start-up time runs out)
         */
        String check(int port) throws IOException;
    }

    /** Ready as soon as the port accepts a connection. */
    public static final ReadyCheck LISTENING = port -> {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
            return null;
        }
    };
}
