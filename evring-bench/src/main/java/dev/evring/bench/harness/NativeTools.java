package dev.evring.bench.harness;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The native side of the benchmark's set-up: finds gcc, the C library headers, libev and taskset; installs what is
 * missing with apt-get when allowed and possible (root, apt-get present); compiles the C drivers shipped as resources
 * under {@code native/} into a cache folder, once per source and compiler version.
 *
 * <p>Every lack ends as a reason a row can print ("install libev-dev"), never as an exception.
 */
public final class NativeTools {
    /** What a C driver needs beyond gcc and libc. */
    public enum Needs { LIBC, LIBEV, IO_URING_HEADER }

    /** A compiled driver or a program found here (wrk, nginx), or why there is none ("install wrk"). */
    public record Binary(Path path, String missing) {
        public boolean ok() {
            return path != null;
        }
    }

    private final Path cacheDir;
    private final Path logFile;
    private final Consumer<String> say;
    private boolean gcc, libcHeaders, libev, uringHeader, taskset;
    private String gccVersion = "";
    private String libevVersion = "";
    private final Map<String, Binary> compiled = new LinkedHashMap<>();
    private final Map<String, Binary> programs = new LinkedHashMap<>();
    private boolean allowInstall;
    private boolean aptUpdated;

    public NativeTools(Path cacheDir, Path logFile, Consumer<String> say) {
        this.cacheDir = cacheDir;
        this.logFile = logFile;
        this.say = say;
    }

    /** Looks at what is there and, if {@code allowInstall}, installs what is missing. */
    public NativeTools prepare(boolean allowInstall) throws IOException, InterruptedException {
        this.allowInstall = allowInstall;
        Files.createDirectories(cacheDir);
        detect();
        List<String> missing = missingPackages();
        if (!missing.isEmpty() && install(missing)) detect();
        say.accept("setup: gcc " + (gcc ? gccVersion : "missing") + ", libev " + (libev ? libevVersion : "missing")
                + ", linux/io_uring.h " + (uringHeader ? "present" : "missing") + ", taskset " + (taskset ? "present" : "missing"));
        return this;
    }

    /**
     * Installs Debian {@code packages} with apt-get if allowed and possible (saying so), else says why not; returns
     * whether apt-get ran. apt-get update runs once per run.
     */
    private boolean install(List<String> packages) throws IOException, InterruptedException {
        String why = installRefusal(allowInstall);
        if (why != null) {
            say.accept("setup: missing " + String.join(" ", packages) + "; not installing: " + why + ". Rows that need them are skipped.");
            return false;
        }
        say.accept("setup: installing " + String.join(" ", packages) + " with apt-get (log: " + logFile + ")");
        int u = 0;
        if (!aptUpdated) {
            u = exec(List.of("apt-get", "update", "-q"), 600);
            aptUpdated = u == 0;
        }
        List<String> cmd = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
        cmd.addAll(packages);
        int i = exec(cmd, 900);
        if (u != 0 || i != 0) say.accept("setup: apt-get failed (update " + u + ", install " + i + "); see " + logFile);
        return true;
    }

    /**
     * A program a benchmark runs (wrk, nginx), found on PATH or in the sbin folders, installed from Debian package
     * {@code debianPackage} when missing and allowed (as the C tool chain is); or why there is none ("install wrk").
     * Looked for once per run.
     */
    public synchronized Binary program(String name, String debianPackage) throws IOException, InterruptedException {
        Binary b = programs.get(name);
        if (b != null) return b;
        Path found = findProgram(name);
        if (found == null && install(List.of(debianPackage))) found = findProgram(name);
        b = found != null ? new Binary(found, null) : new Binary(null, "install " + debianPackage);
        programs.put(name, b);
        return b;
    }

