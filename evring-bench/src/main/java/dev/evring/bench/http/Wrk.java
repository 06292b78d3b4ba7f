package dev.evring.bench.http;

import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.ProcStat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * wrk as the http benchmark runs it: one thread pinned to CPU 1, the plaintext script (resource
 * {@code http/wrk_plaintext.lua}), TechEmpower's 8 s request time-out, and a wrapper shell that reports wrk's exact
 * CPU time once it has ended (the shell's own cutime/cstime: sampling wrk's /proc file before it exits misses its end).
 */
final class Wrk {
    private Wrk() {}

    /** Prints the shell's stat line once its child (wrk) has been waited for; exits with wrk's status. */
    private static final String WRAPPER = "\"$@\"; status=$?; echo \"wrapper-stat $(cat /proc/$$/stat)\"; exit $status";

    static final String TIMEOUT = "8s";

    /** The command measuring {@code load} for {@code seconds} against 127.0.0.1:{@code port}. */
    static List<String> command(BenchContext ctx, Path wrk, Path script, int port, HttpBenchmark.Load load, int seconds) {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", WRAPPER, "wrk-wrapper"));
        cmd.addAll(ctx.nativeCommand(1, wrk, List.of("-t1", "-c" + load.connections(), "-d" + seconds + "s", "--timeout", TIMEOUT,
                "--latency", "-s", script.toString(), "http://127.0.0.1:" + port + Plaintext.PATH, "--", Integer.toString(load.depth()))));
        return cmd;
    }

    /** What one run reported. Latencies in microseconds. */
    record Result(long requests, double seconds, long connectErrors, long readErrors, long writeErrors, long statusErrors,
                  long timeouts, double p50Us, double p99Us, double p999Us, double clientCpuSeconds) {
        long errors() {
            return connectErrors + readErrors + writeErrors + statusErrors + timeouts;
        }

        double requestsPerSecond() {
            return requests / seconds;
        }

        /** "12 non-2xx answers, 3 read errors" (only the kinds seen). */
        String describeErrors() {
            List<String> parts = new ArrayList<>();
            if (statusErrors > 0) parts.add(statusErrors + " answers with status >= 400");
            if (connectErrors > 0) parts.add(connectErrors + " connect errors");
            if (readErrors > 0) parts.add(readErrors + " read errors (a broken connection or an answer wrk could not parse)");
            if (writeErrors > 0) parts.add(writeErrors + " write errors");
            if (timeouts > 0) parts.add(timeouts + " requests unanswered after " + TIMEOUT);
            return String.join(", ", parts);
        }
    }

    /** The run's result from its output lines, or null when the script's line is missing (wrk failed before its end). */
    static Result parse(List<String> lines) {
        Map<String, Double> v = null;
        double clientCpu = Double.NaN;
        for (String l : lines) {
            if (l.startsWith("wrk-stats ")) {
                v = new LinkedHashMap<>();
                for (String kv : l.substring("wrk-stats ".length()).strip().split("\\s+")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) v.put(kv.substring(0, eq), Double.parseDouble(kv.substring(eq + 1)));
                }
            } else if (l.startsWith("wrapper-stat ")) {
                clientCpu = ProcStat.childrenCpuSeconds(l.substring("wrapper-stat ".length()));
            }
        }
        if (v == null) return null;
        for (String k : List.of("requests", "duration_us", "connect", "read", "write", "status", "timeout", "p50_us", "p99_us", "p999_us")) {
            if (!v.containsKey(k)) throw new IllegalArgumentException("wrk-stats line without " + k);
        }
        return new Result(v.get("requests").longValue(), v.get("duration_us") / 1e6, v.get("connect").longValue(),
                v.get("read").longValue(), v.get("write").longValue(), v.get("status").longValue(), v.get("timeout").longValue(),
                v.get("p50_us"), v.get("p99_us"), v.get("p999_us"), clientCpu);
    }
}
