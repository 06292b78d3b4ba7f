package dev.evring.bench.report;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with aligned columns: numbers right-aligned, text left-aligned. */
final class TextTable {
    private final List<String> headers;
    private final boolean[] rightAligned;
    private final List<List<String>> lines = new ArrayList<>();

    TextTable(List<String> headers, boolean[] rightAligned) {
        if (headers.size() != rightAligned.length) throw new IllegalArgumentException("headers and alignments differ in length");
        this.headers = List.copyOf(headers);
        this.rightAligned = rightAligned.clone();
    }

    void add(List<String> cells) {
        if (cells.size() > headers.size()) throw new IllegalArgumentException("row has " + cells.size() + " cells, table " + headers.size());
        List<String> l = new ArrayList<>(cells);
        while (l.size() < headers.size()) l.add("");
        lines.add(l);
    }

    /** Renders with {@code indent} before each line; the last column is never padded (notes run on). */
    String render(String indent) {
        int[] w = new int[headers.size()];
        for (int c = 0; c < w.length; c++) {
            w[c] = headers.get(c).length();
            for (List<String> l : lines) w[c] = Math.max(w[c], l.get(c).length());
        }
        StringBuilder sb = new StringBuilder();
        line(sb, indent, headers, w);
        for (List<String> l : lines) line(sb, indent, l, w);
        return sb.toString();
    }

    private void line(StringBuilder sb, String indent, List<String> cells, int[] w) {
        StringBuilder l = new StringBuilder(indent);
        for (int c = 0; c < cells.size(); c++) {
            String s = cells.get(c);
            boolean last = c == cells.size() - 1;
            if (c > 0) l.append("  ");
            if (rightAligned[c]) l.append(" ".repeat(w[c] - s.length())).append(s);
            else l.append(s).append(last ? "" : " ".repeat(w[c] - s.length()));
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }
}
