package dev.evring;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Driving a loop in tests that wait for the outside world (a signal, a child's exit, a file change). */
final class TestLoops {
    private TestLoops() {}

    static final Duration LIMIT = Duration.ofSeconds(10);

    /**
     * Runs iterations until {@code done} holds, failing after {@link #LIMIT}: an event that never comes must fail the
     * test, not hang the build. A guard timer keeps the iterations blocking (no busy loop) and bounds the wait.
     */
    static void runUntil(EventLoop loop, BooleanSupplier done, String what) {
        TimerWatcher guard = loop.timer(LIMIT, Duration.ZERO, (w, ev) -> {});
        guard.start();
        while (!done.getAsBoolean() && guard.isActive()) loop.runOnce();
        guard.stop();
        assertTrue(done.getAsBoolean(), "within " + LIMIT.toSeconds() + " s: " + what);
    }
}
