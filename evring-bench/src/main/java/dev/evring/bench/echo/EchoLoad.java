package dev.evring.bench.echo;

import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.CpuWindow;
import dev.evring.bench.harness.DriverProcess;
import dev.evring.bench.harness.ServerRounds;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Outcome;
import org.HdrHistogram.Histogram;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of the C load generator (native/echo_load.c) in its echo or stream mode against a server: its warm-up,
 * then a measured window across which the server's CPU time is sampled (see {@link CpuWindow}).
 */
final class EchoLoad {
    private EchoLoad() {}

    /**
     * What the load generator does in a run, as its arguments between the port and the warm-up
     * ({@code echo <conns> <inflight> <size>} or {@code stream <conns> <size>}) and after the window ({@code pause_ms}).
     */
    record Shape(String mode, List<String> args, List<String> after) {
        /** CONNS connections, each keeping INFLIGHT messages of SIZE bytes in flight, latency per message. */
        static Shape echo(int connections, int inFlight, int size) {
            return echo(connections, inFlight, size, 0);
        }

        /**
         * CONNS connections, each keeping INFLIGHT messages of SIZE bytes in flight, latency per message; with
         * {@code pauseMs > 0} each rests that long between its round trips.
         */
        static Shape echo(int connections, int inFlight, int size, int pauseMs) {
            return new Shape("echo", List.of(Integer.toString(connections), Integer.toString(inFlight), Integer.toString(size)),
                    pauseMs > 0 ? List.of(Integer.toString(pauseMs)) : List.of());
        }

        /**
         * CLIENTS connected UDP sockets, each keeping INFLIGHT datagrams of SIZE bytes in flight, latency per
         * datagram, a datagram with no echo after 200 ms counted lost (and the next one sent in its place).
         */
        static Shape udp(int clients, int inFlight, int size) {
            return new Shape("udp", List.of(Integer.toString(clients), Integer.toString(inFlight), Integer.toString(size)), List.of());
        }

        /** CONNS connections, each streaming SIZE-byte writes without waiting for the echo (bulk transfer). */
        static Shape stream(int connections, int size) {
            return new Shape("stream", List.of(Integer.toString(connections), Integer.toString(size)), List.of());
        }
    }

    /**
     * The measured window: messages (echo mode) and bytes that came back, its length, the client's CPU time, the
     * latency of each message (empty in stream mode), the server's CPU across it, and (udp mode) the datagrams lost
     * and the echoes that came too late.
     */
    record Window(long messages, long bytes, double seconds, double clientCpuSeconds, Histogram latency, CpuWindow cpu,
                  long lost, long late) {}

    /**
     * Runs the load generator {@code client} against {@code server} (pinned to CPU 1); returns the window, or null
     * after failing {@code r} with the reason (the generator's own error line, its ending, or nothing back).
     */
    static Window run(BenchContext ctx, CaseResult r, Path client, ServerRounds.Server server, Shape shape,
                      long warmupMs, long windowMs) throws Exception {
        List<String> args = new ArrayList<>(List.of(shape.mode(), Integer.toString(server.port())));
        args.addAll(shape.args());
        args.addAll(List.of(Long.toString(warmupMs), Long.toString(windowMs)));
        args.addAll(shape.after());
        CpuWindow cpu = new CpuWindow(server.pid());
        double[] stats = new double[7]; // messages, bytes, seconds, client cpu seconds, errors, lost, late
        boolean[] gotStats = {false};
        String[] error = {null};
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        Duration timeout = Duration.ofMillis(warmupMs + windowMs + 90_000); // the generator waits up to 30 s for stragglers
        DriverProcess.Ending end = DriverProcess.run(ctx.nativeCommand(1, client, args), server.log(), timeout, line -> {
            String t = line.text();
            if (t.equals("window-start")) {
                cpu.start();
            } else if (t.equals("window-end")) {
                cpu.end();
            } else if (t.startsWith("hist ")) {
                String[] f = t.split(" ");
                h.recordValueWithCount(Math.max(1, Long.parseLong(f[1])), Long.parseLong(f[2]));
            } else if (t.startsWith("stats ")) {
                for (String kv : t.substring(6).split(" ")) {
                    String[] p = kv.split("=");
                    int i = switch (p[0]) {
                        case "messages" -> 0;
                        case "bytes" -> 1;
                        case "seconds" -> 2;
                        case "client_cpu_seconds" -> 3;
                        case "errors" -> 4;
                        case "lost" -> 5;
                        case "late" -> 6;
                        default -> -1;
                    };
                    if (i >= 0) stats[i] = Double.parseDouble(p[1]);
                }
                gotStats[0] = true;
            } else if (t.startsWith("error ")) {
                error[0] = t.substring(6);
            }
        });
        if (!end.ok() || !gotStats[0] || stats[1] == 0) {
            String why = error[0] != null ? "load generator: " + error[0]
                    : !end.ok() ? "load generator " + end.describe(timeout) : "nothing came back in the window";
            r.fail(Outcome.FAILED, why);
            return null;
        }
        return new Window((long) stats[0], (long) stats[1], stats[2], stats[3], h, cpu, (long) stats[5], (long) stats[6]);
    }
}
