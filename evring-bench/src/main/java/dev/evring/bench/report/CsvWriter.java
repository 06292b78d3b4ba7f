package dev.evring.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;

/**
 * One CSV per benchmark, one line per (case, row, metric), so a spreadsheet or a script can pivot it any way:
 * {@code benchmark,case,row,kind,outcome,metric,unit,median,min,max,runs,samples,vs_best_peer,notes}. Samples are the
 * raw per-repeat values separated by spaces; a row without figures has one line with metric and values empty.
 */
public final class CsvWriter {
    private CsvWriter() {}

    public static final String HEADER = "benchmark,case,row,kind,outcome,metric,unit,median,min,max,runs,samples,vs_best_peer,notes";

    public static String render(BenchmarkResults b) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (String c : b.cases()) {
            for (CaseResult r : b.forCase(c)) {
                boolean any = false;
                for (Metric m : b.metrics()) {
                    if (!r.has(m.key())) continue;
                    any = true;
                    double[] samples = r.samples(m.key());
                    Stats s = Stats.of(samples);
                    StringJoiner sj = new StringJoiner(" ");
                    for (double v : samples) sj.add(Format.plain(v));
                    double ratio = r.outcome() == Outcome.OK ? b.ratioToBestPeer(c, r.row(), m) : Double.NaN;
                    line(sb, b.id(), c, r.row(), r.kind().name().toLowerCase(java.util.Locale.ROOT), r.outcome().word(), m.key(), m.unit(),
                            Format.plain(s.median()), Format.plain(s.min()), Format.plain(s.max()), Integer.toString(s.count()),
                            sj.toString(), Double.isNaN(ratio) ? "" : String.format(java.util.Locale.ROOT, "%.4f", ratio), r.notes());
                }
                if (!any) {
                    line(sb, b.id(), c, r.row(), r.kind().name().toLowerCase(java.util.Locale.ROOT), r.outcome().word(),
                            "", "", "", "", "", "0", "", "", r.notes());
                }
            }
        }
        return sb.toString();
    }

    public static void write(BenchmarkResults b, Path file) throws IOException {
        Files.writeString(file, render(b));
    }

    private static void line(StringBuilder sb, String... cells) {
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(escape(cells[i]));
        }
        sb.append('\n');
    }

    /** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled. */
    static String escape(String s) {
        if (s == null) return "";
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
