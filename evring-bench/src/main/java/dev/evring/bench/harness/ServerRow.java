package dev.evring.bench.harness;

import dev.evring.bench.report.RowKind;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A server measured by a server benchmark (echo, http, bulk, memory): its row name, how to start it, and how to know
 * it serves.
 *
 * @param command the command line of the server process for a launch (pinned and ready to start); an evring row's
 *                puts {@link Launch#systemProperties()} among its JVM options, so that its variants work
 * @param skip    why it cannot run here (the row is then reported skipped with it), or null
 * @param ready   whether a started server serves yet, and serves correctly
 */
public record ServerRow(String name, RowKind kind, Function<Launch, List<String>> command, String skip, ReadyCheck ready) {
    /**
     * What one server process is started with: the port it listens on (127.0.0.1), its event-loop count, and the
     * evring options of a row variant (empty for a row as declared). Every row runs one loop today; a loop-group run
     * (issue 13's {@code --loops N}) makes this a case dimension, and each row's command already turns it into its
     * own option (nginx's worker_processes, Netty's group size).
     *
     * @param options evring option keys (without {@code evring.}) and values, set as system properties
     */
    public record Launch(int port, int loops, Map<String, String> options) {
        public Launch {
            options = Map.copyOf(options);
        }

        public Launch(int port, int loops) {
            this(port, loops, Map.of());
        }

        /** The JVM options that set {@link #options()}: {@code -Devring.<key>=<value>} each (none for a plain row). */
        public List<String> systemProperties() {
            return RowSelection.Variant.systemProperties(new java.util.TreeMap<>(options));
        }
    }

    /**
     * This (evring) row run with a variant's options: named as this row with the options after it, started as this
     * row is with the options among its system properties.
     */
    public ServerRow withOptions(RowSelection.Variant v) {
        return new ServerRow(name + v.suffix(), kind, launch -> {
            Map<String, String> all = new LinkedHashMap<>(launch.options());
            all.putAll(v.options());
            return command.apply(new Launch(launch.port(), launch.loops(), all));
        }, skip, ready);
    }

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
