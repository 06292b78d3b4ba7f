package dev.evring.examples;

import javax.net.ServerSocketFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The server sockets the virtual-thread servers ({@link VirtualThreadEchoServer}, {@link VirtualThreadHttpServer}) can
 * run on, by name: the one thing that differs between the JDK version of those servers and evring's. Each is a
 * {@link ServerSocketFactory}, the JDK's own abstraction of "where server sockets come from"; the servers take one and
 * never look behind it, so their code is the same whichever is chosen ({@code --sockets NAME} on their command line).
 *
 * <p>Today only {@code jdk} is here: {@link ServerSocketFactory#getDefault()}, whose sockets (the JDK's
 * {@code NioSocketImpl}) park a virtual thread on the JDK's own poller and read or write with one system call per
 * call. evring's blocking sockets (issue 12) join as {@code evring}, one {@link #register} line in the static block
 * below, and from then on {@code --sockets evring} runs the same servers on them (and the benchmark's rows for them
 * appear by themselves: {@link #has}).
 */
public final class SocketFactories {
    private SocketFactories() {}

    /** One choice: its name on the command line, what it is, and how to get its factory. */
    public record Entry(String name, String description, Supplier<ServerSocketFactory> factory) {}

    /** The name of the JDK's own sockets, the default. */
    public static final String JDK = "jdk";
    /** The name evring's blocking sockets will be registered under. */
    public static final String EVRING = "evring";

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        register(JDK, "the JDK's own sockets, ServerSocketFactory.getDefault()", ServerSocketFactory::getDefault);
        // register(EVRING, "evring's blocking sockets on io_uring", <evring's ServerSocketFactory>::new);  (issue 12)
    }

    private static void register(String name, String description, Supplier<ServerSocketFactory> factory) {
        if (ENTRIES.putIfAbsent(name, new Entry(name, description, factory)) != null) {
            throw new IllegalStateException("socket factory \"" + name + "\" is registered twice");
        }
    }

    /** The names, in the order {@code --help} lists them; the first is the default. */
    public static List<String> names() {
        return List.copyOf(ENTRIES.keySet());
    }

    /** Whether sockets of this name exist (the benchmark's rows for evring's sockets wait for {@link #EVRING}). */
    public static boolean has(String name) {
        return ENTRIES.containsKey(name);
    }

    /**
     * The factory of that name.
     *
     * @throws IllegalArgumentException naming the unknown name and the known ones
     */
    public static ServerSocketFactory get(String name) {
        Entry e = ENTRIES.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no sockets named \"" + name + "\" (there are: " + String.join(", ", names()) + ")");
        }
        return e.factory().get();
    }

    /**
     * Declares {@code --sockets} on a server's command line: one of {@link #names()}, {@link #JDK} by default; its
     * help lists each with what it is, and says that evring's are still to come while they are.
     */
    public static CommandLine.Option<String> option(CommandLine commandLine) {
        List<String> each = new ArrayList<>();
        for (Entry e : ENTRIES.values()) each.add(e.name() + ": " + e.description());
        String help = "where the server sockets come from (default " + JDK + "): " + String.join("; ", each)
                + (has(EVRING) ? "" : ". Only " + JDK + " exists yet: evring's blocking sockets (issue 12) will be --sockets " + EVRING);
        return commandLine.choice("--sockets", JDK, names(), help);
    }
}
