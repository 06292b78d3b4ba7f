package dev.evring.bench.jmh;

import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.Benchmark;
import dev.evring.bench.report.BenchmarkResults;
import dev.evring.bench.report.CaseResult;
import dev.evring.bench.report.Format;
import dev.evring.bench.report.Metric;
import dev.evring.bench.report.Outcome;
import dev.evring.bench.report.RowKind;
import dev.evring.bench.report.Stats;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The JMH microbenchmarks of the hot paths (every class of this package), run through JMH's own runner in forked
 * JVMs, reported like the other benchmarks: one case per benchmark method and parameter set, the iteration scores
 * as the repeats. {@code ./evring bench --jmh} runs them alone with JMH's usual iteration counts; a full run runs them
 * with short ones.
 */
public final class JmhBenchmark implements Benchmark {
    public static final Metric NS_PER_OP = new Metric("ns_per_op", "time per operation", "ns/op", false);

    @Override
    public String id() {
        return "jmh";
    }

    /** Alone (--jmh) it gets JMH's usual 5 x 1 s; inside a full run, 3 x 0.5 s after 2 x 0.5 s of warm-up. */
    static ChainedOptionsBuilder options(BenchContext ctx) {
        boolean alone = ctx.options().only().size() == 1;
        int iterations = ctx.options().repeats() > 0 ? ctx.options().repeats() : alone ? 5 : 3;
        TimeValue time = alone ? TimeValue.seconds(1) : TimeValue.milliseconds(500);
        return new OptionsBuilder()
                .include("^" + JmhBenchmark.class.getPackageName().replace(".", "\\.") + "\\.")
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.NANOSECONDS)
                .forks(1)
                .warmupIterations(alone ? 3 : 2)
                .warmupTime(time)
                .measurementIterations(iterations)
                .measurementTime(time)
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC")
                .shouldFailOnError(true);
    }

    @Override
    public String plan(BenchContext ctx) {
        return "jmh: every @Benchmark in " + JmhBenchmark.class.getPackageName()
                + " (timer heap again / start+stop, async send / round trip, completion floor (64-byte reads of /dev/zero), cross-loop execute burst / round trip against Netty, a connection to a two-loop group with and without hand-off), one fork each";
    }

    @Override
    public BenchmarkResults run(BenchContext ctx) throws Exception {
        BenchmarkResults results = new BenchmarkResults(id(), "JMH microbenchmarks of the hot paths", List.of(NS_PER_OP));
        ctx.progress("  jmh     running JMH (its own output goes to " + ctx.log(id(), "jmh").getFileName() + ")");
        ChainedOptionsBuilder o = options(ctx).output(ctx.log(id(), "jmh").toString());
        Collection<RunResult> runs;
        try {
            runs = new Runner(o.build()).run();
        } catch (Exception e) {
            results.add(CaseResult.without(id(), "all", "evring", RowKind.EVRING, Outcome.FAILED, "JMH failed: " + e.getMessage()));
            return results;
        }
        List<RunResult> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> caseName(a).compareTo(caseName(b)));
        for (RunResult run : sorted) {
            CaseResult r = new CaseResult(id(), caseName(run), "evring", RowKind.EVRING);
            for (BenchmarkResult br : run.getBenchmarkResults()) {
                for (IterationResult it : br.getIterationResults()) r.add(NS_PER_OP.key(), it.getPrimaryResult().getScore());
            }
            results.add(r);
            Stats s = r.stats(NS_PER_OP.key());
            ctx.progress(String.format("  %-7s %-34s %s ns/op (%s-%s)", id(), r.caseName(), Format.human(s.median()),
                    Format.human(s.min()), Format.human(s.max())));
        }
        return results;
    }

    /** {@code TimerHeapBenchmark.again size=1000}. */
    static String caseName(RunResult run) {
        String full = run.getParams().getBenchmark();
        String name = full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1);
        StringBuilder sb = new StringBuilder(name);
        for (String key : run.getParams().getParamsKeys()) sb.append(' ').append(key).append('=').append(run.getParams().getParam(key));
        return sb.toString();
    }
}
