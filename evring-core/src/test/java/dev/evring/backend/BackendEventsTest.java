package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.ChildJvm;
import dev.evring.EventLoop;
import dev.evring.LoopVariants;
import dev.evring.LoopTestBase;
import dev.evring.uring.RingFaults;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The io_uring backend's JFR events ({@link BackendEvents}) appear in a recording when enabled, with what happened:
 * poll batches, a CQ overflow flushed in, completions dropped, a ring rebuilt and a move to epoll (the last three
 * forced through {@link RingFaults}, as on a kernel without IORING_FEAT_NODROP).
 */
class BackendEventsTest {
    final IoUringFixture fixture = new IoUringFixture();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void enabledEventsAreRecordedWithWhatHappened() throws Exception {
        List<RecordedEvent> events;
        try (Recording r = new Recording()) {
            r.enable("dev.evring.RingBatch").with("throttle", "off");
            r.enable("dev.evring.CqOverflow");
            r.enable("dev.evring.RingRebuild");
            r.start();

            EventLoop loop = fixture.open(LoopVariants.ioUring().getFirst());
            AtomicInteger calls = fixture.readyWatchers(loop, 5);
            RingFaults.overflowFlag(2); // the kernel holds CQEs that did not fit: two flush rounds
            LoopTestBase.runUntil(loop, () -> calls.get() == 5);
            RingFaults.clear();
            loop.updateNow(); // else the timer counts from the loop's last iteration, and may be due already
            loop.timer(Duration.ofMillis(5), Duration.ZERO, (w, ev) -> {}).start();
            loop.runOnce(); // nothing ready: a poll that waits

            // A kernel without NODROP: ready fds through a 4-entry CQ drop completions, and the ring is rebuilt at 8
            // entries; where the kernel's size limit (faked) is 4 already, the loop moves to epoll instead.
            RingFaults.withoutNodrop();
            RingFaults.maxCqEntries(8);
            EventLoop rebuilt = fixture.open(LoopVariants.ioUring().getFirst(), "io_uring.sq_entries", "4", "io_uring.cq_entries", "4");
            AtomicInteger rebuiltCalls = fixture.readyWatchers(rebuilt, 16);
            LoopTestBase.runUntil(rebuilt, () -> rebuiltCalls.get() == 16);
            assertTrue(IoUringFixture.backend(rebuilt).ringAvailable());
            RingFaults.maxCqEntries(4);
            EventLoop moved = fixture.open(LoopVariants.ioUring().getFirst(), "io_uring.sq_entries", "4", "io_uring.cq_entries", "4");
            AtomicInteger movedCalls = fixture.readyWatchers(moved, 16);
            LoopTestBase.runUntil(moved, () -> movedCalls.get() == 16);
            assertFalse(IoUringFixture.backend(moved).ringAvailable(), "the loop did not move to epoll: " + moved.backendDetails());

            r.stop();
            Path file = dir.resolve("evring.jfr");
            r.dump(file);
            events = RecordingFile.readAllEvents(file);
        }
        List<RecordedEvent> batches = named(events, "dev.evring.RingBatch");
        assertTrue(batches.stream().anyMatch(e -> e.getLong("cqes") >= 1 && e.getLong("enters") >= 1 && e.getLong("sqes") >= 1),
                "no batch reaped, entered and submitted: " + batches);
        assertTrue(batches.stream().anyMatch(e -> e.getLong("waitNanos") > 0), "no batch that could wait: " + batches);

        List<RecordedEvent> overflows = named(events, "dev.evring.CqOverflow");
        assertTrue(overflows.stream().anyMatch(e -> !e.getBoolean("dropped") && e.getInt("flushRounds") == 2), overflows.toString());
        assertTrue(overflows.stream().anyMatch(e -> e.getBoolean("dropped") && e.getInt("cqEntries") == 4), overflows.toString());

        List<RecordedEvent> rebuilds = named(events, "dev.evring.RingRebuild");
        assertEquals(2, rebuilds.size(), rebuilds.toString());
        RecordedEvent rebuilt = rebuilds.getFirst();
        assertFalse(rebuilt.getBoolean("movedToEpoll"));
        assertEquals(4, rebuilt.getInt("oldCqEntries"));
        assertEquals(8, rebuilt.getInt("newCqEntries"));
        assertTrue(rebuilt.getString("reason").contains("dropped"), rebuilt.getString("reason"));
        RecordedEvent toEpoll = rebuilds.getLast();
        assertTrue(toEpoll.getBoolean("movedToEpoll"));
        assertEquals(4, toEpoll.getInt("oldCqEntries"));
        assertEquals(0, toEpoll.getInt("newCqEntries"));
        assertTrue(toEpoll.getString("reason").contains("no ring larger than"), toEpoll.getString("reason"));
    }

    /** The README's recipe, from the start of a JVM: every poll of a loop's 200 timer ticks is in the recording. */
    @Test
    void theReadmeRecipeRecordsEveryPollOfALoop() throws Exception {
        LoopVariants.ioUring().getFirst().builder(); // skips, saying why, where io_uring cannot open
        Path file = dir.resolve("evring.jfr");
        ChildJvm.Result r = ChildJvm.run(List.of("-XX:StartFlightRecording:filename=" + file + ",+dev.evring.RingBatch#throttle=off"),
                TickingLoop.class);
        assertEquals(0, r.exit(), r.output());
        List<RecordedEvent> batches = named(RecordingFile.readAllEvents(file), "dev.evring.RingBatch");
        assertTrue(batches.size() >= TickingLoop.TICKS, batches.size() + " batches for " + TickingLoop.TICKS + " ticks");
    }

    /** An io_uring loop whose 1 ms timer ticks {@link #TICKS} times. */
    public static final class TickingLoop {
        static final int TICKS = 200;

        public static void main(String[] args) {
            try (EventLoop loop = EventLoop.builder().backend(Backend.IO_URING).open()) {
                int[] n = {0};
                loop.timer(Duration.ofMillis(1), Duration.ofMillis(1), (w, ev) -> {
                    if (++n[0] == TICKS) w.stop();
                }).start();
                loop.run();
            }
        }
    }

    @Test
    void aDisabledBatchEventIsNotEvenMade() throws Exception {
        try (Recording r = new Recording()) {
            r.enable("dev.evring.CqOverflow");
            r.disable("dev.evring.RingBatch");
            r.start();
            assertFalse(BackendEvents.batchEnabled(), "RingBatch is disabled in the only recording");
            r.stop();
        }
    }

    static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }
}
