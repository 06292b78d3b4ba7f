package dev.evring.bench.harness;

import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Metric;

import java.util.List;
import java.util.Locale;

/**
 * Where the CPU of one measured window of a server benchmark went: the server's process tree (utime + stime from
 * {@code /proc}), the load generator's, and what the rest of the machine added; and the server's resident memory at
 * the window's end. Says, per result, whether the figure is the server's limit at all: a client at (nearly) all of its
 * CPU is flagged CLIENT-BOUND, a window in which other processes took a fair share of the machine BUSY MACHINE.
 */
public final class CpuWindow {
    public static final Metric SERVER_CPU_PCT = new Metric("server_cpu_pct", "server CPU use", "%", false);
    public static final Metric CLIENT_CPU_PCT = new Metric("client_cpu_pct", "client CPU use", "%", false);
    public static final Metric OTHER_CPU_PCT = new Metric("other_cpu_pct", "other load", "% of a CPU", false);
    /** VmRSS of the server's process tree at the end of the window (a JVM's heap counts as far as it has touched it). */
    public static final Metric SERVER_RSS = new Metric("server_rss_mb", "server RSS", "MB", false);

    /** A server benchmark's metrics: its own, then the three shares and the server's RSS this window measures. */
    public static List<Metric> withWindowMetrics(Metric... own) {
        List<Metric> all = new java.util.ArrayList<>(List.of(own));
        all.addAll(List.of(SERVER_CPU_PCT, CLIENT_CPU_PCT, OTHER_CPU_PCT, SERVER_RSS));
        return all;
    }

    /** Above this share of its CPU the client, not the server, sets the pace. */
    static final double CLIENT_BOUND_PCT = 90;
    /** Above this share of a CPU used by other processes during a window, the figure is flagged as disturbed. */
    static final double OTHER_LOAD_PCT = 25;

    private final long serverPid;
    private double server0 = Double.NaN, machine0 = Double.NaN, server1 = Double.NaN, machine1 = Double.NaN, rss = Double.NaN;

    public CpuWindow(long serverPid) {
        this.serverPid = serverPid;
    }

    /** Samples the start of the window. */
    public void start() {
        server0 = ProcStat.treeCpuSeconds(serverPid);
        machine0 = ProcStat.machineBusySeconds();
    }

    /** Samples the end of the window. */
    public void end() {
        server1 = ProcStat.treeCpuSeconds(serverPid);
        machine1 = ProcStat.machineBusySeconds();
        rss = ProcStat.treeRssBytes(serverPid);
    }

    /** The server's CPU seconds in the window; NaN unless both ends were sampled. */
    public double serverSeconds() {
        return server1 - server0;
    }

    /**
     * Adds the window's CPU shares to {@code r}: the server's, the client's ({@code clientSeconds} of CPU) and the
     * others', as percentages of one CPU over {@code seconds}; and the server's RSS at its end.
     */
    public void addShares(CaseResult r, double seconds, double clientSeconds) {
        if (!Double.isNaN(rss)) r.add(SERVER_RSS.key(), rss / 1e6);
        double server = serverSeconds();
        if (!Double.isNaN(server)) r.add(SERVER_CPU_PCT.key(), server / seconds * 100);
        if (!Double.isNaN(clientSeconds)) r.add(CLIENT_CPU_PCT.key(), clientSeconds / seconds * 100);
        double other = machine1 - machine0 - server - clientSeconds;
        if (!Double.isNaN(other)) r.add(OTHER_CPU_PCT.key(), Math.max(0, other / seconds * 100));
    }

    /** Flags every result of {@code b} whose client used (nearly) all its CPU, or that other processes disturbed. */
    public static void flag(BenchmarkResults b) {
        for (CaseResult r : b.results()) {
            if (r.usable(OTHER_CPU_PCT.key()) && r.stats(OTHER_CPU_PCT.key()).max() >= OTHER_LOAD_PCT) {
                r.note(String.format(Locale.ROOT, "BUSY MACHINE: other processes used up to %.0f%% of a CPU during a window",
                        r.stats(OTHER_CPU_PCT.key()).max()));
            }
            if (!r.usable(CLIENT_CPU_PCT.key())) continue;
            double c = r.stats(CLIENT_CPU_PCT.key()).median();
            if (c >= CLIENT_BOUND_PCT) {
                r.note(String.format(Locale.ROOT, "CLIENT-BOUND: the load generator used %.0f%% of its CPU, so this is the client's limit, not the server's", c));
            }
        }
    }
}
