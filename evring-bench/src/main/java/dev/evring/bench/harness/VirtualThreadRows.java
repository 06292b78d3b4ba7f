package dev.evring.bench.harness;

import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.RowKind;
import dev.evring.examples.CommandLine;
import dev.evring.examples.SocketFactories;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The rows of issue 12's side-by-side proof: one thread-per-connection server on virtual threads (evring-examples'
 * {@code VirtualThreadEchoServer} or {@code VirtualThreadHttpServer}, started as {@code ./evring vt-echo-server} or
 * {@code vt-http-server} starts it) on each socket factory there is: the JDK's own ({@value #JDK_ROW}, a peer) and,
 * as soon as {@link SocketFactories} has one named {@code evring}, evring's blocking sockets ({@value #EVRING_ROW},
 * an evring row, so {@code --rows} variants apply to it). The same program; only {@code --sockets} differs.
 *
 * <p>Loops: the server JVM gets {@code -Djdk.virtualThreadScheduler.parallelism=N}, N carrier threads for N loops
 * (which a server pinned to one CPU has anyway); the server's own {@code --loops N} joins once its {@code --help}
 * lists it (evring's sockets on a loop group, issue 13). Until then evring's row runs one loop only.
 */
public final class VirtualThreadRows {
    private VirtualThreadRows() {}

    public static final String JDK_ROW = "JDK sockets on virtual threads";
    public static final String EVRING_ROW = "evring blocking sockets on virtual threads";

    /**
     * The rows for {@code server} (whose options are {@code program}): evring's first when its sockets exist, then the
     * JDK's. Every server JVM gets {@link BenchContext#SERVER_JVM} and {@code jvm}.
     */
    public static List<ServerRow> rows(BenchContext ctx, Class<?> server, CommandLine program, List<String> jvm,
                                       ServerRow.ReadyCheck ready) {
        List<ServerRow> rows = new ArrayList<>();
        if (SocketFactories.has(SocketFactories.EVRING)) {
            rows.add(row(ctx, EVRING_ROW, RowKind.EVRING, SocketFactories.EVRING, server, program, jvm, ready));
        }
        rows.add(row(ctx, JDK_ROW, RowKind.PEER, SocketFactories.JDK, server, program, jvm, ready));
        return rows;
    }

    private static ServerRow row(BenchContext ctx, String name, RowKind kind, String sockets, Class<?> server, CommandLine program,
                                 List<String> jvm, ServerRow.ReadyCheck ready) {
        boolean takesLoops = ServerRow.takes(program, "--loops");
        String oneLoopOnly = kind == RowKind.EVRING && !takesLoops
                ? "the virtual-thread servers take no --loops yet, so evring's sockets would run on one loop" : null;
        return new ServerRow(name, kind, launch -> {
            List<String> args = new ArrayList<>(List.of("--port", Integer.toString(launch.port()), "--sockets", sockets));
            if (takesLoops) args.addAll(List.of("--loops", Integer.toString(launch.loops())));
            List<String> all = new ArrayList<>(jvm);
            all.add("-Djdk.virtualThreadScheduler.parallelism=" + launch.loops());
            return ctx.serverJava(launch, all, server.getName(), args);
        }, null, ready, 1, oneLoopOnly);
    }

    /**
     * Issue 12's bar, for each of {@code cases} where both servers on virtual threads have figures (with the same
     * loops): evring's sockets take less server CPU per operation than the JDK's, with a p99 no worse.
     */
    public static void barNote(BenchmarkResults b, List<String> cases, Metric serverCpu, Metric p99) {
        for (String c : cases) {
            for (String row : b.rows()) {
                if (!row.startsWith(JDK_ROW)) continue;
                Optional<CaseResult> jdk = b.find(c, row), evring = b.find(c, EVRING_ROW + row.substring(JDK_ROW.length()));
                if (jdk.isEmpty() || evring.isEmpty() || !jdk.get().usable(serverCpu.key()) || !evring.get().usable(serverCpu.key())) continue;
                double cpuE = evring.get().stats(serverCpu.key()).median(), cpuJ = jdk.get().stats(serverCpu.key()).median();
                double p99E = evring.get().stats(p99.key()).median(), p99J = jdk.get().stats(p99.key()).median();
                b.addNote(String.format(Locale.ROOT, "bar (issue 12, %s at %s: less server CPU per operation than %s, p99 no worse): "
                                + "%s vs %s %s, p99 %s vs %s %s: %s", evring.get().row(), c, row, Format.human(cpuE), Format.human(cpuJ),
                        serverCpu.unit(), Format.human(p99E), Format.human(p99J), p99.unit(), cpuE < cpuJ && p99E <= p99J ? "met" : "missed"));
            }
        }
    }
}
