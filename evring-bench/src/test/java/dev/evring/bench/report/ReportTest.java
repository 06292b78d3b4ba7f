package dev.evring.bench.report;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    private static final Metric NS = new Metric("ns_per_event", "time per event", "ns/event", false);
    private static final Metric MSGS = new Metric("msgs_per_s", "throughput", "msg/s", true);

    private static CaseResult ok(String c, String row, RowKind kind, String key, double... samples) {
        CaseResult r = new CaseResult("b", c, row, kind);
        for (double s : samples) r.add(key, s);
        return r;
    }

    private static BenchmarkResults pipesLike() {
        BenchmarkResults b = new BenchmarkResults("b", "test", List.of(NS));
        b.add(ok("N=100", "evring", RowKind.EVRING, NS.key(), 90, 100, 95));
        b.add(ok("N=100", "libev", RowKind.PEER, NS.key(), 120, 110, 130));
        b.add(ok("N=100", "nio", RowKind.PEER, NS.key(), 200));
        b.add(ok("N=100", "floor", RowKind.REFERENCE, NS.key(), 50));
        b.add(CaseResult.without("b", "N=100", "uring", RowKind.EVRING, Outcome.SKIPPED, "install libev-dev"));
        return b;
    }

    @Test
    void medianAndNoiseOfRepeats() {
        Stats s = Stats.of(new double[] {5, 1, 3});
        assertEquals(3, s.median());
        assertEquals(1, s.min());
        assertEquals(5, s.max());
        assertEquals(2.5, Stats.of(new double[] {1, 2, 3, 4}).median());
        assertTrue(Double.isNaN(Stats.of(new double[0]).median()));
    }

    @Test
    void bestPeerIgnoresEvringAndReferenceRows() {
        BenchmarkResults b = pipesLike();
        assertEquals("libev", b.bestPeer("N=100").orElseThrow().row());
    }

    @Test
    void ratioAboveOneMeansBetterThanTheBestPeerForLowerIsBetterMetrics() {
        BenchmarkResults b = pipesLike();
        assertEquals(120.0 / 95.0, b.ratioToBestPeer("N=100", "evring"), 1e-9);
        assertEquals(1.0, b.ratioToBestPeer("N=100", "libev"), 1e-9);
        assertEquals(0.6, b.ratioToBestPeer("N=100", "nio"), 1e-9);
        assertTrue(Double.isNaN(b.ratioToBestPeer("N=100", "uring")));
    }

    @Test
    void ratioForHigherIsBetterMetricsIsRowOverBest() {
        BenchmarkResults b = new BenchmarkResults("b", "echo", List.of(MSGS));
        b.add(ok("50x8", "evring", RowKind.EVRING, MSGS.key(), 1300));
        b.add(ok("50x8", "netty", RowKind.PEER, MSGS.key(), 1000));
        b.add(ok("50x8", "nio", RowKind.PEER, MSGS.key(), 800));
        assertEquals("netty", b.bestPeer("50x8").orElseThrow().row());
        assertEquals(1.3, b.ratioToBestPeer("50x8", "evring"), 1e-9);
    }

    @Test
    void aRatioWithAZeroOrNegativeValueIsNone() {
        BenchmarkResults b = new BenchmarkResults("b", "memory", List.of(NS));
        b.add(ok("closed", "evring", RowKind.EVRING, NS.key(), 300));
        b.add(ok("closed", "netty", RowKind.PEER, NS.key(), -40));
        b.add(ok("closed", "nio", RowKind.PEER, NS.key(), 0));
        b.add(ok("idle", "evring", RowKind.EVRING, NS.key(), -10));
        b.add(ok("idle", "nio", RowKind.PEER, NS.key(), 700));
        assertTrue(Double.isNaN(b.ratioToBestPeer("closed", "evring")), "best / row with a negative best says nothing");
        assertTrue(Double.isNaN(b.ratioToBestPeer("idle", "evring")), "nor with a negative row");
    }

    @Test
    void failedRowsHaveNoFiguresEvenWithSamples() {
        CaseResult r = ok("c", "libev io_uring", RowKind.PEER, NS.key(), 10);
        r.fail(Outcome.CRASHED, "killed by SIGSEGV");
        assertFalse(r.usable(NS.key()));
        BenchmarkResults b = new BenchmarkResults("b", "t", List.of(NS));
        b.add(r);
        assertTrue(b.bestPeer("c").isEmpty());
    }

    @Test
    void tableShowsMedianNoiseRatioAndWhyARowHasNoFigures() {
        String t = TableRenderer.render(pipesLike());
        assertTrue(t.contains("N=100"), t);
        assertTrue(t.contains("90.00-100.0"), t);       // evring's noise
        assertTrue(t.contains("1.26x"), t);             // 120 / 95
        assertTrue(t.contains("best peer"), t);
        assertTrue(t.contains("(ref)"), t);             // the floor is not a peer
        assertTrue(t.contains("skipped: install libev-dev"), t);
        assertTrue(t.contains("(1 run)"), t);
    }

    @Test
    void csvHasOneLinePerMetricWithSamplesAndQuotesCommas() {
        BenchmarkResults b = pipesLike();
        b.find("N=100", "nio").orElseThrow().note("a, b");
        String csv = CsvWriter.render(b);
        String[] lines = csv.split("\n");
        assertEquals(CsvWriter.HEADER, lines[0]);
        assertEquals(6, lines.length, csv);
        assertTrue(csv.contains("b,N=100,evring,evring,ok,ns_per_event,ns/event,95,90,100,3,90 100 95,1.2632,"), csv);
        assertTrue(csv.contains(",\"a, b\""), csv);
        assertTrue(csv.contains("b,N=100,uring,evring,skipped,,,,,,0,,,install libev-dev"), csv);
    }

    @Test
    void csvEscapingFollowsRfc4180() {
        assertEquals("plain", CsvWriter.escape("plain"));
        assertEquals("\"say \"\"hi\"\"\"", CsvWriter.escape("say \"hi\""));
        assertEquals("\"a\nb\"", CsvWriter.escape("a\nb"));
    }

    @Test
    void chartRendersEveryCaseAndSurvivesRowsWithoutFigures() {
        BufferedImage img = ChartWriter.render(pipesLike());
        assertTrue(img.getWidth() >= 900 && img.getHeight() >= 500);
        // something other than the white background was drawn in the plot area
        boolean drawn = false;
        for (int x = 100; x < img.getWidth() - 40 && !drawn; x += 3) {
            for (int y = 70; y < img.getHeight() - 150 && !drawn; y += 3) drawn = (img.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF;
        }
        assertTrue(drawn);
    }

    @Test
    void numbersReadWell() {
        assertEquals("1,234,567", Format.human(1_234_567.4));
        assertEquals("123.5", Format.human(123.45));
        assertEquals("12.35", Format.human(12.345));
        assertEquals("1.235", Format.human(1.2345));
        assertEquals("-", Format.human(Double.NaN));
        assertEquals("12.5", Format.plain(12.5));
        assertEquals("3", Format.plain(3.0));
        assertEquals("1.32x", Format.ratio(1.3201));
    }

    @Test
    void duplicateResultsAreRefused() {
        BenchmarkResults b = pipesLike();
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> b.add(ok("N=100", "evring", RowKind.EVRING, NS.key(), 1)));
        assertTrue(e.getMessage().contains("evring"));
    }
}
