package dev.evring;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop's JFR events ({@link LoopEvents}) appear in a recording when enabled, on every backend: iterations with
 * their wait and work time, a slow callback named by its watcher or task (and only the innermost one that was slow),
 * every loop's statistics once a period; callbacks are not timed while slow callbacks are off; the threshold option is
 * checked by value.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class LoopEventsTest extends LoopTestBase {
    @TempDir
    Path dir;

    @Test
    void enabledEventsAreRecordedWithWhatHappened() throws Exception {
        List<RecordedEvent> events;
        EventLoop slowLoop;
        Runnable slowTask;
        try (Recording r = new Recording()) {
            r.enable("dev.evring.LoopIteration").with("throttle", "off");
            r.enable("dev.evring.SlowCallback");
            r.enable("dev.evring.LoopStatistics").withPeriod(Duration.ofMillis(100));
            r.start();

            slowLoop = open(builder().option("loop.slow_callback_ms", "20"));
            boolean[] fired = {false};
            slowLoop.timer(Duration.ofMillis(10), Duration.ZERO, (w, ev) -> {
                Thread.sleep(40);
                fired[0] = true;
            }).start();
            runUntil(slowLoop, () -> fired[0]);
            boolean[] ran = {false};
            slowTask = () -> {
                sleep(40);
                ran[0] = true;
            };
            slowLoop.execute(slowTask);
            runUntil(slowLoop, () -> ran[0]);
            int[] quick = {0};
            slowLoop.timer(Duration.ZERO, Duration.ofMillis(1), (w, ev) -> quick[0]++).start();
            long end = System.nanoTime() + 350_000_000L; // a few statistics periods
            runUntil(slowLoop, () -> System.nanoTime() > end);

            r.stop();
            Path file = dir.resolve("loop.jfr");
            r.dump(file);
            events = RecordingFile.readAllEvents(file);
        }
        int id = slowLoop.metrics().id;

        List<RecordedEvent> slow = named(events, "dev.evring.SlowCallback").stream().filter(e -> e.getInt("loop") == id).toList();
        assertEquals(2, slow.size(), "the timer and the task, not the task queue around the task: " + slow);
        RecordedEvent timer = slow.getFirst();
        assertTrue(timer.getString("source").startsWith("TimerWatcher"), timer.toString());
        assertTrue(timer.getClass("callbackClass").getName().startsWith(LoopEventsTest.class.getName()), timer.toString());
        assertTrue(timer.getDuration("callbackTime").toMillis() >= 40, timer.toString());
        assertEquals(Duration.ofMillis(20), timer.getDuration("threshold"));
        RecordedEvent task = slow.getLast();
        assertEquals(slowTask.toString(), task.getString("source"));
        // a hidden class's name reads back with '.' for its '/'
        assertEquals(slowTask.getClass().getName().replace('/', '.'), task.getClass("callbackClass").getName());

        List<RecordedEvent> iterations = named(events, "dev.evring.LoopIteration").stream().filter(e -> e.getInt("loop") == id).toList();
        assertTrue(iterations.size() >= 100, iterations.size() + " iterations recorded");
        assertTrue(iterations.stream().anyMatch(e -> e.getDuration("waitTime").toMillis() >= 5), "no iteration that waited for the first timer");
        assertTrue(iterations.stream().anyMatch(e -> e.getDuration("workTime").toMillis() >= 40 && e.getInt("callbacks") >= 1),
                "no iteration that worked in the slow timer's callback");

        List<RecordedEvent> stats = named(events, "dev.evring.LoopStatistics").stream().filter(e -> e.getInt("loop") == id).toList();
        assertTrue(stats.size() >= 2, stats.toString());
        RecordedEvent last = stats.getLast();
        assertEquals(Thread.currentThread().getName(), last.getThread("loopThread").getJavaName());
        assertEquals(slowLoop.backend().id(), last.getString("backend"));
        assertTrue(last.getLong("iterations") >= 100 && last.getLong("systemCalls") >= 100 && last.getLong("callbacks") >= 100, last.toString());
        assertTrue(last.getDuration("workTime").toMillis() >= 80 && last.getDuration("waitTime").toMillis() >= 5, last.toString());
        assertTrue(stats.getFirst().getLong("iterations") <= last.getLong("iterations"));
        assertFalse(named(events, "dev.evring.LoopStatistics").stream().anyMatch(e -> e.getInt("loop") == loop.metrics().id + 1000));
    }

    @Test
    void callbacksAreNotTimedWhileSlowCallbacksAreOff() {
        try (Recording r = new Recording()) {
            r.disable("dev.evring.SlowCallback");
            r.start();
            loop.runNoWait();
            assertEquals(0, loop.metrics().start(), "a clock read per callback with the event off");
            r.stop();
        }
        try (Recording r = new Recording()) {
            r.enable("dev.evring.SlowCallback");
            r.start();
            loop.runNoWait();
            assertTrue(loop.metrics().start() != 0, "not timed with the event on");
            r.stop();
        }
        loop.runNoWait(); // no recording runs: off again
        assertEquals(0, loop.metrics().start());
    }

    @Test
    void aBadThresholdIsRefusedByValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> open(builder().option("loop.slow_callback_ms", "-1")));
        assertTrue(e.getMessage().contains("loop.slow_callback_ms=-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> open(builder().option("loop.slow_callback_ms", "soon")));
        assertTrue(e.getMessage().contains("loop.slow_callback_ms=soon"), e.getMessage());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }
}
