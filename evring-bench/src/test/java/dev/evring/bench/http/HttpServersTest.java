package dev.evring.bench.http;

import dev.evring.bench.BenchOptions;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.DriverProcess;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ServerRow;
import dev.evring.bench.harness.VirtualThreadRows;
import dev.evring.examples.SocketFactories;
import dev.evring.examples.VirtualThreadHttpServer;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every peer row of the http benchmark, started as the benchmark starts it, answers the plaintext test right, alone
 * and pipelined; and wrk, with the benchmark's script, measures one of them without an error. nginx and wrk are
 * skipped, saying what to install, where they are missing (the test installs nothing); Netty's io_uring where the
 * kernel refuses it.
 */
class HttpServersTest {
    @TempDir
    Path dir;
    private BenchContext ctx;
    private NativeTools tools;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void context() throws Exception {
        tools = new NativeTools(dir.resolve("cache"), dir.resolve("setup.log"), s -> { }).prepare(false);
        ctx = new BenchContext(BenchOptions.parse(new String[] {"--no-install"}, dir), tools, dir, new PrintStream(OutputStream.nullOutputStream()));
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : started) {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    private ServerRow row(String name) throws Exception {
        return HttpBenchmark.rows(ctx, tools.program("nginx", "nginx")).stream()
                .filter(r -> r.name().startsWith(name)).findFirst().orElseThrow();
    }

    /** Starts the row's server and waits until it answers; returns its port. */
    private int serve(ServerRow row) throws Exception {
        assertNull(row.skip(), row.skip());
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        Path log = dir.resolve(row.name().replaceAll("\\W+", "_") + ".log");
        Process p = new ProcessBuilder(row.command().apply(new ServerRow.Launch(port, 1))).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        started.add(p);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            assertTrue(p.isAlive(), () -> row.name() + " exited: " + read(log));
            try {
                assertNull(row.ready().check(port), row.name());
                return port;
            } catch (IOException notYet) {
                assertTrue(System.nanoTime() < deadline, () -> row.name() + " did not answer: " + notYet + "; " + read(log));
                Thread.sleep(100);
            }
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Test
    void evringsRowsStartTheHttpServerSubcommandWithModeAndBackend() {
        ServerRow r = HttpBenchmark.evring(ctx, "completion", dev.evring.Backend.IO_URING);
        assertEquals("evring io_uring (completion)", r.name());
        List<String> cmd = r.command().apply(new ServerRow.Launch(8123, 1));
        int main = cmd.indexOf(dev.evring.bench.Main.class.getName());
        assertTrue(main > 0, cmd.toString());
        List<String> expected = new ArrayList<>(List.of("http-server", "--port", "8123", "--mode", "completion", "--backend", "io_uring"));
        boolean takesLoops = dev.evring.bench.Main.hasCommand("http-server")
                && ServerRow.takes(dev.evring.bench.Main.commandLine("http-server"), "--loops");
        if (takesLoops) expected.addAll(List.of("--loops", "1"));
        assertEquals(expected, cmd.subList(main + 1, cmd.size()));
        assertEquals(takesLoops ? null : "./evring http-server takes no --loops yet (loop groups, issue 13)", r.withLoops(2).skip());
    }

    @Test
    void theVirtualThreadRowsRunTheSameServerWithOnlyTheSocketsNamed() throws Exception {
        List<ServerRow> vt = HttpBenchmark.rows(ctx, tools.program("nginx", "nginx")).stream()
                .filter(r -> r.name().contains("on virtual threads")).toList();
        List<String> names = vt.stream().map(ServerRow::name).toList();
        assertTrue(names.contains(VirtualThreadRows.JDK_ROW), names.toString());
        assertEquals(SocketFactories.has(SocketFactories.EVRING), names.contains(VirtualThreadRows.EVRING_ROW), names.toString());
        for (ServerRow r : vt) {
            List<String> cmd = r.command().apply(new ServerRow.Launch(8123, 2));
            assertTrue(cmd.contains("-Djdk.virtualThreadScheduler.parallelism=2"), cmd.toString());
            int main = cmd.indexOf(VirtualThreadHttpServer.class.getName());
            String sockets = r.name().equals(VirtualThreadRows.JDK_ROW) ? "jdk" : "evring";
            assertEquals(List.of("--port", "8123", "--sockets", sockets), cmd.subList(main + 1, main + 5), cmd.toString());
        }
    }

    @Test
    void theVirtualThreadServerOnJdkSocketsAnswersRight() throws Exception {
        serve(row(VirtualThreadRows.JDK_ROW));
    }

    @Test
    void evringsRowsAnswerRight() throws Exception {
        assumeTrue(dev.evring.Backend.EPOLL.availability().available(), "no epoll here");
        serve(row("evring epoll (readiness)"));
        assumeTrue(dev.evring.Backend.IO_URING.availability().available(), () -> "io_uring unavailable: "
                + dev.evring.Backend.IO_URING.availability().reason());
        serve(row("evring io_uring (completion)"));
    }

    @Test
    void nettyOnEpollAnswersRight() throws Exception {
        serve(row("Netty 4.2 epoll"));
    }

    @Test
    void nettyOnIoUringAnswersRight() throws Exception {
        assumeTrue(IoUring.isAvailable(), () -> "Netty's io_uring transport is unavailable here: " + IoUring.unavailabilityCause());
        serve(row("Netty 4.2 io_uring"));
    }

    @Test
    void theJdkServerAnswersRight() throws Exception {
        serve(row("JDK HttpServer"));
    }

    @Test
    void nginxWithItsOwnPrefixAnswersRight() throws Exception {
        assumeTrue(tools.program("nginx", "nginx").ok(), "no nginx here: apt-get install nginx");
        int port = serve(row("nginx"));
        assertTrue(Files.exists(dir.resolve("http/nginx-1-loops-port-" + port + "/nginx.pid")),
                "nginx keeps its pid file in its own prefix, one per launch");
    }

    @Test
    void wrkMeasuresWithTheBenchmarksScriptWithoutErrors() throws Exception {
        wrkMeasuresWithoutErrors(row("Netty 4.2 epoll"));
    }

    /** The server on virtual threads keeps pipelined answers in order under wrk, with its own request parser. */
    @Test
    void wrkMeasuresTheVirtualThreadServerWithoutErrors() throws Exception {
        wrkMeasuresWithoutErrors(row(VirtualThreadRows.JDK_ROW));
    }

    private void wrkMeasuresWithoutErrors(ServerRow row) throws Exception {
        NativeTools.Binary wrk = tools.program("wrk", "wrk");
        assumeTrue(wrk.ok(), "no wrk here: apt-get install wrk");
        int port = serve(row);
        Path script = dir.resolve("wrk_plaintext.lua");
        try (var in = HttpBenchmark.class.getResourceAsStream("/http/wrk_plaintext.lua")) {
            Files.write(script, in.readAllBytes());
        }
        for (int depth : new int[] {1, 16}) {
            List<String> lines = new ArrayList<>();
            DriverProcess.Ending end = DriverProcess.run(Wrk.command(ctx, wrk.path(), script, port, new HttpBenchmark.Load(10, depth), 1),
                    dir.resolve("wrk.log"), Duration.ofSeconds(60), l -> lines.add(l.text()));
            assertTrue(end.ok(), end.describe(Duration.ofSeconds(60)));
            Wrk.Result r = Wrk.parse(lines);
            assertNotNull(r, String.join("\n", lines));
            assertTrue(r.requests() > 100, "requests " + r.requests());
            assertEquals(0, r.errors(), r.describeErrors());
            assertTrue(r.clientCpuSeconds() >= 0, "client CPU " + r.clientCpuSeconds());
            assertTrue(depth > 1 || r.p999Us() >= r.p99Us(), "p99.9 " + r.p999Us() + " under p99 " + r.p99Us());
        }
    }
}
