package dev.evring.bench.harness;

import dev.evring.bench.BenchOptions;
import dev.evring.bench.report.RowKind;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What every benchmark of a run shares: the options, the native tools, the run's results folder, a way to start
 * JVMs like this one, and the progress output.
 */
public final class BenchContext {
    private final BenchOptions options;
    private final NativeTools tools;
    private final Path runDir;
    private final PrintStream out;

    public BenchContext(BenchOptions options, NativeTools tools, Path runDir, PrintStream out) {
        this.options = options;
        this.tools = tools;
        this.runDir = runDir;
        this.out = out;
    }

    public BenchOptions options() {
        return options;
    }

    public boolean quick() {
        return options.quick();
    }

    public NativeTools tools() {
        return tools;
    }

    /** The log file of one benchmark row, under {@code logs/} of the run's folder. */
    public Path log(String benchmark, String row) {
        return created(runDir.resolve("logs")).resolve(benchmark + "-" + row.replaceAll("[^A-Za-z0-9._-]+", "_") + ".log");
    }

    /** A folder of the run's results for one benchmark's own files (configurations, scripts), created if needed. */
    public Path workDir(String benchmark) {
        return created(runDir.resolve(benchmark));
    }

    private static Path created(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The rows of a benchmark that {@code --rows} selects, each followed by the variants asked for it (see
     * {@link RowSelection}); says which variants apply to no row of this benchmark, so a typo does not pass silently.
     */
    public <R> List<R> selectRows(List<R> rows, Function<R, String> name, Function<R, RowKind> kind,
                                  BiFunction<R, RowSelection.Variant, R> withOptions) {
        RowSelection sel = options.rows();
        for (RowSelection.Variant v : sel.unmatched(rows, name, kind)) {
            progress("  variant \"" + v + "\": no evring row here has the words \"" + String.join(" ", v.base()) + "\"");
        }
        List<R> selected = sel.select(rows, name, kind, withOptions);
        if (selected.isEmpty() && !rows.isEmpty()) progress("  no row here matches --rows " + sel);
        return selected;
    }

    public void progress(String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    /**
     * The open-file limit the server and driver processes get: this JVM's, which HotSpot raised to the hard limit at
     * start-up (MaxFDLimit), as the other JVMs do and the load generator does by itself; 1024, a common default, if
     * the platform cannot say.
     */
    public static long openFileLimit() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean u
                ? u.getMaxFileDescriptorCount() : 1024;
    }

    /** Descriptors a server JVM or the load generator needs besides its connections. */
    public static final int FD_RESERVE = 200;

    /**
     * {@code wanted} connections, or as many as fit in the open-file limit {@code fdLimit} of the server and of the
     * load generator (each holds one end of every connection), at least 100.
     */
    public static int connectionsThatFit(int wanted, long fdLimit) {
        return (int) Math.max(100, Math.min(wanted, fdLimit - FD_RESERVE));
    }

    /** Online CPUs of this machine. */
    public int cpus() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Whether a server and its load generator can run on CPUs of their own here (two CPUs or more, and taskset). */
    public boolean pinned() {
        return cpus() >= 2 && tools.hasTaskset();
    }

    /** The note a server benchmark's table carries when {@link #pinned()} is false. */
    public String unpinnedNote() {
        return "server and client not pinned to separate CPUs (" + (cpus() < 2 ? "one CPU" : "no taskset")
                + "): they share the machine's CPUs and the figures say less";
    }

    /**
     * The command line of a JVM like this one (same java, same class path, native access granted) running
     * {@code mainClass}, optionally pinned to {@code cpu} with taskset (negative: not pinned).
     */
    public List<String> java(int cpu, List<String> jvmArgs, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>(pin(cpu));
        cmd.add(javaBinary());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+UseParallelGC");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * The same heap and flags for every server JVM of the server benchmarks (Netty's leak detector off, as its users
     * run in production).
     */
    public static final List<String> SERVER_JVM = List.of("-Xms512m", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled");

    /**
     * The command line of a server JVM pinned to CPU 0: {@link #SERVER_JVM}, a row variant's evring options
     * ({@link ServerRow.Launch#systemProperties()}), then {@code jvm}.
     */
    public List<String> serverJava(ServerRow.Launch launch, List<String> jvm, String mainClass, List<String> args) {
        List<String> all = new ArrayList<>(SERVER_JVM);
        all.addAll(launch.systemProperties());
        all.addAll(jvm);
        List<String> cmd = new ArrayList<>(pinServer(launch.loops()));
        cmd.addAll(java(-1, all, mainClass, args));
        return cmd;
    }

    /**
     * Where a server with {@code loops} event loops runs: {@code taskset -c 0} for one (the load generator has CPU 1),
     * CPUs 0 to {@code loops - 1} for more, as far as the machine has them (on two CPUs, a server with two loops
     * shares CPU 1 with the load generator); nothing without taskset.
     */
    public List<String> pinServer(int loops) {
        int last = Math.min(loops, cpus()) - 1;
        if (last <= 0) return pin(0);
        return tools.hasTaskset() ? List.of("taskset", "-c", "0-" + last) : List.of();
    }

    /** A native command, optionally pinned to {@code cpu} with taskset (negative: not pinned). */
    public List<String> nativeCommand(int cpu, Path binary, List<String> args) {
        List<String> cmd = new ArrayList<>(pin(cpu));
        cmd.add(binary.toString());
        cmd.addAll(args);
        return cmd;
    }

    /** {@code taskset -c cpu} when taskset exists, the CPU exists and {@code cpu >= 0}; else nothing. */
    public List<String> pin(int cpu) {
        if (cpu < 0 || cpu >= cpus() || !tools.hasTaskset()) return List.of();
        return List.of("taskset", "-c", Integer.toString(cpu));
    }

    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
