package dev.evring.bench.harness;

import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;
import dev.evring.bench.report.RowKind;
import dev.evring.bench.report.Stats;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * One row of a benchmark run by one driver process that goes through several cases: collects its {@code result}
 * lines into {@link CaseResult}s, prints a progress line as each case is done, and turns a crash, a hang or a bad
 * exit into the outcome of every case it left unfinished.
 */
public final class DriverRow {
    private DriverRow() {}

    /**
     * Runs one driver process for every case (or, when {@code skipReason} is set, records every case as skipped with
     * it) and adds one result per case to {@code results}.
     *
     * @param cases case id (as the driver prints it) to the label shown in tables, in order
     */
    public static void run(BenchContext ctx, BenchmarkResults results, String row, RowKind kind,
                           List<String> command, String skipReason, Map<String, String> cases, Duration timeout) throws Exception {
        run(ctx, results, row, kind, command == null ? null : ids -> command, false, skipReason, cases, timeout);
    }

    /**
     * As above, for a driver told its cases on its command line: when it dies in a case, the case is reported as
     * crashed (or failed) and the driver is started again for the cases after it, so one bad case does not hide the
     * others.
     *
     * @param commandFor the command running the given case ids
     */
    public static void runRestarting(BenchContext ctx, BenchmarkResults results, String row, RowKind kind,
                                     Function<List<String>, List<String>> commandFor, String skipReason,
                                     Map<String, String> cases, Duration timeout) throws Exception {
        run(ctx, results, row, kind, commandFor, true, skipReason, cases, timeout);
    }

    private static void run(BenchContext ctx, BenchmarkResults results, String row, RowKind kind,
                            Function<List<String>, List<String>> commandFor, boolean restart, String skipReason,
                            Map<String, String> cases, Duration timeout) throws Exception {
        String bench = results.id();
        if (skipReason != null) {
            for (String label : cases.values()) results.add(CaseResult.without(bench, label, row, kind, Outcome.SKIPPED, skipReason));
            ctx.progress(String.format("  %-7s %-34s skipped: %s", bench, row, skipReason));
            return;
        }
        Map<String, CaseResult> byId = new LinkedHashMap<>();
        cases.forEach((id, label) -> byId.put(id, new CaseResult(bench, label, row, kind)));
        Set<String> done = ConcurrentHashMap.newKeySet();
        Metric primary = results.primary();
        List<String> remaining = new ArrayList<>(byId.keySet());
        while (!remaining.isEmpty()) {
            DriverProcess.Ending end = DriverProcess.run(commandFor.apply(remaining), ctx.log(bench, row), timeout,
                    line -> onLine(ctx, bench, row, primary, byId, done, line));
            List<String> unfinished = remaining.stream().filter(id -> !done.contains(id)).toList();
            remaining = new ArrayList<>();
            String diedIn = null;
            for (String id : unfinished) {
                CaseResult r = byId.get(id);
                if (end.ok()) {
                    if (r.outcome() == Outcome.OK) r.fail(Outcome.FAILED, "the driver reported nothing for this case");
                } else if (diedIn == null) {
                    // the case it was in when it died carries the cause
                    diedIn = r.caseName();
                    r.fail(end.crashed() ? Outcome.CRASHED : Outcome.FAILED, end.describe(timeout));
                } else if (restart) {
                    remaining.add(id);
                    continue;
                } else {
                    r.fail(Outcome.FAILED, "not run: the driver died in " + diedIn);
                }
                done.add(id);
                ctx.progress(progressLine(bench, row, r, primary));
            }
        }
        for (CaseResult r : byId.values()) {
            if (r.outcome() == Outcome.OK && !r.has(primary.key())) r.fail(Outcome.FAILED, "the driver reported no " + primary.key());
            results.add(r);
        }
    }

    private static void onLine(BenchContext ctx, String bench, String row, Metric primary, Map<String, CaseResult> byId,
                               Set<String> done, DriverProtocol.Line line) {
        CaseResult r = line.caseId() == null ? null : byId.get(line.caseId());
        switch (line.kind()) {
            case INFO, OTHER -> { } // kept in the log: the row's name already says what runs
            case RESULT -> {
                if (r != null) line.values().forEach(r::add);
            }
            case SKIP -> {
                if (r != null) r.fail(Outcome.SKIPPED, line.text());
            }
            case FAIL -> {
                if (r != null) r.fail(Outcome.FAILED, line.text());
            }
            case DONE -> {
                if (r != null && done.add(line.caseId())) ctx.progress(progressLine(bench, row, r, primary));
            }
        }
    }

    static String progressLine(String bench, String row, CaseResult r, Metric m) {
        String what;
        if (r.outcome() != Outcome.OK) {
            what = r.outcome().word() + ": " + r.notes();
        } else {
            Stats s = r.stats(m.key());
            what = Format.human(s.median()) + " " + m.unit() + "  (" + Format.human(s.min()) + "-" + Format.human(s.max())
                    + ", " + s.count() + " runs)";
        }
        return String.format("  %-7s %-34s %-26s %s", bench, row, r.caseName(), what);
    }
}
