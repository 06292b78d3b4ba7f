package dev.evring.bench.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one driver process to its end: feeds each stdout line, parsed, to a listener as it arrives (so progress shows
 * while it runs), appends stdout and stderr to a log, kills it when it overruns its time, and tells a crash (death
 * by a signal) from a failure (a non-zero exit status).
 */
public final class DriverProcess {
    private DriverProcess() {}

    /** How the process ended. {@code exitCode} is the JDK's: 128 + the signal number when a signal killed it. */
    public record Ending(int exitCode, boolean timedOut, String stderrTail) {
        public boolean ok() {
            return !timedOut && exitCode == 0;
        }

        /** Killed by a signal (SIGSEGV, SIGABRT of a JVM crash, ...) and not by our own time-out. */
        public boolean crashed() {
            return !timedOut && exitCode > 128 && exitCode < 128 + 65;
        }

        /** In a user's words: "killed by SIGSEGV", "exit status 3", "hung: killed after 60 s". */
        public String describe(Duration timeout) {
            String tail = stderrTail.isBlank() ? "" : " (" + stderrTail + ")";
            if (timedOut) return "hung: killed after " + timeout.toSeconds() + " s" + tail;
            if (crashed()) return "killed by " + signalName(exitCode - 128) + tail;
            return "exit status " + exitCode + tail;
        }
    }

    /** Linux's signal numbers 1..31 (x86-64 and arm64 agree on them), as {@code kill -l} prints them. */
    private static final String[] SIGNALS = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
            "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
            "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};

    public static String signalName(int sig) {
        return sig > 0 && sig < SIGNALS.length ? "SIG" + SIGNALS[sig] : "signal " + sig;
    }

    public static Ending run(List<String> command, Path log, Duration timeout, Consumer<DriverProtocol.Line> listener)
            throws IOException, InterruptedException {
        Files.writeString(log, "$ " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectError(ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        p.getOutputStream().close();
        Deque<String> stderrTail = new ArrayDeque<>();
        Thread errReader = Thread.ofPlatform().daemon().name("driver-stderr").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    appendLog(log, "stderr: " + l);
                    synchronized (stderrTail) {
                        if (!l.isBlank()) stderrTail.addLast(l.strip());
                        while (stderrTail.size() > 3) stderrTail.removeFirst();
                    }
                }
            } catch (IOException ignored) {
                // the process went away: nothing more to read
            }
        });
        Thread outReader = Thread.ofPlatform().daemon().name("driver-stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    appendLog(log, l);
                    listener.accept(DriverProtocol.parse(l));
                }
            } catch (IOException ignored) {
                // the process went away: nothing more to read
            }
        });
        boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        outReader.join(5_000);
        errReader.join(5_000);
        String tail;
        synchronized (stderrTail) {
            tail = String.join(" / ", stderrTail);
        }
        if (tail.length() > 300) tail = tail.substring(0, 300) + "...";
        return new Ending(exited ? p.exitValue() : -1, !exited, tail);
    }

    private static void appendLog(Path log, String line) {
        try {
            synchronized (DriverProcess.class) {
                Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException ignored) {
            // a log we cannot write does not stop the benchmark
        }
    }
}
