package dev.evring.bench.harness;

import dev.evring.bench.BenchOptions;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;
import dev.evring.bench.report.RowKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server benchmarks' run skeleton with stand-in servers (shell commands): a server that never serves fails every
 * case with the reason, one killed in a case is reported crashed there and "not run" after, a skipped row says why.
 */
class ServerRoundsTest {
    @TempDir
    Path dir;

    private static final Metric OPS = new Metric("ops", "throughput", "op/s", true);

    private BenchmarkResults run(List<ServerRow> rows, ServerRounds.Measure<String> measure) throws Exception {
        return run(rows, List.of(1), measure);
    }

    private BenchmarkResults run(List<ServerRow> rows, List<Integer> loops, ServerRounds.Measure<String> measure) throws Exception {
        BenchmarkResults results = new BenchmarkResults("t", "test", List.of(OPS));
        ServerRounds.run(context(), results, rows, null, new ServerRounds.Schedule<>(List.of("a", "b", "c"), c -> c, "a", 2, loops), measure,
                r -> r.toString());
        return results;
    }

    private BenchContext context() throws IOException {
        BenchOptions o = BenchOptions.parse(new String[] {"--no-install"}, dir);
        return new BenchContext(o, new NativeTools(dir.resolve("cache"), dir.resolve("setup.log"), s -> { }), dir,
                new PrintStream(OutputStream.nullOutputStream()));
    }

    @Test
    void eachLoopCountIsARowOfItsOwnStartedWithThatManyLoopsAndOneLoopServersSaySo() throws Exception {
        List<Integer> launched = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        ServerRow any = new ServerRow("any", RowKind.PEER, launch -> {
            launched.add(launch.loops());
            return List.of("sh", "-c", "exec sleep 60");
        }, null, port -> null);
        ServerRow single = new ServerRow("single", RowKind.EVRING, launch -> List.of("sh", "-c", "exec sleep 60"), null, port -> null,
                1, "it takes no --loops yet");
        BenchmarkResults r = run(List.of(any, single), List.of(1, 2), (into, c, s, warmup) -> into.add(OPS.key(), s.row().loops()));
        assertEquals(List.of("any", "any, 2 loops", "single", "single, 2 loops"), r.rows());
        assertEquals(List.of(1, 2), launched);
        assertEquals(2.0, r.find("b", "any, 2 loops").orElseThrow().stats(OPS.key()).median());
        assertEquals(1.0, r.find("b", "single").orElseThrow().stats(OPS.key()).median());
        CaseResult skipped = r.find("a", "single, 2 loops").orElseThrow();
        assertEquals(Outcome.SKIPPED, skipped.outcome());
        assertEquals("it takes no --loops yet", skipped.notes());
    }

    @Test
    void aServerWithMoreLoopsIsPinnedToAsManyCpusAsThereAre() throws Exception {
        BenchContext ctx = new BenchContext(BenchOptions.parse(new String[] {"--no-install"}, dir),
                new NativeTools(dir.resolve("cache"), dir.resolve("setup.log"), s -> { }).prepare(false), dir,
                new PrintStream(OutputStream.nullOutputStream()));
        org.junit.jupiter.api.Assumptions.assumeTrue(ctx.pinned(), "no taskset or one CPU here: nothing is pinned");
        assertEquals(List.of("taskset", "-c", "0"), ctx.pinServer(1));
        assertEquals(List.of("taskset", "-c", "0-1"), ctx.pinServer(2));
        assertEquals(List.of("taskset", "-c", "0-" + (ctx.cpus() - 1)), ctx.pinServer(1_000));
        List<String> cmd = ctx.serverJava(new ServerRow.Launch(1, 2), List.of(), "Main", List.of());
        assertEquals(List.of("taskset", "-c", "0-1"), cmd.subList(0, 3));
    }

    @Test
    void aProgramTakesAnOptionWhenItsHelpListsIt() {
        dev.evring.examples.CommandLine with = new dev.evring.examples.CommandLine("./x", "X.");
        with.integer("--loops", "N", 1, 1, 64, "loops");
        dev.evring.examples.CommandLine without = new dev.evring.examples.CommandLine("./y", "Y.");
        without.integer("--loopsy", "N", 1, 1, 64, "not loops: --loops is only named in this help");
        assertTrue(ServerRow.takes(with, "--loops"));
        assertTrue(!ServerRow.takes(without, "--loops"));
    }

    private static ServerRow shell(String name, String script, ServerRow.ReadyCheck ready) {
        return new ServerRow(name, RowKind.PEER, launch -> List.of("sh", "-c", script), null, ready);
    }

    @Test
    void aServerThatExitsBeforeServingFailsEveryCaseSayingSo() throws Exception {
        BenchmarkResults r = run(List.of(shell("quitter", "exit 3", port -> { throw new IOException("refused"); })),
                (into, c, s, warmup) -> into.add(OPS.key(), 1));
        for (String c : List.of("a", "b", "c")) {
            CaseResult x = r.find(c, "quitter").orElseThrow();
            assertEquals(Outcome.FAILED, x.outcome());
            assertTrue(x.notes().contains("exited with status 3 before serving"), x.notes());
        }
    }

    @Test
    void aServerKilledInACaseIsACrashThereAndNotRunAfter() throws Exception {
        BenchmarkResults r = run(List.of(shell("victim", "exec sleep 60", port -> null)), (into, c, s, warmup) -> {
            if (c.equals("b") && !warmup) new ProcessBuilder("kill", "-SEGV", Long.toString(s.pid())).start().waitFor();
            into.add(OPS.key(), 10);
            Thread.sleep(100);
        });
        assertEquals(Outcome.OK, r.find("a", "victim").orElseThrow().outcome());
        assertEquals(2, r.find("a", "victim").orElseThrow().samples(OPS.key()).length);
        CaseResult b = r.find("b", "victim").orElseThrow();
        assertEquals(Outcome.CRASHED, b.outcome());
        assertTrue(b.notes().contains("killed by SIGSEGV during b"), b.notes());
        CaseResult c = r.find("c", "victim").orElseThrow();
        assertEquals(Outcome.FAILED, c.outcome());
        assertTrue(c.notes().contains("not run: the server died in b"), c.notes());
    }

    @Test
    void aServerThatAnswersWronglyFailsWithItsAnswerAndARowWithASkipReasonIsSkipped() throws Exception {
        ServerRow skipped = new ServerRow("absent", RowKind.PEER, launch -> List.of("true"), "install absent", port -> null);
        BenchmarkResults r = run(List.of(shell("liar", "exec sleep 60", port -> "answer 1 is a lie"), skipped),
                (into, c, s, warmup) -> into.add(OPS.key(), 1));
        assertTrue(r.find("b", "liar").orElseThrow().notes().contains("wrong answer: answer 1 is a lie"));
        CaseResult a = r.find("a", "absent").orElseThrow();
        assertEquals(Outcome.SKIPPED, a.outcome());
        assertEquals("install absent", a.notes());
    }
}
