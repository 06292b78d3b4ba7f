package dev.evring.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything one benchmark produced in a run: its metrics (the first is the primary one, which ratios and charts use),
 * its cases and rows in the order they were declared, the results, and closing notes.
 */
public final class BenchmarkResults {
    private final String id;
    private final String title;
    private final List<Metric> metrics;
    private final List<String> cases = new ArrayList<>();
    private final List<String> rows = new ArrayList<>();
    private final List<CaseResult> results = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public BenchmarkResults(String id, String title, List<Metric> metrics) {
        if (metrics.isEmpty()) throw new IllegalArgumentException("benchmark " + id + " declares no metric");
        this.id = id;
        this.title = title;
        this.metrics = List.copyOf(metrics);
    }

    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    public List<Metric> metrics() {
        return metrics;
    }

    public Metric primary() {
        return metrics.getFirst();
    }

    public List<String> cases() {
        return List.copyOf(cases);
    }

    public List<String> rows() {
        return List.copyOf(rows);
    }

    public List<CaseResult> results() {
        return List.copyOf(results);
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }

    public BenchmarkResults addNote(String note) {
        notes.add(note);
        return this;
    }

    /** Records a result; its case and row join the order of first appearance. */
    public CaseResult add(CaseResult r) {
        if (!r.benchmark().equals(id)) throw new IllegalArgumentException("result of " + r.benchmark() + " added to " + id);
        if (find(r.caseName(), r.row()).isPresent()) {
            throw new IllegalArgumentException("duplicate result for case \"" + r.caseName() + "\", row \"" + r.row() + "\"");
        }
        if (!cases.contains(r.caseName())) cases.add(r.caseName());
        if (!rows.contains(r.row())) rows.add(r.row());
        results.add(r);
        return r;
    }

    public Optional<CaseResult> find(String caseName, String row) {
        return results.stream().filter(r -> r.caseName().equals(caseName) && r.row().equals(row)).findFirst();
    }

    public List<CaseResult> forCase(String caseName) {
        List<CaseResult> out = new ArrayList<>();
        for (String row : rows) find(caseName, row).ifPresent(out::add);
        return out;
    }

    /** The peer row with the best median of the primary metric in this case, if any peer has figures. */
    public Optional<CaseResult> bestPeer(String caseName) {
        return bestPeer(caseName, primary());
    }

    public Optional<CaseResult> bestPeer(String caseName, Metric m) {
        CaseResult best = null;
        double bestValue = Double.NaN;
        for (CaseResult r : forCase(caseName)) {
            if (r.kind() != RowKind.PEER || !r.usable(m.key())) continue;
            double v = r.stats(m.key()).median();
            if (best == null || (m.higherIsBetter() ? v > bestValue : v < bestValue)) {
                best = r;
                bestValue = v;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * How many times better than the best peer a row is on a metric: above 1 it beats every peer, below 1 some peer
     * beats it. For a lower-is-better metric this is best / row, so the reading is the same either way. NaN when the
     * row or every peer lacks figures, and when either is zero or below (a memory delta can be), where a ratio says
     * nothing.
     */
    public double ratioToBestPeer(String caseName, String row, Metric m) {
        Optional<CaseResult> best = bestPeer(caseName, m);
        Optional<CaseResult> r = find(caseName, row);
        if (best.isEmpty() || r.isEmpty() || !r.get().usable(m.key())) return Double.NaN;
        double b = best.get().stats(m.key()).median();
        double v = r.get().stats(m.key()).median();
        if (b <= 0 || v <= 0) return Double.NaN;
        return m.higherIsBetter() ? v / b : b / v;
    }

    public double ratioToBestPeer(String caseName, String row) {
        return ratioToBestPeer(caseName, row, primary());
    }
}
