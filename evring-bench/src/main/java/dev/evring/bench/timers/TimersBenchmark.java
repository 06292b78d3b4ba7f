package dev.evring.bench.timers;

import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.DriverRow;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.RowKind;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Timers: start, again and stop of 1,000,000 timers, evring against libev in C, the JDK's
 * ScheduledThreadPoolExecutor and Netty's HashedWheelTimer, each row in a process of its own.
 */
public final class TimersBenchmark implements Benchmark {
    public static final Metric NS_PER_OP = new Metric("ns_per_op", "time per operation", "ns/op", false);
    static final int COUNT = 1_000_000;

    @Override
    public String id() {
        return "timers";
    }

    static Map<String, String> cases() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("start", "start 1,000,000 timers");
        m.put("again", "again (push back) each");
        m.put("stop", "stop each");
        return m;
    }

    @Override
    public String plan(BenchContext ctx) {
        return "timers: start, again and stop of " + COUNT + " timers, " + ctx.options().repeatsOr(2, 5)
                + " measured runs after warm-up\n  rows: evring, libev (C), JDK ScheduledThreadPoolExecutor, Netty HashedWheelTimer";
    }

    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "timers: start / again / stop of 1,000,000 timers", List.of(NS_PER_OP));
        int repeats = ctx.options().repeatsOr(2, 5);
        int warmups = ctx.quick() ? 1 : 2;
        List<String> javaArgs = List.of(Integer.toString(COUNT), Integer.toString(repeats), Integer.toString(warmups));
        Duration timeout = Duration.ofSeconds(120 + 30L * (repeats + warmups));
        record Row(String name, RowKind kind, List<String> command, String skip, String note) {}
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("evring", RowKind.EVRING, java(ctx, "evring", javaArgs), null, null));
        NativeTools.Binary libev = ctx.tools().compile("timers_libev", NativeTools.Needs.LIBEV);
        String libevName = "libev " + (ctx.tools().hasLibev() ? ctx.tools().libevVersion() + " " : "") + "(C)";
        rows.add(new Row(libevName, RowKind.PEER, libev.ok() ? ctx.nativeCommand(-1, libev.path(), javaArgs) : null, libev.missing(), null));
        rows.add(new Row("JDK ScheduledThreadPoolExecutor", RowKind.PEER, java(ctx, "stpe", javaArgs), null,
                "again = cancel + schedule; remove-on-cancel on"));
        rows.add(new Row("Netty HashedWheelTimer", RowKind.PEER, java(ctx, "hwt", javaArgs), null,
                "caller's time only: the wheel thread does the insertion on the other CPU"));
        for (Row r : rows) {
            if (!ctx.options().wantsRow(r.name(), r.kind())) continue;
            DriverRow.run(ctx, results, r.name(), r.kind(), r.command(), r.skip(), cases(), timeout);
            if (r.note() != null) results.results().stream().filter(c -> c.row().equals(r.name())).forEach(c -> c.note(r.note()));
        }
        return results;
    }

    private static List<String> java(BenchContext ctx, String impl, List<String> args) {
        List<String> a = new ArrayList<>(List.of(impl));
        a.addAll(args);
        return ctx.java(-1, List.of("-Xms2g", "-Xmx4g"), TimersDriver.class.getName(), a);
    }
}
