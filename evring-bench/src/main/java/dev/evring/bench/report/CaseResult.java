package dev.evring.bench.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one row (an implementation) produced for one case of one benchmark: a list of samples per metric (one per
 * repeat), or the reason it has none.
 */
public final class CaseResult {
    private final String benchmark;
    private final String caseName;
    private final String row;
    private final RowKind kind;
    private Outcome outcome = Outcome.OK;
    private final List<String> notes = new ArrayList<>();
    private final Map<String, List<Double>> samples = new LinkedHashMap<>();

    public CaseResult(String benchmark, String caseName, String row, RowKind kind) {
        this.benchmark = benchmark;
        this.caseName = caseName;
        this.row = row;
        this.kind = kind;
    }

    /** A result without figures: skipped, crashed or failed, with the reason. */
    public static CaseResult without(String benchmark, String caseName, String row, RowKind kind, Outcome outcome, String reason) {
        if (outcome == Outcome.OK) throw new IllegalArgumentException("a result without figures cannot be OK");
        CaseResult r = new CaseResult(benchmark, caseName, row, kind);
        r.outcome = outcome;
        r.note(reason);
        return r;
    }

    public String benchmark() {
        return benchmark;
    }

    public String caseName() {
        return caseName;
    }

    public String row() {
        return row;
    }

    public RowKind kind() {
        return kind;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** Marks the result as not OK (keeps samples gathered so far, which tables then ignore) with the reason. */
    public CaseResult fail(Outcome outcome, String reason) {
        this.outcome = outcome;
        note(reason);
        return this;
    }

    public CaseResult note(String note) {
        if (note != null && !note.isBlank() && !notes.contains(note)) notes.add(note);
        return this;
    }

    public String notes() {
        return String.join("; ", notes);
    }

    public CaseResult add(String metricKey, double value) {
        samples.computeIfAbsent(metricKey, k -> new ArrayList<>()).add(value);
        return this;
    }

    /** The samples of one metric, in the order they were taken (empty if none). */
    public double[] samples(String metricKey) {
        List<Double> l = samples.getOrDefault(metricKey, Collections.emptyList());
        double[] a = new double[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    public boolean has(String metricKey) {
        return samples.containsKey(metricKey) && !samples.get(metricKey).isEmpty();
    }

    /** Median and noise of a metric; NaNs when there are no samples or the result is not OK. */
    public Stats stats(String metricKey) {
        return outcome == Outcome.OK ? Stats.of(samples(metricKey)) : Stats.of(new double[0]);
    }

    /** Whether this row has figures for the metric. */
    public boolean usable(String metricKey) {
        return outcome == Outcome.OK && has(metricKey);
    }

    @Override
    public String toString() {
        return benchmark + "/" + caseName + "/" + row + " " + outcome.word() + " " + samples + (notes.isEmpty() ? "" : " (" + notes() + ")");
    }
}
