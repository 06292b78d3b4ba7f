package dev.evring.bench.pipes;

import dev.evring.Backend;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.DriverRow;
import dev.evring.bench.harness.RowSelection;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.RowKind;


import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The pipes benchmark (libev's and libevent's): time per event, evring's backends against libev in C, the JDK
 * Selector and the syscall floor. Every row runs in a process of its own: Java rows in a fresh JVM with warm-up runs,
 * C rows as a program compiled here.
 */
public final class PipesBenchmark implements Benchmark {
    public static final Metric NS_PER_EVENT = new Metric("ns_per_event", "time per event", "ns/event", false);
    public static final Metric EVENTS = new Metric("events", "events per run", "events", true);

    /** Open files a driver needs beyond its socketpairs (JVM jars, epoll and event fds, stdio). */
    static final int FD_RESERVE = 200;

    @Override
    public String id() {
        return "pipes";
    }

    /**
     * One row: a name, its kind, and the command running a list of case ids with some JVM options (evring's, for a
     * variant; a C driver has none to take), or why it cannot run here.
     */
    record Row(String name, RowKind kind, BiFunction<List<String>, List<String>, List<String>> command, String skip) {
        /** This (evring) row run with a variant's options: see {@link RowSelection}. */
        Row withOptions(RowSelection.Variant v) {
            return new Row(name + v.suffix(), kind, (jvm, ids) -> {
                List<String> all = new ArrayList<>(jvm);
                all.addAll(v.systemProperties());
                return command.apply(all, ids);
            }, skip);
        }
    }

    /**
     * @param jitWarmupMillis how long a Java driver runs a small case before its first measured one
     */
    record Settings(long writes, int repeats, int javaWarmups, int nativeWarmups, long capMillis, long jitWarmupMillis) {}

    static Settings settings(BenchContext ctx) {
        int repeats = ctx.options().repeatsOr(2, 5);
        return ctx.quick() ? new Settings(20_000, repeats, 1, 1, 100, 600) : new Settings(100_000, repeats, 3, 1, 600, 2_000);
    }

    /**
     * The cases of a run: the sweep, or in a quick run four of it (one chain and a hundred at N = 100, a hundred at
     * the largest N, and a hundred with timeouts at N = 1,000).
     */
    static List<PipesCase> cases(BenchContext ctx, long fdLimit) {
        List<PipesCase> all = cases(fdLimit);
        return ctx.quick() ? List.of(all.get(0), all.get(1), all.get(5), all.get(9)) : all;
    }

    /** The sweep N = 100, 1,000, 10,000 x A = 1, 100, without and with timeouts; N capped by the open-file limit. */
    static List<PipesCase> cases(long fdLimit) {
        int maxPipes = (int) Math.min(10_000, Math.max(100, (fdLimit - FD_RESERVE) / 2));
        List<PipesCase> out = new ArrayList<>();
        for (boolean t : new boolean[] {false, true}) {
            for (int n : new int[] {100, 1_000, 10_000}) {
                for (int a : new int[] {1, 100}) out.add(new PipesCase(Math.min(n, maxPipes), a, t));
            }
        }
        return out;
    }

    List<Row> rows(BenchContext ctx) throws Exception {
        Settings s = settings(ctx);
        List<Row> rows = new ArrayList<>();
        Backend.Availability uring = null;
        for (Backend b : Backend.values()) {
            Backend.Availability av = b.availability();
            if (b == Backend.IO_URING) uring = av;
            rows.add(javaRow(ctx, s, "evring " + b.id() + " (readiness)", RowKind.EVRING, "evring-" + b.id(),
                    av.available() ? null : "backend unavailable: " + av.reason()));
        }
        rows.add(javaRow(ctx, s, "evring io_uring (completion)", RowKind.EVRING, "completion-io_uring",
                uring.available() ? null : "backend unavailable: " + uring.reason()));
        NativeTools tools = ctx.tools();
        String libev = "libev " + (tools.hasLibev() ? tools.libevVersion() + " " : "") + "(C) ";
        NativeTools.Binary libevBin = tools.compile("pipes_libev", NativeTools.Needs.LIBEV);
        for (String backend : List.of("epoll", "io_uring")) {
            rows.add(nativeRow(ctx, s, libev + backend, RowKind.PEER, libevBin, List.of(backend)));
        }
        rows.add(javaRow(ctx, s, "JDK NIO Selector", RowKind.PEER, "nio", null));
        rows.add(nativeRow(ctx, s, "syscall floor (C)", RowKind.REFERENCE, tools.compile("pipes_floor", NativeTools.Needs.LIBC), List.of()));
        rows.add(javaRow(ctx, s, "syscall floor (Java FFM)", RowKind.REFERENCE, "floor-java", null));
        return rows;
    }

    /** The arguments every pipes driver takes after its own: cases, writes, repeats, warm-ups, cap. */
    private static List<String> driverArgs(Settings s, List<String> caseIds, int warmups) {
        return List.of(String.join(",", caseIds), Long.toString(s.writes), Integer.toString(s.repeats),
                Integer.toString(warmups), Long.toString(s.capMillis));
    }

