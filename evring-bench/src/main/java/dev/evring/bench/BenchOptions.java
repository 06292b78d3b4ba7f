package dev.evring.bench;

import dev.evring.bench.harness.RowSelection;
import dev.evring.bench.report.RowKind;
import dev.evring.examples.CommandLine;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code ./evring bench}. Parsing never exits: bad input is a {@link CommandLine.UsageException} (an
 * {@link IllegalArgumentException}) whose message names the option and the bad value.
 *
 * @param quick     a short run (under 2 minutes): fewer repeats, fewer writes, shorter windows, no JMH
 * @param only      the benchmarks to run, in the suite's order (all of the default set if not given)
 * @param rows      which rows run ({@code --rows}: words picking rows by name, and variants of evring rows with
 *                  evring options set; see {@link RowSelection})
 * @param loops     the event-loop counts the echo and http servers run with, each as rows of their own
 *                  ({@code --loops 1,2}; {@code [1]} unless given)
 * @param repeats   measured repeats per case, overriding the mode's default (0: the default)
 * @param out       the folder under which {@code <timestamp>/} is created
 * @param install   whether missing tools may be installed with apt-get
 * @param list      only print what would run
 * @param help      only print the usage
 */
public record BenchOptions(boolean quick, Set<String> only, RowSelection rows, List<Integer> loops, int repeats, Path out,
                           boolean install, boolean list, boolean help) {
    /** The most loops {@code --loops} takes. */
    public static final int MAX_LOOPS = 64;


    /** Every benchmark, in the order a run does them. */
    public static final List<String> BENCHMARKS = List.copyOf(BenchCommand.suite().keySet());

    static final CommandLine COMMAND_LINE = new CommandLine("./evring bench", """
            The benchmark suite: evring against libev (C), Netty, nginx and the JDK, on this machine, in one run.
            Writes a table per benchmark to the terminal, plus CSV and PNG charts to results/<timestamp>/.""");
    static final CommandLine.Option<Boolean> QUICK = COMMAND_LINE.flag("--quick", "a short run (< 2 min): shorter runs and windows, no JMH");
    static final CommandLine.Option<List<String>> ONLY = COMMAND_LINE.list("--only", "LIST", BENCHMARKS,
            "run only these benchmarks, comma-separated: " + String.join(", ", BENCHMARKS));
    static final CommandLine.Option<Boolean> JMH = COMMAND_LINE.flag("--jmh", "the JMH microbenchmarks only (same as --only jmh)");
    static final CommandLine.Option<List<RowSelection>> ROWS = COMMAND_LINE.values("--rows", "LIST", v -> List.of(RowSelection.parse(v)),
            "only rows whose name has one of these words (--rows evring,libev); 'WORDS [key=value,...]' also runs "
            + "evring's WORDS rows with -Devring.key=value (--rows 'io_uring completion [net.buffer_ring=false]')");
    static final CommandLine.Option<List<Integer>> LOOPS = COMMAND_LINE.values("--loops", "LIST", BenchOptions::loopCounts,
            "event loops per server in echo and http, each count as rows of its own (default 1; --loops 1,2): evring's "
            + "servers get --loops N once they take it (loop groups), Netty its group size, nginx worker_processes, the "
            + "JDK's virtual-thread servers N carrier threads; a server with N loops is pinned to CPUs 0..N-1");
    static final CommandLine.Option<Integer> REPEATS = COMMAND_LINE.integer("--repeats", "N", 0, 1, 100,
            "measured repeats per case (default: each benchmark's, fewer in --quick)");
    static final CommandLine.Option<Path> OUT = COMMAND_LINE.value("--out", "DIR", null, Path::of,
            "where results/<timestamp>/ goes (default: results/ in the project)");
    static final CommandLine.Option<Boolean> NO_INSTALL = COMMAND_LINE.flag("--no-install",
            "never install missing tools (gcc, libev-dev, taskset, wrk, nginx) with apt-get");
    static final CommandLine.Option<Boolean> LIST = COMMAND_LINE.flag("--list", "print the benchmarks, cases and rows, run nothing");

    /** Parses the command line; {@code defaultOut} is used when {@code --out} is not given. */
    public static BenchOptions parse(String[] args, Path defaultOut) {
        return of(COMMAND_LINE.parse(args), defaultOut);
    }

    static BenchOptions of(CommandLine.Parsed p, Path defaultOut) {
        boolean quick = p.get(QUICK);
        Set<String> only = new LinkedHashSet<>(p.get(ONLY));
        if (p.get(JMH)) only.add("jmh");
        Set<String> selected = new LinkedHashSet<>();
        for (String b : BENCHMARKS) {
            boolean inDefault = !b.equals("jmh") || !quick;
            if (only.isEmpty() ? inDefault : only.contains(b)) selected.add(b);
        }
        Path out = p.given(OUT) ? p.get(OUT) : defaultOut;
        List<Integer> loops = p.given(LOOPS) ? List.copyOf(new LinkedHashSet<>(p.get(LOOPS))) : List.of(1);
        return new BenchOptions(quick, selected, RowSelection.of(p.get(ROWS)), loops, p.get(REPEATS), out, !p.get(NO_INSTALL), p.get(LIST), p.help());
    }

    /** {@code "1,2"}: whole numbers from 1 to {@link #MAX_LOOPS}, comma-separated. */
    private static List<Integer> loopCounts(String v) {
        List<Integer> out = new java.util.ArrayList<>();
        for (String w : v.split(",")) {
            String t = w.strip();
            if (t.isEmpty()) continue;
            int n;
            try {
                n = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + t + "\" is not a whole number");
            }
            if (n < 1 || n > MAX_LOOPS) throw new IllegalArgumentException(n + " is outside 1.." + MAX_LOOPS);
            out.add(n);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("empty list");
        return out;
    }

    /** Whether a row of this name and kind is selected by {@code --rows} (a variant's base row is). */
    public boolean wantsRow(String row, RowKind kind) {
        return rows.wants(row, kind);
    }

    /** The measured repeats per case: {@code --repeats}, else {@code quickDefault} in a quick run, else {@code fullDefault}. */
    public int repeatsOr(int quickDefault, int fullDefault) {
        return repeats > 0 ? repeats : quick ? quickDefault : fullDefault;
    }
}
