package dev.evring.bench;

import dev.evring.bench.report.RowKind;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchOptionsTest {
    private static final Path OUT = Path.of("/tmp/results");

    private static BenchOptions parse(String... args) {
        return BenchOptions.parse(args, OUT);
    }

    @Test
    void fullRunSelectsEveryBenchmarkIncludingJmh() {
        BenchOptions o = parse();
        assertEquals(List.of("pipes", "echo", "bulk", "udp", "memory", "http", "timers", "jmh"), List.copyOf(o.only()));
        assertFalse(o.quick());
        assertTrue(o.install());
        assertEquals(OUT, o.out());
        assertEquals(5, o.repeatsOr(3, 5));
    }

    @Test
    void quickRunLeavesJmhOutAndUsesQuickRepeats() {
        BenchOptions o = parse("--quick");
        assertEquals(List.of("pipes", "echo", "bulk", "udp", "memory", "http", "timers"), List.copyOf(o.only()));
        assertEquals(3, o.repeatsOr(3, 5));
    }

    @Test
    void onlyKeepsTheSuiteOrderWhateverTheGivenOrder() {
        assertEquals(List.of("pipes", "timers"), List.copyOf(parse("--only", "timers,pipes").only()));
        assertEquals(List.of("echo"), List.copyOf(parse("--only=echo").only()));
    }

    @Test
    void jmhFlagRunsJmhAloneEvenInQuickMode() {
        assertEquals(Set.of("jmh"), parse("--jmh").only());
        assertEquals(Set.of("jmh"), parse("--quick", "--jmh").only());
    }

    @Test
    void loopsAreOneUnlessGivenAndEachCountGivenOnce() {
        assertEquals(List.of(1), parse().loops());
        assertEquals(List.of(1, 2), parse("--loops", "1,2").loops());
        assertEquals(List.of(2, 1, 4), parse("--loops", "2,1", "--loops=4,2").loops());
        for (String bad : List.of("0", "x", "65", ",", "1,-2")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--loops", bad), bad);
            assertTrue(e.getMessage().startsWith("--loops: "), e.getMessage());
        }
    }

    @Test
    void unknownBenchmarkIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--only", "pipes,bogus"));
        assertTrue(e.getMessage().contains("\"bogus\""), e.getMessage());
    }

    @Test
    void unknownOptionIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--fast"));
        assertTrue(e.getMessage().contains("--fast"), e.getMessage());
    }

    @Test
    void repeatsMustBeANumberInRange() {
        assertEquals(7, parse("--repeats", "7").repeatsOr(3, 5));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--repeats", "x")).getMessage().contains("\"x\""));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--repeats", "0")).getMessage().contains("0"));
        assertThrows(IllegalArgumentException.class, () -> parse("--repeats"));
    }

    @Test
    void flagsTakeNoValue() {
        assertThrows(IllegalArgumentException.class, () -> parse("--quick=yes"));
    }

    @Test
    void rowFilterMatchesSubstringsCaseInsensitively() {
        BenchOptions o = parse("--rows", "Evring,libev");
        assertTrue(o.wantsRow("evring epoll (readiness)", RowKind.EVRING));
        assertTrue(o.wantsRow("libev 4.33 (C) epoll", RowKind.PEER));
        assertFalse(o.wantsRow("JDK NIO Selector", RowKind.PEER));
        assertTrue(parse().wantsRow("anything", RowKind.PEER));
    }

    @Test
    void outNoInstallListAndHelp() {
        BenchOptions o = parse("--out", "/x/y", "--no-install", "--list", "-h");
        assertEquals(Path.of("/x/y"), o.out());
        assertFalse(o.install());
        assertTrue(o.list());
        assertTrue(o.help());
    }
}
