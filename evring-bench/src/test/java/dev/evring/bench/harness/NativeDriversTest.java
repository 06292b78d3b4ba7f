package dev.evring.bench.harness;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The C drivers compile here and speak the driver protocol, on tiny inputs. Skips, saying what to install, where gcc
 * or libev is missing; never installs anything itself.
 */
class NativeDriversTest {
    @TempDir
    static Path dir;
    static NativeTools tools;

    @BeforeAll
    static void prepare() throws Exception {
        tools = new NativeTools(dir.resolve("cache"), dir.resolve("setup.log"), s -> { }).prepare(false);
    }

    private static List<DriverProtocol.Line> run(NativeTools.Binary b, String... args) throws Exception {
        assertTrue(b.ok(), "compile failed: " + b.missing());
        List<String> cmd = new ArrayList<>(List.of(b.path().toString()));
        cmd.addAll(List.of(args));
        List<DriverProtocol.Line> lines = new ArrayList<>();
        DriverProcess.Ending end = DriverProcess.run(cmd, dir.resolve("run.log"), Duration.ofSeconds(30), lines::add);
        assertTrue(end.ok(), end.describe(Duration.ofSeconds(30)));
        return lines;
    }

    private static long count(List<DriverProtocol.Line> lines, DriverProtocol.Kind kind) {
        return lines.stream().filter(l -> l.kind() == kind).count();
    }

    @Test
    void syscallFloorReportsEveryRepeatAndSkipsTimeouts() throws Exception {
        assumeTrue(tools.missingFor(NativeTools.Needs.LIBC) == null, "no C compiler here: " + tools.missingFor(NativeTools.Needs.LIBC));
        List<DriverProtocol.Line> lines = run(tools.compile("pipes_floor", NativeTools.Needs.LIBC), "10x1,10x10,10x1t", "200", "2", "1", "1000");
        assertEquals(4, count(lines, DriverProtocol.Kind.RESULT));
        assertEquals(1, count(lines, DriverProtocol.Kind.SKIP));
        assertEquals(3, count(lines, DriverProtocol.Kind.DONE));
        DriverProtocol.Line r = lines.stream().filter(l -> l.kind() == DriverProtocol.Kind.RESULT).findFirst().orElseThrow();
        assertEquals(201.0, r.values().get("events")); // 1 initial byte + 200 writes, all read
    }

    @Test
    void libevPipesRunOnEpollWithAndWithoutTimeouts() throws Exception {
        assumeTrue(tools.hasLibev(), "libev is not installed here: " + tools.missingFor(NativeTools.Needs.LIBEV));
        List<DriverProtocol.Line> lines = run(tools.compile("pipes_libev", NativeTools.Needs.LIBEV), "epoll", "10x1,10x10t", "100", "2", "0", "1000");
        assertEquals(4, count(lines, DriverProtocol.Kind.RESULT), lines.toString());
        for (DriverProtocol.Line l : lines) {
            if (l.kind() == DriverProtocol.Kind.RESULT) assertTrue(l.values().get("ns_per_event") > 0);
        }
    }

    @Test
    void libevTimersReportStartAgainAndStop() throws Exception {
        assumeTrue(tools.hasLibev(), "libev is not installed here: " + tools.missingFor(NativeTools.Needs.LIBEV));
        List<DriverProtocol.Line> lines = run(tools.compile("timers_libev", NativeTools.Needs.LIBEV), "1000", "1", "0");
        assertEquals(List.of("start", "again", "stop"),
                lines.stream().filter(l -> l.kind() == DriverProtocol.Kind.RESULT).map(DriverProtocol.Line::caseId).toList());
    }

    @Test
    void echoLoadGeneratorCompiles() throws Exception {
        assumeTrue(tools.missingFor(NativeTools.Needs.IO_URING_HEADER) == null,
                "cannot build the load generator here: " + tools.missingFor(NativeTools.Needs.IO_URING_HEADER));
        assertTrue(tools.compile("echo_load", NativeTools.Needs.IO_URING_HEADER).ok());
    }

    @Test
    void aMissingLibraryBecomesAnInstallHint() {
        assumeTrue(!tools.hasLibev(), "libev is installed here, so there is no hint to check");
        assertEquals("install libev-dev", tools.missingFor(NativeTools.Needs.LIBEV));
    }
}
