package dev.evring.bench.harness;

import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;
import dev.evring.bench.report.RowKind;
import dev.evring.bench.report.Stats;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One row of a benchmark run by one driver process that goes through several cases: collects its {@code result}
 * lines into {@link CaseResult}s, prints a progress line as each case is done, and turns a crash, a hang or a bad
 * exit into the outcome of every case it left unfinished.
 */
public final class DriverRow {
    private DriverRow() {}

    /**
     * Runs {@code command} (or, when {@code skipReason} is set, records every case as skipped with it) and adds one
     * result per case to {@code results}.
     *
     * @param cases case id (as the driver prints it) to the label shown in tables, in order
     */
    public static void run(BenchContext ctx, BenchmarkResults results, String row, RowKind kind,
                           List<String> command, String skipReason, Map<String, String> cases, Duration timeout) throws Exception {
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
        DriverProcess.Ending end = DriverProcess.run(command, ctx.log(bench, row), timeout, line -> {
            CaseResult r = line.caseId() == null ? null : byId.get(line.caseId());
            switch (line.kind()) {
                case INFO -> { } // kept in the log: the row's name already says what runs
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
                case OTHER -> { }
            }
        });
        String diedIn = null;
        for (Map.Entry<String, CaseResult> e : byId.entrySet()) {
            CaseResult r = e.getValue();
            if (r.outcome() == Outcome.OK && !done.contains(e.getKey())) {
                if (end.ok()) {
                    r.fail(Outcome.FAILED, "the driver reported nothing for this case");
                } else if (diedIn == null) {
                    // the case it was in when it died carries the cause; the ones after it never ran
                    diedIn = r.caseName();
                    r.fail(end.crashed() ? Outcome.CRASHED : Outcome.FAILED, end.describe(timeout));
                } else {
                    r.fail(Outcome.FAILED, "not run: the driver died in " + diedIn);
                }
                ctx.progress(progressLine(bench, row, r, primary));
            } else if (r.outcome() == Outcome.OK && !r.has(primary.key())) {
                r.fail(Outcome.FAILED, "the driver reported no " + primary.key());
            }
            results.add(r);
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
