package dev.evring.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The final text table of a benchmark: per case, one line per row with the primary metric's median, the noise
 * (min-max over the repeats), the ratio to the best peer, the medians of the other metrics, and notes (why a row was
 * skipped, crashed, or is limited by the client).
 */
public final class TableRenderer {
    private TableRenderer() {}

    public static String render(BenchmarkResults b) {
        Metric p = b.primary();
        StringBuilder sb = new StringBuilder();
        sb.append("== ").append(b.title()).append(" ==\n");
        sb.append("   ").append(p.label()).append(" in ").append(p.unit()).append(", ")
                .append(p.higherIsBetter() ? "higher" : "lower").append(" is better; median of the repeats, noise = min-max;")
                .append(" \"vs best peer\" > 1.00x beats every peer\n");
        for (String c : b.cases()) {
            sb.append('\n').append("  ").append(c).append('\n');
            sb.append(caseTable(b, c).render("    "));
        }
        if (!b.notes().isEmpty()) {
            sb.append('\n');
            for (String n : b.notes()) sb.append("  note: ").append(n).append('\n');
        }
        return sb.toString();
    }

    static TextTable caseTable(BenchmarkResults b, String caseName) {
        Metric p = b.primary();
        List<Metric> others = b.metrics().subList(1, b.metrics().size());
        List<String> headers = new ArrayList<>(List.of("row", p.label() + " (" + p.unit() + ")", "noise", "vs best peer"));
        for (Metric m : others) headers.add(m.label() + " (" + m.unit() + ")");
        headers.add("notes");
        boolean[] right = new boolean[headers.size()];
        for (int i = 1; i < right.length - 1; i++) right[i] = true;
        TextTable t = new TextTable(headers, right);
        Optional<CaseResult> best = b.bestPeer(caseName);
        for (CaseResult r : b.forCase(caseName)) {
            List<String> cells = new ArrayList<>();
            cells.add(r.row());
            if (!r.usable(p.key())) {
                cells.add(r.outcome() == Outcome.OK ? "-" : r.outcome().word());
                cells.add("");
                cells.add("");
                for (int i = 0; i < others.size(); i++) cells.add("");
            } else {
                Stats s = r.stats(p.key());
                cells.add(Format.human(s.median()));
                cells.add(s.count() > 1 ? Format.human(s.min()) + "-" + Format.human(s.max()) : "(1 run)");
                String ratio = Format.ratio(b.ratioToBestPeer(caseName, r.row()));
                if (best.isPresent() && best.get() == r) ratio = "best peer";
                else if (r.kind() == RowKind.REFERENCE && !ratio.equals("-")) ratio += " (ref)";
                cells.add(ratio);
                for (Metric m : others) cells.add(r.usable(m.key()) ? Format.human(r.stats(m.key()).median()) : "-");
            }
            cells.add(r.outcome() == Outcome.OK ? r.notes() : r.outcome().word() + ": " + r.notes());
            t.add(cells);
        }
        return t;
    }
}
