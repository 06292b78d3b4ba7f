package dev.evring.examples;

import dev.evring.EventLoop;
import dev.evring.LoopGroup;
import dev.evring.net.GroupListener;
import dev.evring.net.Net;
import dev.evring.net.NetGroup;
import dev.evring.net.NetGroupStats;
import dev.evring.net.StreamSocket;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An example server on a {@link LoopGroup} ({@code --loops N} with N above 1 for {@code ./evring echo-server} and
 * {@code http-server}): a Net on every loop, one group listener spreading connections over them ({@code --accept
 * reuseport}: a listener per loop with SO_REUSEPORT; {@code handoff}: loop 0 accepts and hands each connection to the
 * next loop in turn; {@code handoff-least-loaded}: to the least loaded), and on each loop its own instance of the
 * example (its per-loop state stays on its loop). Ctrl-C closes the group.
 */
public final class GroupServer implements AutoCloseable {
    /** The values of {@code --accept}, in the order its usage shows them. */
    static final List<String> ACCEPT_CHOICES = List.of("reuseport", "handoff", "handoff-least-loaded");

    /** {@code --loops N} of both example servers. */
    static CommandLine.Option<Integer> loopsOption(CommandLine commandLine) {
        return commandLine.integer("--loops", "N", 1, 1, 4096,
                "event loops, each on a thread of its own (default 1; above 1 a loop group, see --accept)");
    }

    /** {@code --accept} of both example servers. */
    static CommandLine.Option<String> acceptOption(CommandLine commandLine) {
        return commandLine.choice("--accept", "reuseport", ACCEPT_CHOICES,
                "with --loops above 1, how connections reach the loops: a listener per loop with SO_REUSEPORT, or loop 0 "
                        + "handing each to the next loop or the least loaded (default reuseport)");
    }

    static GroupListener.Mode mode(String accept) {
        return switch (accept) {
            case "reuseport" -> GroupListener.Mode.REUSE_PORT;
            case "handoff" -> GroupListener.Mode.HAND_OFF_ROUND_ROBIN;
            case "handoff-least-loaded" -> GroupListener.Mode.HAND_OFF_LEAST_LOADED;
            default -> throw new IllegalArgumentException("--accept " + accept + " is not one of " + ACCEPT_CHOICES);
        };
    }

    private final LoopGroup group;
    private final NetGroup nets;
    private final GroupListener listener;

    /**
     * Starts {@code loops} loops opened by {@code loop}, a Net on each from {@code opener}, and listens on {@code local}
     * in {@code mode}; {@code server} makes each loop's handler of connections, on that loop's thread.
     */
    public static GroupServer start(int loops, EventLoop.Builder loop, SocketAddress local, GroupListener.Mode mode,
                                    Function<EventLoop, Net> opener, Function<EventLoop, Consumer<StreamSocket>> server) {
        return new GroupServer(loops, loop, local, mode, opener, server);
    }

    @SuppressWarnings("unchecked")
    private GroupServer(int loops, EventLoop.Builder loop, SocketAddress local, GroupListener.Mode mode,
                        Function<EventLoop, Net> opener, Function<EventLoop, Consumer<StreamSocket>> server) {
        this.group = LoopGroup.builder().loops(loops).loop(loop).open();
        try {
            Consumer<StreamSocket>[] handlers = new Consumer[loops]; // each written and read on its own loop's thread
            List<EventLoop> all = group.loops();
            this.nets = NetGroup.open(group, l -> {
                Net net = opener.apply(l);
                handlers[all.indexOf(l)] = server.apply(l);
                return net;
            });
            this.listener = nets.listen(local, mode, (socket, status) -> {
                if (socket != null) handlers[all.indexOf(socket.net().loop())].accept(socket);
            });
        } catch (RuntimeException | Error e) {
            group.close();
            throw e;
        }
    }

    /** The port every loop serves. */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Connections per loop, and the loops' own figures. */
    public NetGroupStats stats() {
        return nets.stats();
    }

    /** The loops. */
    public LoopGroup group() {
        return group;
    }

    /** What loop 0's Net uses (asked on its thread), for the start line. */
    String features() {
        CompletableFuture<String> f = new CompletableFuture<>();
        group.loop(0).execute(() -> {
            try {
                f.complete(nets.net(0).stats().features());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f.join();
    }

    /** Closes the listener and every loop (their connections with them), and waits for the loops' threads. */
    @Override
    public void close() {
        listener.close();
        group.close();
    }

    /**
     * {@code ./evring echo-server} / {@code http-server} with {@code --loops} above 1: starts, says so in the line the
     * benchmark reads ({@code <what> on port P, <backend>, <mode> mode (<features>), N loops, <accept>; Ctrl-C stops
     * it}), serves until Ctrl-C (whose shutdown hook closes the group), returns the exit status.
     */
    static int serve(String what, String modeName, String accept, GroupServer server) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, what.replace(' ', '-') + "-shutdown"));
        System.out.println(what + " on port " + server.port() + ", " + server.group.loop(0).stats().backend().id() + ", "
                + modeName + " mode (" + server.features() + "), " + server.group.size() + " loops, " + accept
                + "; Ctrl-C stops it");
        while (!server.group.awaitTermination(Duration.ofDays(1))) {
            // serving
        }
        System.out.println(what + ": closing");
        return 0;
    }
}
