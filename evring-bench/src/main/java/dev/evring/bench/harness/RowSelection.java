package dev.evring.bench.harness;

import dev.evring.bench.report.RowKind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code --rows} asks for: words that pick rows by name, and <em>variants</em>, evring rows run once more with
 * evring options set, so that a table shows what a feature buys (the row with it, the row without).
 * <pre>
 *   --rows evring,libev                                   rows whose name contains "evring" or "libev"
 *   --rows 'io_uring completion'                          rows whose name has both words: evring io_uring (completion)
 *   --rows 'io_uring completion [net.buffer_ring=false]'  evring's io_uring completion row, and the same server with
 *                                                          -Devring.net.buffer_ring=false, as a row of its own
 *   --rows 'netty,completion [net.multishot_recv=false,net.buffer_ring=false]'
 * </pre>
 * A variant is {@code [base words] [key=value,...]}: it applies to every evring row whose name has all the base words
 * (as words: {@code io_uring completion} is {@code evring io_uring (completion)}, not {@code Netty 4.2 io_uring}; no
 * words: every evring row), each of which then runs as it is and once more with the options, the variant's name being
 * the row's with the options after it. An option reaches the server as the system property
 * {@code -Devring.<key>=<value>}, which its loop and net layer read as they read {@code EventLoop.Builder.option}.
 * Peer rows (Netty, the JDK, libev) know nothing of evring's options and get no variants.
 *
 * @param words    lower-case entries: a row whose name contains one, or has all of its words, runs
 * @param variants the variants asked for, in order
 */
public record RowSelection(List<String> words, List<Variant> variants) {
    /** Everything, no variant: what a run without {@code --rows} does. */
    public static final RowSelection ALL = new RowSelection(List.of(), List.of());

    /**
     * One variant: the base rows it applies to, and the evring options it sets.
     *
     * @param base    the lower-case words every base row's name has
     * @param options evring option keys (without {@code evring.}) and their values, in the order given
     */
    public record Variant(List<String> base, Map<String, String> options) {
        public Variant {
            base = List.copyOf(base);
            options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
        }

        /** Whether a row of this name and kind is one this variant applies to. */
        public boolean appliesTo(String row, RowKind kind) {
            return kind == RowKind.EVRING && nameWords(row).containsAll(base);
        }

        /** What a variant row's name gets after its base row's: {@code " [net.buffer_ring=false]"}. */
        public String suffix() {
            List<String> kv = new ArrayList<>();
            options.forEach((k, v) -> kv.add(k + "=" + v));
            return " [" + String.join(", ", kv) + "]";
        }

        /** The JVM options that set the variant's evring options: {@code -Devring.<key>=<value>} each. */
        public List<String> systemProperties() {
            return systemProperties(options);
        }

        /** {@code -Devring.<key>=<value>} for each of {@code options}. */
        public static List<String> systemProperties(Map<String, String> options) {
            List<String> out = new ArrayList<>();
            options.forEach((k, v) -> out.add("-Devring." + k + "=" + v));
            return out;
        }

        @Override
        public String toString() {
            return String.join(" ", base) + suffix();
        }
    }

    public RowSelection {
        words = List.copyOf(words);
        variants = List.copyOf(variants);
    }

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*");
    private static final Pattern VALUE = Pattern.compile("[^\\s,\\[\\]=]+");
    private static final Pattern VARIANT = Pattern.compile("([^\\[\\]]*)\\[([^\\[\\]]*)\\]\\s*");

