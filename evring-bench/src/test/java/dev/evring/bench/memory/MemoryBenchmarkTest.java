package dev.evring.bench.memory;

import dev.evring.bench.BenchOptions;
import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.TestEchoServer;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Outcome;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The memory benchmark for real: the load generator's idle mode driven step by step, and a quick run of the benchmark
 * against the JDK NIO server and evring's completion server, whose figures must be there and make sense.
 */
class MemoryBenchmarkTest {
    @TempDir
    Path dir;
    private NativeTools tools;
    private NativeTools.Binary load;

    @BeforeEach
    void compile() throws Exception {
        tools = new NativeTools(dir.resolve("cache"), dir.resolve("setup.log"), s -> { }).prepare(false);
        assumeTrue(tools.missingFor(NativeTools.Needs.IO_URING_HEADER) == null,
                "cannot build the load generator here: " + tools.missingFor(NativeTools.Needs.IO_URING_HEADER));
        load = tools.compile("echo_load", NativeTools.Needs.IO_URING_HEADER);
    }

    private List<String> idle(ServerSocket server, int connections) {
        return List.of(load.path().toString(), "idle", Integer.toString(server.getLocalPort()), Integer.toString(connections), "64");
    }

    @Test
    void theIdleClientHoldsItsConnectionsUntilToldThenEchoesOnEachAndCloses() throws Exception {
        try (ServerSocket server = TestEchoServer.start()) {
            IdleClient c = IdleClient.start(idle(server, 300), dir.resolve("idle.log"));
            assertTrue(c.awaitConnected(Duration.ofSeconds(30)) >= 0);
            assertTrue(c.ping(Duration.ofSeconds(30)) >= 0);
            assertTrue(c.ping(Duration.ofSeconds(30)) >= 0, "a second round on the same connections");
            c.close();
        }
    }

    @Test
    void anEchoThatDiffersFromTheMessageFailsThePing() throws Exception {
        try (ServerSocket server = TestEchoServer.start(true); IdleClient c = IdleClient.start(idle(server, 5), dir.resolve("liar.log"))) {
            c.awaitConnected(Duration.ofSeconds(30));
            IOException e = assertThrows(IOException.class, () -> c.ping(Duration.ofSeconds(30)));
            assertTrue(e.getMessage().contains("the echo differs from the message sent"), e.getMessage());
        }
    }

    @Test
    void aQuickRunGivesEveryFigureOfBothPhasesForTheNioAndTheEvringServer() throws Exception {
        BenchOptions o = BenchOptions.parse(new String[] {"--quick", "--no-install", "--rows", "nio,evring io_uring (completion)"}, dir);
        BenchContext ctx = new BenchContext(o, tools, dir, new PrintStream(OutputStream.nullOutputStream()));
        BenchmarkResults b = new MemoryBenchmark().run(ctx);
        int n = BenchContext.connectionsThatFit(MemoryBenchmark.QUICK, BenchContext.openFileLimit());
        assertEquals(List.of(MemoryBenchmark.Phase.IDLE.label(n), MemoryBenchmark.Phase.AFTER_MESSAGE.label(n),
                MemoryBenchmark.Phase.CLOSED.label(n)), b.cases());
        for (String c : b.cases()) {
            for (CaseResult r : b.forCase(c)) {
                if (r.outcome() == Outcome.SKIPPED) continue; // io_uring unavailable here: the row says why
                assertEquals(Outcome.OK, r.outcome(), r.toString());
                assertTrue(r.stats(MemoryBenchmark.SERVER_RSS.key()).median() > 512, "the pre-touched 512 MB heap is resident: " + r);
                double memory = r.stats(MemoryBenchmark.MEMORY.key()).median();
                assertEquals(memory, r.stats(MemoryBenchmark.RSS.key()).median() + r.stats(MemoryBenchmark.HEAP.key()).median(), 1e-6);
                assertTrue(memory < 100_000, "a connection does not cost 100 KB: " + r);
                if (!c.equals(MemoryBenchmark.Phase.CLOSED.label(n))) {
                    assertTrue(r.stats(MemoryBenchmark.HEAP.key()).median() > 0, "an open connection holds some object: " + r);
                }
                if (MemoryProbe.ss(tools).ok()) {
                    double buffers = r.stats(MemoryBenchmark.SOCKET_BUFFERS.key()).median();
                    assertTrue(buffers >= 0 && buffers < 4096, "an idle socket whose echo was read holds almost nothing: " + r);
                }
            }
        }
        assertTrue(b.notes().stream().anyMatch(x -> x.contains("connections fit") || x.contains("ran as")), b.notes().toString());
    }
}
