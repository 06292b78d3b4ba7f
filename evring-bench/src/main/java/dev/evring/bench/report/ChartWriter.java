package dev.evring.bench.report;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A grouped bar chart of a benchmark's primary metric: one group per case, one bar per row (the same colour for a row
 * in every group), the median as the bar and the noise (min-max) as a whisker. The scale turns logarithmic when the
 * values span more than 50x, so the fast rows stay readable beside a slow one. Drawn headless with java.awt.
 */
public final class ChartWriter {
    private ChartWriter() {}

    private static final Color[] PALETTE = {
            new Color(0xD62728), new Color(0xFF7F0E), new Color(0xE377C2), new Color(0x8C564B), new Color(0x9467BD),
            new Color(0x1F77B4), new Color(0x17BECF), new Color(0x2CA02C), new Color(0xBCBD22), new Color(0x7F7F7F),
            new Color(0x393B79), new Color(0xAD494A)};

    public static void write(BenchmarkResults b, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        ImageIO.write(render(b), "png", file.toFile());
    }

    public static BufferedImage render(BenchmarkResults b) {
        Metric m = b.primary();
        List<String> cases = b.cases();
        List<String> rows = b.rows();
        int barW = rows.size() > 8 ? 12 : 16;
        int groupW = Math.max(60, rows.size() * barW + 20);
        int left = 90, right = 30, top = 60;
        int legendRows = (rows.size() + 2) / 3;
        int bottom = 80 + legendRows * 18;
        int width = Math.max(900, left + right + cases.size() * groupW);
        int height = 560 + legendRows * 18;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);

        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (CaseResult r : b.results()) {
            if (!r.usable(m.key())) continue;
            Stats s = r.stats(m.key());
            if (s.min() > 0) lo = Math.min(lo, s.min());
            hi = Math.max(hi, s.max());
        }
        boolean any = hi > 0;
        boolean log = any && lo > 0 && hi / lo > 50;
        Scale scale = log ? Scale.log(lo, hi) : Scale.linear(any ? hi : 1);

        int plotTop = top, plotBottom = height - bottom, plotLeft = left, plotRight = width - right;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(b.title(), left, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(m.label() + " (" + m.unit() + ", " + (m.higherIsBetter() ? "higher" : "lower") + " is better"
                + (log ? ", log scale" : "") + "); bar = median, whisker = min-max", left, 46);

        // grid and y labels
        FontMetrics fm = g.getFontMetrics();
        for (double tick : scale.ticks()) {
            int y = scale.y(tick, plotTop, plotBottom);
            g.setColor(new Color(0xE0E0E0));
            g.drawLine(plotLeft, y, plotRight, y);
            g.setColor(Color.DARK_GRAY);
            String label = Format.human(tick);
            g.drawString(label, plotLeft - 6 - fm.stringWidth(label), y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawLine(plotLeft, plotTop, plotLeft, plotBottom);
        g.drawLine(plotLeft, plotBottom, plotRight, plotBottom);

        double slot = (plotRight - plotLeft) / (double) Math.max(1, cases.size());
        for (int ci = 0; ci < cases.size(); ci++) {
            String c = cases.get(ci);
            int gx = (int) (plotLeft + ci * slot + (slot - rows.size() * barW) / 2);
            for (int ri = 0; ri < rows.size(); ri++) {
                var r = b.find(c, rows.get(ri));
                if (r.isEmpty() || !r.get().usable(m.key())) continue;
                Stats s = r.get().stats(m.key());
                int x = gx + ri * barW;
                int y = scale.y(s.median(), plotTop, plotBottom);
                g.setColor(PALETTE[ri % PALETTE.length]);
                g.fillRect(x + 1, y, barW - 2, Math.max(1, plotBottom - y));
                g.setColor(Color.BLACK);
                g.setStroke(new BasicStroke(1f));
                int yMin = scale.y(s.min(), plotTop, plotBottom), yMax = scale.y(s.max(), plotTop, plotBottom);
                int cx = x + barW / 2;
                g.drawLine(cx, yMin, cx, yMax);
                g.drawLine(cx - 3, yMin, cx + 3, yMin);
                g.drawLine(cx - 3, yMax, cx + 3, yMax);
            }
            g.setColor(Color.BLACK);
            drawCentered(g, c, (int) (plotLeft + ci * slot + slot / 2), plotBottom + 16, (int) slot - 4);
        }
        // legend
        int lx = left, ly = plotBottom + 44;
        int colW = (width - left - right) / 3;
        for (int ri = 0; ri < rows.size(); ri++) {
            int x = lx + (ri % 3) * colW, y = ly + (ri / 3) * 18;
            g.setColor(PALETTE[ri % PALETTE.length]);
            g.fillRect(x, y - 10, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(rows.get(ri), x + 18, y);
        }
        g.dispose();
        return img;
    }

    /** Draws {@code s} centred at x, on two lines if it is wider than {@code maxW}. */
    private static void drawCentered(Graphics2D g, String s, int x, int y, int maxW) {
        FontMetrics fm = g.getFontMetrics();
        if (fm.stringWidth(s) <= maxW || s.indexOf(' ') < 0) {
            g.drawString(s, x - fm.stringWidth(s) / 2, y);
            return;
        }
        int cut = s.lastIndexOf(' ', s.length() / 2 + 4);
        if (cut <= 0) cut = s.indexOf(' ');
        String a = s.substring(0, cut), b = s.substring(cut + 1);
        g.drawString(a, x - fm.stringWidth(a) / 2, y);
        g.drawString(b, x - fm.stringWidth(b) / 2, y + 14);
    }

    private record Scale(boolean log, double lo, double hi) {
        static Scale linear(double max) {
            double step = niceStep(max / 5);
            return new Scale(false, 0, Math.ceil(max / step) * step);
        }

        static Scale log(double min, double max) {
            return new Scale(true, Math.pow(10, Math.floor(Math.log10(min))), Math.pow(10, Math.ceil(Math.log10(max))));
        }

        int y(double v, int top, int bottom) {
            double f;
            if (log) f = (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
            else f = hi == 0 ? 0 : v / hi;
            f = Math.max(0, Math.min(1, f));
            return (int) Math.round(bottom - f * (bottom - top));
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            if (log) {
                for (double v = lo; v <= hi * 1.0001; v *= 10) t.add(v);
            } else {
                double step = niceStep(hi / 5);
                for (double v = 0; v <= hi * 1.0001; v += step) t.add(v);
            }
            return t;
        }

        private static double niceStep(double raw) {
            if (raw <= 0) return 1;
            double p = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / p;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
        }
    }
}
