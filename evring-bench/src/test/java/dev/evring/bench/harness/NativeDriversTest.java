package dev.evring.bench.harness;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    private static NativeTools.Binary echoLoad() throws Exception {
        assumeTrue(tools.missingFor(NativeTools.Needs.IO_URING_HEADER) == null,
                "cannot build the load generator here: " + tools.missingFor(NativeTools.Needs.IO_URING_HEADER));
        return tools.compile("echo_load", NativeTools.Needs.IO_URING_HEADER);
    }

    /** The stats line's figures ("stats messages=1 bytes=2 ..."), and how many messages the hist lines count. */
    private static Map<String, Double> stats(List<DriverProtocol.Line> lines) {
        Map<String, Double> m = new HashMap<>();
        long histogram = 0;
        for (DriverProtocol.Line l : lines) {
            String t = l.text();
            if (t.startsWith("stats ")) {
                for (String kv : t.substring(6).split(" ")) m.put(kv.split("=")[0], Double.parseDouble(kv.split("=")[1]));
            } else if (t.startsWith("hist ")) {
                histogram += Long.parseLong(t.split(" ")[2]);
            }
        }
        m.put("histogram", (double) histogram);
        return m;
    }

    @Test
    void theLoadGeneratorEchoesLargeMessagesAndTimesEachOne() throws Exception {
        NativeTools.Binary load = echoLoad();
        try (ServerSocket server = TestEchoServer.start()) {
            Map<String, Double> s = stats(run(load, "echo", Integer.toString(server.getLocalPort()), "2", "1", "65536", "50", "300"));
            assertEquals(0.0, s.get("errors"));
            assertTrue(s.get("messages") > 0, s.toString());
            assertEquals(s.get("messages") * 65536, s.get("bytes"), s.toString());
            assertEquals(s.get("messages"), s.get("histogram"), "one latency sample per message");
        }
    }

    @Test
    void pacedConnectionsRestBetweenTheirRoundTrips() throws Exception {
        NativeTools.Binary load = echoLoad();
        try (ServerSocket server = TestEchoServer.start()) {
            // 20 connections, a round trip each every 200 ms or so: about 3 each in a window of 600 ms, not thousands
            Map<String, Double> s = stats(run(load, "echo", Integer.toString(server.getLocalPort()), "20", "1", "64", "250", "600", "200"));
            assertEquals(0.0, s.get("errors"));
            assertTrue(s.get("messages") >= 20 && s.get("messages") <= 100, s.toString());
            assertEquals(s.get("messages"), s.get("histogram"), "one latency sample per message");
        }
    }

    @Test
    void theLoadGeneratorStreamsMegabyteWritesInItsBulkMode() throws Exception {
        NativeTools.Binary load = echoLoad();
        try (ServerSocket server = TestEchoServer.start()) {
            Map<String, Double> s = stats(run(load, "stream", Integer.toString(server.getLocalPort()), "2", "1048576", "50", "300"));
            assertEquals(0.0, s.get("errors"));
            assertEquals(0.0, s.get("messages"), "a stream has no messages");
            assertEquals(0.0, s.get("histogram"), "nor latencies");
            assertTrue(s.get("bytes") > 2 * 1048576, "more than a write per connection came back: " + s);
            assertTrue(s.get("client_cpu_seconds") > 0 && s.get("seconds") >= 0.3, s.toString());
        }
    }

    @Test
    void theLoadGeneratorRefusesBadArgumentsWithStatusTwo() throws Exception {
        NativeTools.Binary load = echoLoad();
        for (List<String> bad : List.<List<String>>of(List.of(), List.of("burst", "1"), List.of("stream", "7007", "1"), List.of("echo", "0", "1", "1", "64", "1", "1"),
                List.of("echo", "7007", "1", "1", "64", "1", "1", "10", "extra"),
                List.of("idle", "7007", "1", "4"))) {
            List<String> cmd = new ArrayList<>(List.of(load.path().toString()));
            cmd.addAll(bad);
            DriverProcess.Ending end = DriverProcess.run(cmd, dir.resolve("bad.log"), Duration.ofSeconds(10), l -> { });
            assertEquals(2, end.exitCode(), "echo_load " + bad);
        }
    }

    @Test
    void aLoadGeneratorThatCannotConnectSaysSoAndExitsWithStatusThree() throws Exception {
        NativeTools.Binary load = echoLoad();
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        List<DriverProtocol.Line> lines = new ArrayList<>();
        DriverProcess.Ending end = DriverProcess.run(List.of(load.path().toString(), "stream", Integer.toString(port), "1", "65536", "10", "10"),
                dir.resolve("refused.log"), Duration.ofSeconds(10), lines::add);
        assertEquals(3, end.exitCode());
        assertTrue(lines.stream().anyMatch(l -> l.text().startsWith("error connect #0: Connection refused")), lines.toString());
    }

    @Test
    void aMissingLibraryBecomesAnInstallHint() {
        assumeTrue(!tools.hasLibev(), "libev is installed here, so there is no hint to check");
        assertEquals("install libev-dev", tools.missingFor(NativeTools.Needs.LIBEV));
    }
}
