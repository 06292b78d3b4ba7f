package dev.evring;

import org.junit.jupiter.api.Test;

import java.io.IOException;
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
        List<String> lines = ReadmeExample.printedBy(LoopGroupReadmeTest::example);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("loop 0: stop accepting, finish by "), lines.get(0));
        assertTrue(lines.get(1).startsWith("1000 tasks; per loop ["), lines.get(1));
    }

    @Test
    void theReadmeShowsTheExampleAsItIsHere() throws IOException {
        ReadmeExample.assertReadmeShows("evring-core/src/test/java/dev/evring/LoopGroupReadmeTest.java", "loop group example");
    }
}