    private static Path findProgram(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin")); // nginx lives in sbin, often off a user's PATH
        for (String d : dirs) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /**
     * The first line {@code program args} prints (stdout and stderr together) whatever its exit status ({@code wrk -v}
     * exits 1), or "" if it cannot run.
     */
    public static String versionLine(Path program, String... args) throws InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(program.toString()));
        cmd.addAll(List.of(args));
        return firstLine(cmd, true);
    }

    /** Debian packages that would fill the gaps found by the last look. */
    List<String> missingPackages() {
        List<String> p = new ArrayList<>();
        if (!gcc) p.add("gcc");
        if (!libcHeaders || !uringHeader) p.add("libc6-dev");
        if (!libev) p.add("libev-dev");
        if (!taskset) p.add("util-linux");
        return p;
    }

    /** Why we may not install, or null if we may. */
    private static String installRefusal(boolean allowInstall) {
        if (!allowInstall) return "installing is off here (--no-install, --list, or a test)";
        if (!isRoot()) return "not root (run as root, or install them yourself)";
        if (!Files.isExecutable(Path.of("/usr/bin/apt-get"))) return "no apt-get on this machine";
        return null;
    }

    static boolean isRoot() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Uid:")) return l.split("\\s+")[1].equals("0");
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private void detect() throws IOException, InterruptedException {
        gccVersion = firstLine(List.of("gcc", "-dumpfullversion"));
        gcc = !gccVersion.isEmpty();
        libcHeaders = gcc && compiles("#include <stdio.h>\nint main(void){return 0;}\n", List.of());
        uringHeader = libcHeaders && compiles("#include <linux/io_uring.h>\nint main(void){return IORING_OP_NOP;}\n", List.of());
        libev = false;
        if (libcHeaders) {
            Path probe = cacheDir.resolve("libev-version");
            if (compileTo("#include <ev.h>\n#include <stdio.h>\nint main(void){printf(\"%d.%d\\n\", ev_version_major(), ev_version_minor());return 0;}\n",
                    List.of("-lev"), probe)) {
                libevVersion = firstLine(List.of(probe.toString()));
                libev = !libevVersion.isEmpty();
            }
        }
        taskset = !firstLine(List.of("taskset", "--version")).isEmpty();
    }

    public boolean hasLibev() {
        return libev;
    }

    public String libevVersion() {
        return libevVersion;
    }

    public boolean hasTaskset() {
        return taskset;
    }

    /** The reason a driver needing {@code needs} cannot be built here, or null if it can. */
    public String missingFor(Needs needs) {
        if (!gcc) return "install gcc";
        if (!libcHeaders) return "install libc6-dev";
        return switch (needs) {
            case LIBC -> null;
            case LIBEV -> libev ? null : "install libev-dev";
            case IO_URING_HEADER -> uringHeader ? null : "install linux-libc-dev (linux/io_uring.h)";
        };
    }

    /**
     * Compiles {@code native/<name>.c} from the class path with -O2 into the cache (reused while the source and the
     * compiler are the same), or says what is missing.
     */
    public synchronized Binary compile(String name, Needs needs) throws IOException, InterruptedException {
        Binary b = compiled.get(name);
        if (b != null) return b;
        String missing = missingFor(needs);
        if (missing != null) {
            b = new Binary(null, missing);
        } else {
            String source = resource(name + ".c");
            String header = resource(COMMON_HEADER);
            Files.writeString(cacheDir.resolve(COMMON_HEADER), header);
            List<String> libs = needs == Needs.LIBEV ? List.of("-lev", "-lm") : List.of("-lm");
            Path bin = cacheDir.resolve(name + "-" + hash(source + header + gccVersion + libs));
            if (Files.isExecutable(bin) || compileTo(source, libs, bin)) b = new Binary(bin, null);
            else b = new Binary(null, "compile error in native/" + name + ".c (see " + logFile + ")");
        }
        compiled.put(name, b);
        return b;
    }

    /** The header every C driver includes; written beside the sources it compiles. */
    static final String COMMON_HEADER = "bench_common.h";

    static String resource(String file) throws IOException {
        try (InputStream in = NativeTools.class.getResourceAsStream("/native/" + file)) {
            if (in == null) throw new IOException("resource native/" + file + " is missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private boolean compiles(String source, List<String> libs) throws IOException, InterruptedException {
        Path out = cacheDir.resolve("probe-" + hash(source));
        boolean ok = compileTo(source, libs, out);
        Files.deleteIfExists(out);
        return ok;
    }

    private boolean compileTo(String source, List<String> libs, Path out) throws IOException, InterruptedException {
        Path src = cacheDir.resolve(out.getFileName() + ".c");
        Files.writeString(src, source);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-Wall", "-o", out.toString(), src.toString()));
        cmd.addAll(libs);
        return exec(cmd, 120) == 0 && Files.isExecutable(out);
    }

    /** Runs a command with output to the set-up log; returns the exit status, -1 if it could not start. */
    private int exec(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Files.createDirectories(logFile.getParent());
        Files.writeString(logFile, "$ " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        try {
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The first line a command prints, or "" when it cannot run or fails. */
    static String firstLine(List<String> cmd) throws InterruptedException {
        return firstLine(cmd, false);
    }

    private static String firstLine(List<String> cmd, boolean anyStatus) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || (!anyStatus && p.exitValue() != 0)) return "";
            String s = new String(out, StandardCharsets.UTF_8).strip();
            int nl = s.indexOf('\n');
            return nl < 0 ? s : s.substring(0, nl).strip();
        } catch (IOException e) {
            return "";
        }
    }

    static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
