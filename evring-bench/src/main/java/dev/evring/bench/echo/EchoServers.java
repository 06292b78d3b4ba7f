package dev.evring.bench.echo;

import dev.evring.Backend;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.ServerRow;
import dev.evring.bench.harness.VirtualThreadRows;
import dev.evring.bench.report.RowKind;
import dev.evring.examples.EchoServer;
import dev.evring.examples.VirtualThreadEchoServer;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The echo servers the echo, bulk and memory benchmarks measure, as rows: evring's echo server (evring-examples'
 * EchoServer, started as {@code ./evring echo-server --port P --backend B --mode M} starts it) in the modes and on
 * the backends a benchmark asks for, then Netty 4.2 on its epoll and io_uring transports and the JDK NIO Selector,
 * and where a benchmark asks for them the thread-per-connection echo server on virtual threads on each socket factory
 * ({@link VirtualThreadRows}). Each turns its loop count into its own setting: evring's {@code --loops N} (once
 * {@code ./evring echo-server --help} lists it; until then its rows run one loop only), Netty's group size, N NIO
 * selector threads each with its own SO_REUSEPORT listener, N carrier threads for virtual threads.
 */
public final class EchoServers {
    private EchoServers() {}

    /** One of evring's echo servers: its mode ({@code completion} or {@code readiness}) on a backend. */
    public record Evring(String mode, Backend backend) {
        String rowName() {
            return "evring " + backend.id() + " (" + mode + ")";
        }
    }

    /** Every mode on every backend, completion first. */
    public static final List<Evring> ALL_EVRING = List.of(
            new Evring("completion", Backend.IO_URING), new Evring("completion", Backend.EPOLL), new Evring("completion", Backend.POLL),
            new Evring("readiness", Backend.IO_URING), new Evring("readiness", Backend.EPOLL), new Evring("readiness", Backend.POLL));

    /**
     * The rows: {@code evring} in order (each skipped, saying why, where its backend does not open), then the peers,
     * then, with {@code virtualThreads}, the echo server on virtual threads on each socket factory. Every server JVM
     * gets {@link BenchContext#SERVER_JVM} and {@code jvm}; an evring row's variants add their options (see
     * {@link ServerRow.Launch#systemProperties()}).
     */
    public static List<ServerRow> rows(BenchContext ctx, List<Evring> evring, List<String> jvm, boolean virtualThreads) {
        List<ServerRow> s = new ArrayList<>();
        Map<Backend, Backend.Availability> availability = new EnumMap<>(Backend.class);
        for (Evring e : evring) availability.computeIfAbsent(e.backend(), Backend::availability); // each probe opens a loop
        boolean takesLoops = ServerRow.takes(EchoServer.COMMAND_LINE, "--loops");
        for (Evring e : evring) {
            Backend.Availability av = availability.get(e.backend());
            s.add(new ServerRow(e.rowName(), RowKind.EVRING, launch -> {
                List<String> args = new ArrayList<>(List.of("--port", Integer.toString(launch.port()), "--backend", e.backend().id(), "--mode", e.mode()));
                if (takesLoops) args.addAll(List.of("--loops", Integer.toString(launch.loops())));
                return ctx.serverJava(launch, jvm, EchoServer.class.getName(), args);
            }, av.available() ? null : "backend unavailable: " + av.reason(), ServerRow.LISTENING, 1,
                    takesLoops ? null : "./evring echo-server takes no --loops yet (loop groups, issue 13)"));
        }
        for (String impl : List.of("netty-epoll", "netty-io_uring")) {
            s.add(peer(ctx, "Netty 4.2 " + impl.substring("netty-".length()), impl, jvm));
        }
        s.add(peer(ctx, "JDK NIO Selector", "nio", jvm));
        if (virtualThreads) {
            s.addAll(VirtualThreadRows.rows(ctx, VirtualThreadEchoServer.class, VirtualThreadEchoServer.COMMAND_LINE, jvm, ServerRow.LISTENING));
        }
        return s;
    }

    private static ServerRow peer(BenchContext ctx, String name, String impl, List<String> jvm) {
        return new ServerRow(name, RowKind.PEER, launch -> ctx.serverJava(launch, jvm, EchoServerMain.class.getName(),
                List.of(impl, Integer.toString(launch.port()), Integer.toString(launch.loops()))), null, ServerRow.LISTENING);
    }
}