    /**
     * Parses one {@code --rows} value: comma-separated entries, each a word or a variant ({@code words [k=v,...]}, the
     * commas inside the brackets separating its options).
     *
     * @throws IllegalArgumentException naming the entry that is not a word or a well-formed variant
     */
    public static RowSelection parse(String value) {
        List<String> words = new ArrayList<>();
        List<Variant> variants = new ArrayList<>();
        for (String entry : entries(value)) {
            String e = entry.strip();
            if (e.isEmpty()) continue;
            if (e.indexOf('[') < 0 && e.indexOf(']') < 0) {
                words.add(e.toLowerCase(Locale.ROOT));
                continue;
            }
            Matcher m = VARIANT.matcher(e);
            if (!m.matches()) {
                throw new IllegalArgumentException("\"" + e + "\" is not a row variant: write [base words] [key=value,...], "
                        + "e.g. \"io_uring completion [net.buffer_ring=false]\"");
            }
            Map<String, String> options = new LinkedHashMap<>();
            for (String kv : m.group(2).split(",")) {
                String t = kv.strip();
                int eq = t.indexOf('=');
                String k = eq < 0 ? t : t.substring(0, eq).strip(), v = eq < 0 ? "" : t.substring(eq + 1).strip();
                if (k.startsWith("evring.")) k = k.substring("evring.".length());
                if (!KEY.matcher(k).matches() || !VALUE.matcher(v).matches()) {
                    throw new IllegalArgumentException("\"" + t + "\" in \"" + e + "\" is not an evring option: write key=value, "
                            + "e.g. net.buffer_ring=false");
                }
                if (options.put(k, v) != null) throw new IllegalArgumentException("option " + k + " is given twice in \"" + e + "\"");
            }
            List<String> base = Arrays.stream(m.group(1).strip().toLowerCase(Locale.ROOT).split("\\s+")).filter(w -> !w.isEmpty()).toList();
            variants.add(new Variant(base, options));
        }
        if (words.isEmpty() && variants.isEmpty()) throw new IllegalArgumentException("empty list");
        return new RowSelection(words, variants);
    }

    /** Splits at the commas outside brackets. */
    private static List<String> entries(String value) {
        List<String> out = new ArrayList<>();
        int depth = 0, from = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == ',' && depth == 0) {
                out.add(value.substring(from, i));
                from = i + 1;
            }
        }
        out.add(value.substring(from));
        return out;
    }

    /** Several {@code --rows} values together (the option may be given more than once). */
    public static RowSelection of(List<RowSelection> given) {
        List<String> words = new ArrayList<>();
        List<Variant> variants = new ArrayList<>();
        for (RowSelection s : given) {
            words.addAll(s.words);
            variants.addAll(s.variants);
        }
        return new RowSelection(words, variants);
    }

    /**
     * Whether a row of this name runs: every row when nothing was asked for; else a row whose name contains one of
     * the words, or that a variant applies to (it runs beside its variant).
     */
    public boolean wants(String row, RowKind kind) {
        if (words.isEmpty() && variants.isEmpty()) return true;
        String r = row.toLowerCase(Locale.ROOT);
        Set<String> rowWords = nameWords(row);
        for (String w : words) if (r.contains(w) || rowWords.containsAll(nameWords(w))) return true;
        for (Variant v : variants) if (v.appliesTo(row, kind)) return true;
        return false;
    }

    /**
     * The rows of a benchmark to run, in its order: each wanted row, followed by its variants (made by
     * {@code withOptions}, which gives the row with a variant's options set and its name suffixed).
     */
    public <R> List<R> select(List<R> rows, Function<R, String> name, Function<R, RowKind> kind, BiFunction<R, Variant, R> withOptions) {
        List<R> out = new ArrayList<>();
        for (R r : rows) {
            if (!wants(name.apply(r), kind.apply(r))) continue;
            out.add(r);
            for (Variant v : variants) if (v.appliesTo(name.apply(r), kind.apply(r))) out.add(withOptions.apply(r, v));
        }
        return out;
    }

    /** The variants that apply to none of {@code rows} (said in the progress output, so a typo does not pass silently). */
    public <R> List<Variant> unmatched(List<R> rows, Function<R, String> name, Function<R, RowKind> kind) {
        List<Variant> out = new ArrayList<>();
        for (Variant v : variants) {
            if (rows.stream().noneMatch(r -> v.appliesTo(name.apply(r), kind.apply(r)))) out.add(v);
        }
        return out;
    }

    /** As given: {@code netty,io_uring completion [net.buffer_ring=false]}. */
    @Override
    public String toString() {
        List<String> all = new ArrayList<>(words);
        for (Variant v : variants) all.add(v.toString());
        return String.join(",", all);
    }

    /** The words of a row name: lower case, split at everything but letters, digits, '_' and '.'. */
    static Set<String> nameWords(String row) {
        Set<String> out = new LinkedHashSet<>();
        for (String w : row.toLowerCase(Locale.ROOT).split("[^a-z0-9_.]+")) if (!w.isEmpty()) out.add(w);
        return out;
    }
}
