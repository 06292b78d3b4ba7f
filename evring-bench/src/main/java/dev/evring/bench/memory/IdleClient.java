package dev.evring.bench.memory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The C load generator in its idle mode ({@code echo_load idle <port> <conns> <size>}), driven step by step: it
 * connects and says {@code connected}, then waits; {@link #ping} has it send one message on every connection and
 * wait for every echo; {@link #close} closes them all and ends it. Its output goes to a log.
 */
final class IdleClient implements AutoCloseable {
    private static final String EOF = "\0eof";

    private final Process process;
    private final Path log;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private IdleClient(Process process, Path log) {
        this.process = process;
        this.log = log;
        Thread.ofPlatform().daemon().name("idle-client-stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    append(l);
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process went away
            } finally {
                lines.add(EOF);
            }
        });
    }

    /** Starts {@code command} (the load generator in idle mode); its output and stderr go to {@code log}. */
    static IdleClient start(List<String> command, Path log) throws IOException {
        Files.writeString(log, "$ " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        return new IdleClient(p, log);
    }

    /** Waits for {@code connected <n> <ms>}; returns the milliseconds connecting took. */
    double awaitConnected(Duration timeout) throws IOException, InterruptedException {
        return Double.parseDouble(await("connected", timeout)[1]);
    }

    /** One message of the mode's size on every connection, every echo awaited; returns the milliseconds it took. */
    double ping(Duration timeout) throws IOException, InterruptedException {
        send("ping");
        return Double.parseDouble(await("echoed", timeout)[1]);
    }

    /** Closes every connection and waits for the generator to end. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            if (process.isAlive()) {
                send("close");
                await("closed", Duration.ofSeconds(30));
            }
        } catch (IOException e) {
            // it ended by itself: nothing to close
        } finally {
            try {
                process.getOutputStream().close(); // flushes what a failed send left in its buffer
            } catch (IOException e) {
                // the generator ended and its stdin with it (broken pipe): nothing left to tell it
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private void send(String command) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        append("> " + command);
    }

    /**
     * The fields after {@code word} of the next line that starts with it.
     *
     * @throws IOException with the generator's {@code error} line, or saying it ended or did not answer in time
     */
    private String[] await(String word, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (l == null) throw new IOException("the load generator did not say \"" + word + "\" within " + timeout.toSeconds() + " s");
            if (l.equals(EOF)) {
                int code = process.waitFor();
                throw new IOException("the load generator ended (exit status " + code + ") before saying \"" + word + "\"");
            }
            if (l.startsWith("error ")) throw new IOException("load generator: " + l.substring("error ".length()));
            String[] f = l.strip().split("\\s+");
            if (f[0].equals(word)) return java.util.Arrays.copyOfRange(f, 1, f.length);
        }
    }

    private void append(String line) {
        try {
            synchronized (IdleClient.class) {
                Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException ignored) {
            // a log we cannot write does not stop the benchmark
        }
    }
}
