package dev.evring.bench.harness;

import dev.evring.bench.report.BenchmarkResults;

/** One benchmark of the suite (pipes, echo, timers, jmh). */
public interface Benchmark {
    /** The name {@code --only} uses and the results files carry. */
    String id();

    /** What runs, for {@code --list}: cases and rows, in a few lines. */
    String plan(BenchContext ctx) throws Exception;

    /** Runs every selected row and case, printing a progress line per case. Never throws for a row's failure. */
    BenchmarkResults run(BenchContext ctx) throws Exception;
}
