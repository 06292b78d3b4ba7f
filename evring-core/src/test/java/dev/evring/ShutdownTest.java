package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One loop's graceful shutdown ({@link EventLoop#shutdownGracefully}), on every backend: tasks queued before it run
 * first, the listeners are told once in order with the deadline, run() returns once drained or at the deadline.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class ShutdownTest extends LoopTestBase {

    @Test
    void listenersAreToldOnceInOrderAfterTheTasksQueuedBefore() {
        List<String> log = new ArrayList<>();
        EventLoop.ShutdownListener second = (l, d) -> log.add("second");
        EventLoop.ShutdownListener removed = (l, d) -> log.add("removed");
        loop.addShutdownListener((l, d) -> {
            assertSame(loop, l);
            log.add("first");
        });
        loop.addShutdownListener(removed);
        loop.addShutdownListener(second);
        loop.addShutdownListener((l, d) -> {
            throw new IllegalStateException("a listener that throws");
        });
        loop.addShutdownListener((l, d) -> log.add("after the thrower"));
        assertTrue(loop.removeShutdownListener(removed));
        assertFalse(loop.removeShutdownListener(removed));
        loop.execute(() -> log.add("task before"));
        assertFalse(loop.isShuttingDown());
        loop.shutdownGracefully(Duration.ofSeconds(10));
        loop.execute(() -> log.add("task after"));
        callbacksMayThrow = true;
        assertFalse(loop.run(), "nothing keeps the loop alive: run() returns at once, drained");
        assertTrue(loop.isShuttingDown());
        assertEquals(List.of("task before", "first", "second", "after the thrower", "task after"), log);
        assertEquals(1, thrown.size());
        assertEquals("a listener that throws", thrown.get(0).getMessage());
        // told once: a second request tells nobody again; a listener added now is told at the next iteration
        log.clear();
        loop.shutdownGracefully(Duration.ofSeconds(5));
        loop.addShutdownListener((l, d) -> log.add("late"));
        assertFalse(log.contains("late"), "not inside addShutdownListener");
        loop.run();
        assertEquals(List.of("late"), log);
        assertFalse(loop.removeShutdownListener(second), "told already");
    }

    @Test
    void runLastsWhileSomethingIsActiveUpToTheDeadline() {
        // drains: a timer that ends in 30 ms keeps run() going that long, and no longer
        long t0 = System.nanoTime(); // before the loop's time: the timer counts from that, so never ends before t0 + 30 ms
        loop.updateNow(); // timers count from the loop's time, taken when it opened
        loop.timer(Duration.ofMillis(30), Duration.ZERO, (w, ev) -> {}).start();
        loop.shutdownGracefully(Duration.ofSeconds(10));
        loop.run();
        long took = System.nanoTime() - t0;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(25) && took < TimeUnit.SECONDS.toNanos(5), took / 1_000_000 + " ms");
        assertEquals(0, loop.stats().active(), "the deadline timer gave back its share");
    }

    @Test
    void theDeadlineEndsRunWhatNeverDrains() {
        TimerWatcher forever = loop.timer(Duration.ofMillis(2), Duration.ofMillis(2), (w, ev) -> {});
        forever.start();
        long[] deadline = new long[1];
        loop.addShutdownListener((l, d) -> deadline[0] = d);
        long t0 = System.nanoTime();
        loop.shutdownGracefully(Duration.ofMillis(100));
        assertTrue(loop.run(), "broken out with the timer still active");
        long took = System.nanoTime() - t0;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(95) && took < TimeUnit.SECONDS.toNanos(5), took / 1_000_000 + " ms");
        assertTrue(forever.isActive());
        assertTrue(loop.now() >= deadline[0]);
        assertEquals(1, loop.stats().active(), "only the timer: the deadline's share is back");
        // an earlier request moves the deadline: zero breaks at once
        loop.shutdownGracefully(Duration.ZERO);
        t0 = System.nanoTime();
        loop.run();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
        forever.stop();
    }

    @Test
    void aLaterDeadlineChangesNothingAndAClosedLoopIgnoresTheRequest() {
        TimerWatcher forever = loop.timer(Duration.ofMillis(2), Duration.ofMillis(2), (w, ev) -> {});
        forever.start();
        loop.shutdownGracefully(Duration.ofMillis(50));
        loop.shutdownGracefully(Duration.ofHours(1));
        long t0 = System.nanoTime();
        loop.run();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "the first, shorter deadline held");
        assertThrows(IllegalArgumentException.class, () -> loop.shutdownGracefully(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> loop.shutdownGracefully(null));
        assertThrows(IllegalArgumentException.class, () -> loop.addShutdownListener(null));
        loop.close();
        loop.shutdownGracefully(Duration.ZERO); // nothing to do, nothing thrown
    }
}
