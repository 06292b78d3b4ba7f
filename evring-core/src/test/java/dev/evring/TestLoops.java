package dev.evring;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running a loop in tests. */
public final class TestLoops {
    private TestLoops() {}

    /**
     * Runs {@code loop} one iteration at a time until {@code done}, failing after 10 seconds; a 10 ms safety timer keeps
     * each iteration from blocking for long (and the loop alive while the test waits for something that is no watcher).
     */
    public static void runUntil(EventLoop loop, BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        TimerWatcher guard = loop.timer(10_000_000L, 10_000_000L, (w, ev) -> {});
        guard.start();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            loop.runOnce();
        }
        guard.stop();
    }
}
