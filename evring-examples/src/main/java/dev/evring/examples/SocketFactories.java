package dev.evring.examples;

import dev.evring.net.blocking.BlockingSockets;

import javax.net.ServerSocketFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * <p>{@code jdk}: {@link ServerSocketFactory#getDefault()}, whose sockets (the JDK's {@code NioSocketImpl}) park a
 * virtual thread on the JDK's own poller and read or write with one system call per call. {@code evring}: evring's
 * blocking sockets ({@link BlockingSockets#shared()}), whose reads take what the loop already received and whose
 * writes hand the bytes to the loop, which does the I/O on io_uring; {@code --sockets evring} runs the same servers on
 * them (and the benchmark's rows for them appear by themselves: {@link #has}).
 */
public final class SocketFactories {
    private SocketFactories() {}

    /** One choice: its name on the command line, what it is, and how to get its factory. */
    public record Entry(String name, String description, Supplier<ServerSocketFactory> factory) {}

    /** The name of the JDK's own sockets, the default. */
    public static final String JDK = "jdk";
    /** The name of evring's blocking sockets. */
    public static final String EVRING = "evring";

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        register(JDK, "the JDK's own sockets, ServerSocketFactory.getDefault()", ServerSocketFactory::getDefault);
        register(EVRING, "evring's blocking sockets (dev.evring.net.blocking): the same Socket API, its I/O on an evring"
                + " loop, io_uring completions (epoll/poll emulated); -Devring.blocking.loops=N loops (1)", SocketFactories::evring);
    }

    /** evring's: the process's shared {@link BlockingSockets} (made on first use, daemon loop threads). */
    private static ServerSocketFactory evring() {
        try {
            return BlockingSockets.shared().serverSocketFactory();
        } catch (IOException e) {
            throw new UncheckedIOException("evring's blocking sockets could not start their loop", e);
        }
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
