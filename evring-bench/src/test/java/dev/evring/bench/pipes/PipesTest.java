package dev.evring.bench.pipes;

import dev.evring.Backend;
import dev.evring.bench.BenchOptions;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.NativeTools;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The Java pipes implementations move every byte they were asked to, on tiny cases. */
class PipesTest {
    private static final long CAP = 5_000_000_000L;

    private static void movesEveryByte(PipeChains p, boolean timeouts) throws Exception {
        try (p) {
            p.open(20, timeouts);
            for (int active : new int[] {1, 5, 20}) {
                long[] r = p.run(active, 300, CAP);
                assertEquals(active + 300, r[0], "events with " + active + " chains");
                assertTrue(r[1] > 0);
            }
        }
    }

    @Test
    void evringOnEpollMovesEveryByteWithAndWithoutTimeouts() throws Exception {
        movesEveryByte(new EvringPipes(Backend.EPOLL), false);
        movesEveryByte(new EvringPipes(Backend.EPOLL), true);
    }

    @Test
    void evringOnPollMovesEveryByte() throws Exception {
        movesEveryByte(new EvringPipes(Backend.POLL), true);
    }

    @Test
    void evringOnIoUringMovesEveryByte() throws Exception {
        Backend.Availability a = Backend.IO_URING.availability();
        assumeTrue(a.available(), "io_uring backend unavailable: " + a.reason());
        movesEveryByte(new EvringPipes(Backend.IO_URING), true);
    }

    @Test
    void completionModeOnIoUringMovesEveryByte() throws Exception {
        Backend.Availability a = Backend.IO_URING.availability();
        assumeTrue(a.available(), "io_uring backend unavailable: " + a.reason());
        movesEveryByte(new CompletionPipes(Backend.IO_URING), false);
        movesEveryByte(new CompletionPipes(Backend.IO_URING), true);
    }

    @Test
    void completionModeEmulatedOnEpollMovesEveryByte() throws Exception {
        movesEveryByte(new CompletionPipes(Backend.EPOLL), true);
    }

    @Test
    void nioSelectorMovesEveryByteAndHasNoTimers() throws Exception {
        NioPipes nio = new NioPipes();
        assertFalse(nio.hasTimers());
        movesEveryByte(nio, false);
    }

    @Test
    void javaSyscallFloorMovesEveryByte() throws Exception {
        movesEveryByte(new FloorPipes(), false);
    }

    @Test
    void aRunStopsWritingOnceItsTimeIsUp() throws Exception {
        try (EvringPipes p = new EvringPipes(Backend.EPOLL)) {
            p.open(4, false);
            long[] r = p.run(1, Long.MAX_VALUE / 2, 0);
            assertTrue(r[0] >= 64 && r[0] < 1_000_000, "events " + r[0]);
        }
    }

    @Test
    void caseIdsRoundTripAndBadOnesAreNamed() {
        PipesCase c = PipesCase.parse("1000x100t");
        assertEquals(new PipesCase(1000, 100, true), c);
        assertEquals("1000x100t", c.id());
        assertEquals("N=1000 A=100 timeouts", c.label());
        assertEquals(List.of(new PipesCase(10, 1, false), c), PipesCase.parseList("10x1,1000x100t"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PipesCase.parse("10y1")).getMessage().contains("10y1"));
        assertThrows(IllegalArgumentException.class, () -> PipesCase.parse("10x11"));
    }

    @Test
    void sweepCoversTheIssuesCasesAndShrinksNToTheOpenFileLimit() {
        List<PipesCase> all = PipesBenchmark.cases(1_000_000);
        assertEquals(12, all.size());
        assertEquals(new PipesCase(10_000, 100, true), all.getLast());
        List<PipesCase> limited = PipesBenchmark.cases(20_000);
        assertEquals((20_000 - PipesBenchmark.FD_RESERVE) / 2, limited.stream().mapToInt(PipesCase::pipes).max().orElseThrow());
    }

    @Test
    void aQuickRunKeepsOneAndAHundredChainsTheLargestNAndTimeouts() throws Exception {
        Path dir = Files.createTempDirectory("pipes");
        BenchContext quick = new BenchContext(BenchOptions.parse(new String[] {"--quick"}, dir),
                new NativeTools(dir, dir.resolve("setup.log"), s -> { }), dir, new PrintStream(OutputStream.nullOutputStream()));
        assertEquals(List.of("N=100 A=1", "N=100 A=100", "N=10000 A=100", "N=1000 A=100 timeouts"),
                PipesBenchmark.cases(quick, 1_000_000).stream().map(PipesCase::label).toList());
    }

    @Test
    void jitWarmUpRunsEveryJavaImplementationWithoutMeasuringAnything() throws Exception {
        for (String impl : List.of("evring-epoll", "nio", "floor-java", "completion-epoll")) {
            PipesDriver.warmUpJit(impl, true, 20_000_000L);
        }
    }

    @Test
    void unknownImplementationIsRefusedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PipesDriver.create("kqueue")).getMessage().contains("kqueue"));
    }
}
