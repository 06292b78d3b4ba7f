package dev.evring.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The options of one command-line program (an {@code ./evring} subcommand, an example's {@code main}), declared once:
 * the declarations give the usage text, the parsing ({@code --name value} or {@code --name=value}) and typed values.
 * Every bad input (an unknown option, a missing value, a value that is not a number or out of range, a choice not
 * offered, a stray argument) is a {@link UsageException} whose message names the option and the value; {@code -h} and
 * {@code --help} ask for the usage, wherever they stand. {@link #run} turns both into what a user of a Unix tool
 * expects: one line naming the problem and the usage on stderr with exit status 2, or the usage on stdout with 0.
 *
 * <pre>{@code
 * static final CommandLine COMMAND_LINE = new CommandLine("./evring echo-server", "Serves TCP echo.");
 * static final CommandLine.Option<Integer> PORT = COMMAND_LINE.integer("--port", "P", 7007, 0, 65_535, "the port");
 * public static void main(String[] args) throws Exception {
 *     System.exit(COMMAND_LINE.run(args, System.out, System.err, o -> serve(o.get(PORT))));
 * }
 * }</pre>
 * Declare every option before the first parse; parsing is then safe from any thread.
 */
public final class CommandLine {
    /** Bad input on a command line; the message names the option and the value, the usage is the program's. */
    public static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** What a program does once its options are parsed; returns the exit status. */
    @FunctionalInterface
    public interface Body {
        int run(Parsed options) throws Exception;
    }

    /** A declared option; read its value with {@link Parsed#get}. */
    public static final class Option<T> {
        private final String name;
        private final String valueName; // null: a flag
        private final String help;
        private final T defaultValue;
        private final Function<String, T> convert; // throws IllegalArgumentException naming what is wrong
        private final boolean accumulates;

        private Option(String name, String valueName, String help, T defaultValue, Function<String, T> convert, boolean accumulates) {
            this.name = name;
            this.valueName = valueName;
            this.help = help;
            this.defaultValue = defaultValue;
            this.convert = convert;
            this.accumulates = accumulates;
        }

        public String name() {
            return name;
        }

        public boolean takesValue() {
            return valueName != null;
        }
    }

    private static final String HELP = "--help";

    private final String program;
    private final String description;
    private final Map<String, Option<?>> options = new LinkedHashMap<>();

    /**
     * @param program     as the user types it ({@code ./evring echo-server}): the usage line shows it, error lines
     *                    start with it (without {@code ./})
     * @param description what the program does; its first line is the summary {@code ./evring} lists
     */
    public CommandLine(String program, String description) {
        this.program = program;
        this.description = description.strip();
    }

    /** The first line of the description, without its full stop: what a list of commands shows. */
    public String summary() {
        int nl = description.indexOf('\n');
        String first = nl < 0 ? description : description.substring(0, nl);
        return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
    }

    /** A switch without a value; false unless given. */
    public Option<Boolean> flag(String name, String help) {
        return add(new Option<>(name, null, help, false, v -> true, false));
    }

    /** Any string. */
    public Option<String> string(String name, String valueName, String defaultValue, String help) {
        return value(name, valueName, defaultValue, v -> v, help);
    }

    /** A whole number in {@code min..max}. */
    public Option<Integer> integer(String name, String valueName, int defaultValue, int min, int max, String help) {
        return value(name, valueName, defaultValue, v -> (int) wholeNumber(v, min, max), help);
    }

    /** A whole number in {@code min..max}. */
    public Option<Long> longInteger(String name, String valueName, long defaultValue, long min, long max, String help) {
        return value(name, valueName, defaultValue, v -> wholeNumber(v, min, max), help);
    }

    /** One of {@code choices} (exact words); the usage shows them as the value's name. */
    public Option<String> choice(String name, String defaultValue, List<String> choices, String help) {
        return value(name, String.join("|", choices), defaultValue, v -> {
            if (!choices.contains(v)) throw new IllegalArgumentException("\"" + v + "\" is not one of " + String.join(", ", choices));
            return v;
        }, help);
    }

    /**
     * A value made by {@code convert}, which refuses bad input with an {@link IllegalArgumentException} (its message
     * then follows the option's name in the error line).
     */
    public <T> Option<T> value(String name, String valueName, T defaultValue, Function<String, T> convert, String help) {
        if (valueName == null) throw new IllegalArgumentException("option " + name + " needs a value name");
        return add(new Option<>(name, valueName, help, defaultValue, convert, false));
    }

    /**
     * A comma-separated list of lower-case words, each one of {@code allowed} (any word if empty); given more than once,
     * the lists add up. Empty unless given.
     */
    public Option<List<String>> list(String name, String valueName, List<String> allowed, String help) {
        return values(name, valueName, v -> {
            List<String> words = new ArrayList<>();
            for (String w : v.split(",")) {
                String t = w.strip().toLowerCase(Locale.ROOT);
                if (t.isEmpty()) continue;
                if (!allowed.isEmpty() && !allowed.contains(t)) {
                    throw new IllegalArgumentException("\"" + t + "\" is not one of " + String.join(", ", allowed));
                }
                words.add(t);
            }
            if (words.isEmpty()) throw new IllegalArgumentException("empty list");
            return words;
        }, help);
    }

    /**
     * A list made by {@code convert} from each value given (which refuses bad input as {@link #value} does); given
     * more than once, the lists add up. Empty unless given.
     */
    public <T> Option<List<T>> values(String name, String valueName, Function<String, List<T>> convert, String help) {
        if (valueName == null) throw new IllegalArgumentException("option " + name + " needs a value name");
        return add(new Option<>(name, valueName, help, List.of(), convert, true));
    }

    private <T> Option<T> add(Option<T> o) {
        if (!o.name.startsWith("--") || o.name.length() < 3 || o.name.contains("=")) {
            throw new IllegalArgumentException("option name \"" + o.name + "\" must be --word");
        }
        if (o.name.equals(HELP) || options.putIfAbsent(o.name, o) != null) {
            throw new IllegalArgumentException("option " + o.name + " is declared twice");
        }
        return o;
    }

    /** The usage text: the usage line, the description, then one line per option, defaults in their help. */
    public String usage() {
        StringBuilder sb = new StringBuilder("usage: ").append(program).append(options.isEmpty() ? "" : " [options]").append("\n\n");
        for (String line : description.lines().toList()) sb.append(line).append('\n');
        sb.append('\n');
        List<String[]> lines = new ArrayList<>();
        for (Option<?> o : options.values()) lines.add(new String[] {o.takesValue() ? o.name + " " + o.valueName : o.name, o.help});
        lines.add(new String[] {"-h, --help", "this text"});
        int width = 0;
        for (String[] l : lines) width = Math.max(width, l[0].length());
        for (String[] l : lines) sb.append("  ").append(l[0]).append(" ".repeat(width - l[0].length() + 3)).append(l[1]).append('\n');
        return sb.toString();
    }

    /**
     * Parses {@code args}. A help request ({@code -h}, {@code --help}) anywhere wins over any error; otherwise the
     * first bad argument, in order, is thrown.
     *
     * @throws UsageException naming the bad option and value
     */
    public Parsed parse(String... args) {
        Map<Option<?>, Object> values = new LinkedHashMap<>();
        UsageException first = null;
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals(HELP)) {
                help = true;
                continue;
            }
            try {
                i = parseOne(args, i, values);
            } catch (UsageException e) {
                if (first == null) first = e;
            }
        }
        if (first != null && !help) throw first;
        return new Parsed(values, help);
    }

    /** Parses the option at {@code args[i]} into {@code values}; returns the index of the last argument it used. */
    private int parseOne(String[] args, int i, Map<Option<?>, Object> values) {
        String a = args[i];
        int eq = a.indexOf('=');
        String name = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
        String value = a.startsWith("--") && eq > 0 ? a.substring(eq + 1) : null;
        Option<?> o = options.get(name);
        if (o == null) {
            throw new UsageException(a.startsWith("-") ? "unknown option " + name : "unexpected argument \"" + a + "\"");
        }
        if (!o.takesValue()) {
            if (value != null) throw new UsageException(name + " takes no value (got \"" + value + "\")");
            values.put(o, true);
            return i;
        }
        if (value == null) {
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) throw new UsageException(name + " needs a value (" + o.valueName + ")");
            value = args[++i];
        }
        Object v;
        try {
            v = o.convert.apply(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(name + ": " + e.getMessage());
        }
        if (o.accumulates && values.get(o) instanceof List<?> earlier) {
            List<Object> all = new ArrayList<>(earlier);
            all.addAll((List<?>) v);
            v = List.copyOf(all);
        }
        values.put(o, v);
        return i;
    }

    /**
     * Parses {@code args} and runs {@code body} with them. A help request prints the usage on {@code out} and returns
     * 0; bad input (from the parse, or a {@link UsageException} the body throws for options that do not go together)
     * prints one line naming it and the usage on {@code err} and returns 2; otherwise returns what the body returns
     * (its other exceptions pass through).
     */
    public int run(String[] args, PrintStream out, PrintStream err, Body body) throws Exception {
        try {
            Parsed p = parse(args);
            if (p.help()) {
                out.print(usage());
                out.flush();
                return 0;
            }
            return body.run(p); // a body may refuse a combination of options with a UsageException too
        } catch (UsageException e) {
            err.println(program.replaceFirst("^\\./", "") + ": " + e.getMessage());
            err.print(usage());
            err.flush();
            return 2;
        }
    }

    private static long wholeNumber(String v, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v.strip().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + v + "\" is not a whole number");
        }
        if (n < min || n > max) throw new IllegalArgumentException(n + " is outside " + min + ".." + max);
        return n;
    }

    /** The values of one parse: each given option's, else its default. */
    public final class Parsed {
        private final Map<Option<?>, Object> values;
        private final boolean help;

        private Parsed(Map<Option<?>, Object> values, boolean help) {
            this.values = values;
            this.help = help;
        }

        /** Whether {@code -h} or {@code --help} was given. */
        public boolean help() {
            return help;
        }

        /** Whether the option was given (a flag: whether it is set). */
        public boolean given(Option<?> o) {
            check(o);
            return values.containsKey(o);
        }

        /** The option's value, or its default when it was not given. */
        @SuppressWarnings("unchecked")
        public <T> T get(Option<T> o) {
            check(o);
            return values.containsKey(o) ? (T) values.get(o) : o.defaultValue;
        }

        private void check(Option<?> o) {
            if (options.get(o.name) != o) throw new IllegalArgumentException("option " + o.name + " is not one of " + program + "'s");
        }
    }
}