    private static Row javaRow(BenchContext ctx, Settings s, String name, RowKind kind, String impl, String skip) {
        return new Row(name, kind, (options, ids) -> {
            List<String> a = new ArrayList<>(List.of(impl));
            a.addAll(driverArgs(s, ids, s.javaWarmups));
            a.add(Long.toString(s.jitWarmupMillis));
            List<String> jvm = new ArrayList<>(List.of("-Xms512m"));
            jvm.addAll(options);
            return ctx.java(-1, jvm, PipesDriver.class.getName(), a);
        }, skip);
    }

    private static Row nativeRow(BenchContext ctx, Settings s, String name, RowKind kind, NativeTools.Binary bin, List<String> first) {
        if (!bin.ok()) return new Row(name, kind, null, bin.missing());
        return new Row(name, kind, (options, ids) -> {
            List<String> a = new ArrayList<>(first);
            a.addAll(driverArgs(s, ids, s.nativeWarmups));
            return ctx.nativeCommand(-1, bin.path(), a);
        }, null);
    }

    /** The rows {@code --rows} selects, each followed by the variants asked for it (evring's Java rows only). */
    private List<Row> selected(BenchContext ctx) throws Exception {
        return ctx.selectRows(rows(ctx), Row::name, Row::kind, Row::withOptions);
    }

    @Override
    public String plan(BenchContext ctx) throws Exception {
        List<PipesCase> cases = cases(ctx, BenchContext.openFileLimit());
        Settings s = settings(ctx);
        return "pipes: " + cases.size() + " cases (" + String.join(", ", cases.stream().map(PipesCase::label).toList()) + ")\n"
                + "  W = " + s.writes + " writes per run (a run stops writing after " + s.capMillis + " ms), "
                + s.repeats + " measured runs per case after warm-up\n"
                + "  rows: " + String.join(", ", selected(ctx).stream().map(Row::name).toList());
    }

    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "pipes: time per event (libev's benchmark)", List.of(NS_PER_EVENT, EVENTS));
        long fdLimit = BenchContext.openFileLimit();
        List<PipesCase> cases = cases(ctx, fdLimit);
        Map<String, String> labels = new LinkedHashMap<>();
        for (PipesCase c : cases) labels.put(c.id(), c.label());
        if (cases.stream().mapToInt(PipesCase::pipes).max().orElse(0) < 10_000) {
            results.addNote(String.format(Locale.ROOT, "N=10000 ran as N=%d: the open-file limit here is %d and each pipe takes two fds",
                    cases.stream().mapToInt(PipesCase::pipes).max().orElse(0), fdLimit));
        }
        Settings s = settings(ctx);
        Duration timeout = Duration.ofSeconds(60 + cases.size() * (long) (s.repeats + s.javaWarmups) * (s.capMillis + 500) / 1000);
        for (Row r : selected(ctx)) {
            Function<List<String>, List<String>> command = r.command() == null ? null : ids -> r.command().apply(List.of(), ids);
            DriverRow.runRestarting(ctx, results, r.name(), r.kind(), command, r.skip(), labels, timeout);
        }
        barNotes(results, cases);
        return results;
    }

    /**
     * The bars for this benchmark: evring readiness on io_uring within 10% of libev on epoll, and evring's
     * completion mode below the syscall floor, per case.
     */
    static void barNotes(BenchmarkResults b, List<PipesCase> cases) {
        compare(b, cases, "evring io_uring (completion)", "syscall floor (C)", "below", 0);
        String libevEpoll = b.rows().stream().filter(r -> r.startsWith("libev") && r.endsWith("epoll")).findFirst().orElse(null);
        if (libevEpoll == null) return;
        for (String evring : List.of("evring io_uring (readiness)", "evring epoll (readiness)")) {
            compare(b, cases, evring, libevEpoll, "within 10% of", 10);
        }
    }

    /**
     * Adds a note saying in how many cases {@code row} costs at most {@code slackPercent} more per event than
     * {@code yardstick} (0: strictly less), and by how much it misses where it does.
     */
    static void compare(BenchmarkResults b, List<PipesCase> cases, String row, String yardstick, String relation, double slackPercent) {
        List<String> over = new ArrayList<>();
        int compared = 0;
        double worst = Double.NEGATIVE_INFINITY;
        for (PipesCase c : cases) {
            Optional<CaseResult> e = b.find(c.label(), row), y = b.find(c.label(), yardstick);
            if (e.isEmpty() || y.isEmpty() || !e.get().usable(NS_PER_EVENT.key()) || !y.get().usable(NS_PER_EVENT.key())) continue;
            double pct = (e.get().stats(NS_PER_EVENT.key()).median() / y.get().stats(NS_PER_EVENT.key()).median() - 1) * 100;
            compared++;
            worst = Math.max(worst, pct);
            boolean missed = slackPercent == 0 ? pct >= 0 : pct > slackPercent;
            if (missed) over.add(String.format(Locale.ROOT, "%s %+.0f%%", c.label(), pct));
        }
        if (compared == 0) return;
        String verdict = over.isEmpty()
                ? String.format(Locale.ROOT, "met in all %d cases (worst %+.0f%%)", compared, worst)
                : String.format(Locale.ROOT, "missed in %d of %d cases: %s", over.size(), compared, String.join(", ", over));
        b.addNote("bar (" + row + " " + relation + " " + yardstick + " per event): " + verdict);
    }
}
