package dev.evring.bench;

import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.harness.MachineInfo;
import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.echo.BulkBenchmark;
import dev.evring.bench.echo.EchoBenchmark;
import dev.evring.bench.echo.UdpBenchmark;
import dev.evring.bench.http.HttpBenchmark;
import dev.evring.bench.jmh.JmhBenchmark;
import dev.evring.bench.memory.MemoryBenchmark;
import dev.evring.bench.pipes.PipesBenchmark;
import dev.evring.bench.timers.TimersBenchmark;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.ChartWriter;
import dev.evring.bench.report.CsvWriter;
import dev.evring.bench.report.TableRenderer;
import dev.evring.examples.CommandLine;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code ./evring bench}: sets the machine up, runs the selected benchmarks one after the other (progress line per
 * case), prints a table per benchmark, and writes CSV, PNG charts, logs and a summary to {@code results/<timestamp>/}.
 */
final class BenchCommand {
    private BenchCommand() {}

    /** The suite, in run order. Each entry makes its benchmark; a new benchmark is one line here. */
    static Map<String, Supplier<Benchmark>> suite() {
        Map<String, Supplier<Benchmark>> m = new LinkedHashMap<>();
        m.put("pipes", PipesBenchmark::new);
        m.put("echo", EchoBenchmark::new);
        m.put("bulk", BulkBenchmark::new);
        m.put("udp", UdpBenchmark::new);
        m.put("memory", MemoryBenchmark::new);
        m.put("http", HttpBenchmark::new);
        m.put("timers", TimersBenchmark::new);
        m.put("jmh", JmhBenchmark::new);
        return m;
    }

    static int run(CommandLine.Parsed options) throws Exception {
        PrintStream out = System.out;
        Path root = Path.of(System.getProperty("evring.root", ".")).toAbsolutePath().normalize();
        BenchOptions o = BenchOptions.of(options, root.resolve("results"));
        Path runDir = o.out().resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Path cache = o.out().resolve(".cache").resolve("native");
        List<Benchmark> selected = new ArrayList<>();
        suite().forEach((id, make) -> {
            if (o.only().contains(id)) selected.add(make.get());
        });
        String machine = MachineInfo.describe();
        out.println("evring bench" + (o.quick() ? " --quick" : "") + ": " + String.join(", ", selected.stream().map(Benchmark::id).toList()));
        out.println(machine);
        Files.createDirectories(runDir);
        NativeTools tools = new NativeTools(cache, runDir.resolve("logs").resolve("setup.log"), out::println)
                .prepare(o.install() && !o.list());
        BenchContext ctx = new BenchContext(o, tools, runDir, out);
        if (o.list()) {
            for (Benchmark b : selected) out.println(b.plan(ctx));
            return 0;
        }
        long t0 = System.nanoTime();
        StringBuilder summary = new StringBuilder("evring bench" + (o.quick() ? " --quick" : "") + "\n" + machine + "\n\n");
        int failures = 0;
        List<String> times = new ArrayList<>();
        for (Benchmark b : selected) {
            out.println();
            out.println("-- " + b.id() + " --");
            BenchmarkResults r;
            long b0 = System.nanoTime();
            try {
                r = b.run(ctx);
            } catch (Exception | Error e) {
                failures++;
                out.println(b.id() + ": the benchmark itself failed: " + e);
                e.printStackTrace(out);
                summary.append(b.id()).append(": failed: ").append(e).append("\n\n");
                continue;
            } finally {
                times.add(b.id() + " " + (System.nanoTime() - b0) / 1_000_000_000L + " s");
            }
            String table = TableRenderer.render(r);
            out.println();
            out.print(table);
            out.println("  (" + times.getLast() + ")");
            summary.append(table).append("  (").append(times.getLast()).append(")\n\n");
            CsvWriter.write(r, runDir.resolve(r.id() + ".csv"));
            ChartWriter.write(r, runDir.resolve(r.id() + ".png"));
        }
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        String took = "took " + seconds + " s (" + String.join(", ", times) + ")";
        summary.append(took).append('\n');
        Files.writeString(runDir.resolve("summary.txt"), summary);
        out.println();
        out.println(took + "; results (tables, CSV, PNG charts, logs): " + runDir);
        return failures == 0 ? 0 : 1;
    }
}
