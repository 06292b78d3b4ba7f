package dev.evring;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's loop group example runs, and the README shows it as it is here. */
class LoopGroupReadmeTest {

    static void example() throws InterruptedException {
        // README:begin
        try (LoopGroup group = LoopGroup.open(4)) {                     // 4 loops, each on a thread of its own
            AtomicLong served = new AtomicLong();
            for (int i = 0; i < 1_000; i++) {
                EventLoop loop = group.leastLoaded();                   // or group.next(): round-robin
                loop.execute(served::incrementAndGet);                  // runs on that loop's thread, in order
            }
            EventLoop first = group.loop(0);
            first.execute(() -> first.addShutdownListener((loop, deadline) ->
                    System.out.println("loop 0: stop accepting, finish by " + deadline)));
            group.shutdownGracefully(Duration.ofSeconds(5));            // tell listeners, drain, close each loop
            group.awaitTermination(Duration.ofSeconds(10));
            System.out.println(served.get() + " tasks; per loop " + group.stats().loops().stream()
                    .map(LoopStats::tasksExecuted).toList());
        }                                                               // close() waits for every loop thread
        // README:end
    }

    @Test
    void theExampleServesEveryTaskAndShutsDown() throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            example();
        } finally {
            System.setOut(out);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("loop 0: stop accepting, finish by "), lines.get(0));
        assertTrue(lines.get(1).startsWith("1000 tasks; per loop ["), lines.get(1));
    }

    @Test
    void theReadmeShowsTheExampleAsItIsHere() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("README.md"))) root = root.getParent();
        assertTrue(root != null, "README.md not found above " + Path.of("").toAbsolutePath());
        String source = Files.readString(root.resolve("evring-core/src/test/java/dev/evring/LoopGroupReadmeTest.java"));
        String block = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(),
                source.indexOf("        // README:end"));
        String expected = block.lines().map(l -> l.length() >= 8 ? l.substring(8) : l.strip()).reduce((a, b) -> a + "\n" + b).orElseThrow();
        String readme = Files.readString(root.resolve("README.md"));
        assertTrue(readme.contains("```java\n" + expected + "\n```"), "README.md's loop group example differs from the test's:\n" + expected);
    }
}
