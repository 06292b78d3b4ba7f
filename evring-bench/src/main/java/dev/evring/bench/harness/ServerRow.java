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
 * @param command     the command line of the server process for a launch (pinned and ready to start); an evring
 *                    row's puts {@link Launch#systemProperties()} among its JVM options, so that its variants work;
 *                    each row turns {@link Launch#loops()} into its own setting
 * @param skip        why it cannot run here (the row is then reported skipped with it), or null
 * @param ready       whether a started server serves yet, and serves correctly
 * @param loops       the event loops this row's server runs with ({@code --loops}: see {@link #withLoops})
 * @param oneLoopOnly why this row's server cannot run more than one loop (an evring server without {@code --loops}
 *                    yet), or null when it takes any number
 */
public record ServerRow(String name, RowKind kind, Function<Launch, List<String>> command, String skip, ReadyCheck ready,
                        int loops, String oneLoopOnly) {
    /** A row whose server runs one loop, and could run more. */
    public ServerRow(String name, RowKind kind, Function<Launch, List<String>> command, String skip, ReadyCheck ready) {
        this(name, kind, command, skip, ready, 1, null);
    }

    /**
     * What one server process is started with: the port it listens on (127.0.0.1), its event-loop count (see
     * {@link #withLoops}), and the evring options of a row variant (empty for a row as declared).
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
        }, skip, ready, loops, oneLoopOnly);
    }

    /**
     * This row with {@code n} event loops ({@code ./evring bench --loops}): named as this row with {@code , n loops}
     * after it (1 keeps the name), started with {@code n} as its {@link Launch#loops()}, and skipped with
     * {@link #oneLoopOnly()} as the reason when its server takes no more than one.
     */
    public ServerRow withLoops(int n) {
        if (n < 1) throw new IllegalArgumentException("loops " + n + " < 1");
        String why = skip != null ? skip : n > 1 ? oneLoopOnly : null;
        return new ServerRow(n == 1 ? name : name + ", " + n + " loops", kind, command, why, ready, n, oneLoopOnly);
    }

    /** Whether a program's {@code --help} lists the option ({@code --loops}): then a row passes it on. */
    public static boolean takes(dev.evring.examples.CommandLine program, String option) {
        return program.usage().lines().anyMatch(l -> l.startsWith("  " + option + " ") || l.equals("  " + option));
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
