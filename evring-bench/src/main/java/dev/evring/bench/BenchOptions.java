package dev.evring.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The options of {@code ./evring bench}. Parsing never exits: bad input is an {@link IllegalArgumentException} whose
 * message names the bad value.
 *
 * @param quick     a short run (under 2 minutes): fewer repeats, fewer writes, shorter windows, no JMH
 * @param only      the benchmarks to run, in the suite's order (all of the default set if not given)
 * @param rowFilter case-insensitive substrings: only rows whose name contains one of them run (empty: all)
 * @param repeats   measured repeats per case, overriding the mode's default (0: the default)
 * @param out       the folder under which {@code <timestamp>/} is created
 * @param install   whether missing tools may be installed with apt-get
 * @param list      only print what would run
 * @param help      only print the usage
 */
public record BenchOptions(boolean quick, Set<String> only, List<String> rowFilter, int repeats, Path out,
                           boolean install, boolean list, boolean help) {

    /** Every benchmark, in the order a run does them. */
    public static final List<String> BENCHMARKS = List.copyOf(BenchCommand.suite().keySet());

    public static final String USAGE = """
            usage: ./evring bench [options]

            Measures evring against libev (C), Netty and the JDK on this machine, in one run, and writes
            a table per benchmark to the terminal, plus CSV and PNG charts to results/<timestamp>/.

              --quick            a short run (< 2 min): shorter runs and windows, no JMH
              --only LIST        run only these benchmarks, comma-separated: pipes, echo, timers, jmh
              --jmh              the JMH microbenchmarks only (same as --only jmh)
              --rows LIST        run only rows whose name contains one of these words (e.g. --rows evring,libev)
              --repeats N        measured repeats per case (default: 3 quick, 5 full)
              --out DIR          where results/<timestamp>/ goes (default: results/ in the project)
              --no-install       never install missing tools (gcc, libev-dev, taskset) with apt-get
              --list             print the benchmarks, cases and rows, run nothing
              -h, --help         this text
            """;

    public static BenchOptions parse(String[] args, Path defaultOut) {
        boolean quick = false, install = true, list = false, help = false;
        Set<String> only = new LinkedHashSet<>();
        List<String> rows = new ArrayList<>();
        int repeats = 0;
        Path out = defaultOut;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--quick" -> quick = noValue(a, value);
                case "--jmh" -> only.add("jmh");
                case "--no-install" -> install = !noValue(a, value);
                case "--list" -> list = noValue(a, value);
                case "-h", "--help" -> help = true;
                case "--only" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    for (String b : words(v, a)) {
                        if (!BENCHMARKS.contains(b)) {
                            throw new IllegalArgumentException("--only: unknown benchmark \"" + b + "\"; expected one of " + String.join(", ", BENCHMARKS));
                        }
                        only.add(b);
                    }
                }
                case "--rows" -> rows.addAll(words(value != null ? value : next(args, ++i, a), a));
                case "--repeats" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    try {
                        repeats = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--repeats: \"" + v + "\" is not a number");
                    }
                    if (repeats < 1 || repeats > 100) throw new IllegalArgumentException("--repeats: " + repeats + " is outside 1..100");
                }
                case "--out" -> out = Path.of(value != null ? value : next(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option \"" + args[i] + "\" (see ./evring bench --help)");
            }
        }
        Set<String> selected = new LinkedHashSet<>();
        for (String b : BENCHMARKS) {
            boolean inDefault = !b.equals("jmh") || !quick;
            if (only.isEmpty() ? inDefault : only.contains(b)) selected.add(b);
        }
        return new BenchOptions(quick, selected, List.copyOf(rows), repeats, out, install, list, help);
    }

    /** Whether a row of this name is selected by {@code --rows}. */
    public boolean wantsRow(String row) {
        if (rowFilter.isEmpty()) return true;
        String r = row.toLowerCase(Locale.ROOT);
        for (String f : rowFilter) if (r.contains(f.toLowerCase(Locale.ROOT))) return true;
        return false;
    }

    /** The measured repeats per case: {@code --repeats}, else 3 in a quick run and 5 in a full one. */
    public int repeatsOr(int quickDefault, int fullDefault) {
        return repeats > 0 ? repeats : quick ? quickDefault : fullDefault;
    }

    private static boolean noValue(String option, String value) {
        if (value != null) throw new IllegalArgumentException(option + " takes no value (got \"" + value + "\")");
        return true;
    }

    private static String next(String[] args, int i, String option) {
        if (i >= args.length || args[i].startsWith("--")) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static List<String> words(String v, String option) {
        List<String> out = new ArrayList<>();
        for (String w : v.split(",")) {
            String t = w.strip().toLowerCase(Locale.ROOT);
            if (!t.isEmpty()) out.add(t);
        }
        if (out.isEmpty()) throw new IllegalArgumentException(option + ": empty list");
        return out;
    }
}
