package dev.evring;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running a loop in tests that wait for the outside world (an fd, a signal, a child's exit, a file change). */
public final class TestLoops {
    private TestLoops() {}

    /**
     * Runs {@code loop} one iteration at a time until {@code done}, failing after 10 seconds (an event that never
     * comes must fail the test, not hang the build); a 10 ms safety timer keeps each iteration from blocking for long
     * (and the loop alive while the test waits for something that is no watcher).
     */
    public static void runUntil(EventLoop loop, BooleanSupplier done) {
        runUntil(loop, done, "the awaited event");
    }

    /** {@link #runUntil(EventLoop, BooleanSupplier)}, saying {@code what} was awaited when it times out. */
    public static void runUntil(EventLoop loop, BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        TimerWatcher guard = loop.timer(10_000_000L, 10_000_000L, (w, ev) -> {});
        guard.start();
        try {
            while (!done.getAsBoolean()) {
                assertTrue(System.nanoTime() < deadline, "timed out after 10 s waiting for " + what);
                loop.runOnce();
            }
        } finally {
            guard.stop();
        }
    }
}
