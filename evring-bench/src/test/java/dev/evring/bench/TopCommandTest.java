package dev.evring.bench;

import dev.evring.EventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./evring top} attached to a running JVM whose loop ticks and now and then runs a slow callback: its tables
 * show the loop, its iterations per second and the slow callbacks, named. And the README's recipe for the same
 * without top ({@code jcmd PID JFR.start}, then {@code jfr summary} and {@code jfr print}) run as written.
 */
class TopCommandTest {
    @TempDir
    Path dir;

    Process target;

    @BeforeEach
    void startTarget() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        target = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SlowTicker.class.getName()).redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(target.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertEquals("ticking", line, "the target did not start");
    }

    @AfterEach
    void stopTarget() throws Exception {
        target.getOutputStream().close(); // it runs until its standard input ends
        if (!target.waitFor(10, TimeUnit.SECONDS)) target.destroyForcibly();
    }

    @Test
    void topShowsTheLoopItsRatesAndItsSlowCallbacks() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(0, TopCommand.watch(target.pid(), Duration.ofSeconds(1), 3, out));
        String text = bytes.toString(StandardCharsets.UTF_8);
        List<String> rows = text.lines().filter(l -> l.matches("\\s+\\d+ main .*")).toList();
        assertEquals(3, rows.size(), text);
        Pattern row = Pattern.compile("\\s+\\d+ main\\s+(\\S+)\\s+([\\d,]+)\\s+([\\d.]+)\\s+(\\d+)\\s+([\\d,]+).*\\s(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*$");
        int slow = 0;
        for (String r : rows) {
            Matcher m = row.matcher(r);
            assertTrue(m.matches(), r);
            assertTrue(List.of("io_uring", "epoll", "poll").contains(m.group(1)), r);
            long iterations = Long.parseLong(m.group(2).replace(",", ""));
            assertTrue(iterations >= 100, "a 1 ms timer iterates at least 100 times a second: " + r);
            double wait = Double.parseDouble(m.group(3));
            assertTrue(wait > 0 && wait <= 100, r);
            slow += Integer.parseInt(m.group(6));
        }
        assertTrue(slow >= 2, "a slow callback every 500 ms: " + text);
        assertTrue(text.contains("slow callback") && text.contains("TimerWatcher") && text.contains(SlowTicker.class.getName()), text);
    }

    /**
     * The README's recipe: a recording started on the running JVM with jcmd, then read with jfr, and summarized with
     * {@code ./evring top --file}.
     */
    @Test
    void theReadmeRecipeRecordsTheLoopsEvents() throws Exception {
        Path file = dir.resolve("evring.jfr");
        String bin = Path.of(System.getProperty("java.home"), "bin").toString();
        run(bin + "/jcmd", Long.toString(target.pid()), "JFR.start", "name=evring", "duration=3s", "filename=" + file);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(file) && Files.size(file) > 0) && System.nanoTime() < deadline) Thread.sleep(200);
        Thread.sleep(500); // the file is written when the recording ends
        String summary = run(bin + "/jfr", "summary", file.toString());
        for (String event : List.of("dev.evring.LoopIteration", "dev.evring.LoopStatistics", "dev.evring.SlowCallback", "dev.evring.RingBatch")) {
            if (event.equals("dev.evring.RingBatch") && !summary.contains("io_uring")) continue;
            Matcher m = Pattern.compile(Pattern.quote(event) + "\\s+(\\d+)").matcher(summary);
            assertTrue(m.find(), event + " missing: " + summary);
            assertTrue(Long.parseLong(m.group(1)) >= 1, summary);
        }
        String slow = run(bin + "/jfr", "print", "--events", "dev.evring.SlowCallback", file.toString());
        assertTrue(slow.contains("source = \"TimerWatcher"), slow);

        // and ./evring top --file on the same recording: the table over the recording and the distributions
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(0, TopCommand.summarize(file, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.lines().anyMatch(l -> l.matches("\\s+\\d+ main .*")), text);
        assertTrue(text.contains("per iteration (dev.evring.LoopIteration"), text);
        assertTrue(text.contains("slow callback") && text.contains("TimerWatcher"), text);
        assertTrue(text.contains("events: ") && text.contains("dev.evring.LoopStatistics"), text);
    }

    private String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    /** A JVM with one loop: a 1 ms timer, and every 500 ms a callback that takes 150 ms; until its stdin ends. */
    public static final class SlowTicker {
        public static void main(String[] args) throws Exception {
            try (EventLoop loop = EventLoop.open()) {
                int[] ticks = {0};
                loop.timer(Duration.ofMillis(1), Duration.ofMillis(1), (w, ev) -> ticks[0]++).start();
                loop.timer(Duration.ofMillis(500), Duration.ofMillis(500), (w, ev) -> Thread.sleep(150)).start();
                var quit = loop.async((w, ev) -> loop.breakLoop(EventLoop.Break.ALL));
                quit.start();
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        while (System.in.read() >= 0) {
                            // until the test closes our standard input
                        }
                    } catch (IOException e) {
                        // the same
                    }
                    quit.send();
                });
                System.out.println("ticking");
                System.out.flush();
                loop.run();
            }
        }
    }
}
