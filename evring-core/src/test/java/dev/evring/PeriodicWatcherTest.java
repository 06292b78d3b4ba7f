package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Periodic watchers in libev's three modes, and wall-clock jumps, on every backend (a ManualClock drives time). */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class PeriodicWatcherTest extends LoopTestBase {

    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    static final long SEC = TimeUnit.SECONDS.toNanos(1);

    @Test
    void absolutePeriodicFiresOnceWhenTheWallClockPassesItsTime() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        long at = loop.realtimeNanos() + 10 * SEC;
        PeriodicWatcher p = loop.periodic(at, 0, (w, ev) -> {
            assertEquals(Events.PERIODIC, ev);
            fired.incrementAndGet();
        });
        p.start();
        assertEquals(at, p.atNanos());
        clock.advance(10 * SEC);
        loop.runNoWait();
        assertEquals(0, fired.get(), "due exactly now: waits for the clock to pass it");
        clock.advance(1);
        loop.runNoWait();
        assertEquals(1, fired.get());
        assertFalse(p.isActive(), "absolute: stopped after firing");
        clock.advance(100 * SEC);
        loop.runNoWait();
        assertEquals(1, fired.get());
    }

    @Test
    void absolutePeriodicFollowsTheWallClockWhenItIsSetForward() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        AtomicInteger timerFired = new AtomicInteger();
        loop.periodic(Instant.ofEpochSecond(0, loop.realtimeNanos() + 3600 * SEC), (w, ev) -> fired.incrementAndGet()).start();
        loop.timer(Duration.ofMinutes(30), Duration.ZERO, (w, ev) -> timerFired.incrementAndGet()).start();
        clock.jumpRealtime(3600 * SEC + MS); // someone sets the clock an hour forward
        loop.runNoWait();
        assertEquals(1, fired.get(), "the wall clock is past its time");
        assertEquals(0, timerFired.get(), "timers run on the monotonic clock: no jump for them");
    }

    @Test
    void intervalPeriodicFiresAtOffsetPlusMultiplesOfTheInterval() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        long rt0 = loop.realtimeNanos(); // ManualClock starts on a whole day
        List<Long> firedAt = new ArrayList<>();
        PeriodicWatcher p = loop.periodic(Duration.ofSeconds(3), Duration.ofSeconds(10),
                (w, ev) -> firedAt.add(loop.realtimeNanos() - rt0));
        p.start();
        assertEquals(rt0 + 3 * SEC, p.atNanos(), "first point: offset 3s past the whole 10s");
        clock.advance(3 * SEC + 1);
        loop.runNoWait();
        assertEquals(rt0 + 13 * SEC, p.atNanos());
        clock.advance(17 * SEC); // handled 7s late (at 20s): the next point is still 23s, not 27s
        loop.runNoWait();
        assertEquals(rt0 + 23 * SEC, p.atNanos(), "no drift: the schedule ignores when callbacks ran");
        clock.advance(45 * SEC); // fell behind by several points: fires once, resumes at the next one ahead
        loop.runNoWait();
        assertEquals(List.of(3 * SEC + 1, 20 * SEC + 1, 65 * SEC + 1), firedAt);
        assertEquals(rt0 + 73 * SEC, p.atNanos());
    }

    @Test
    void intervalPeriodicIsRescheduledWhenTheWallClockJumps() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        long rt0 = loop.realtimeNanos();
        AtomicInteger fired = new AtomicInteger();
        PeriodicWatcher p = loop.periodic(Duration.ZERO, Duration.ofMinutes(1), (w, ev) -> fired.incrementAndGet());
        p.start();
        assertEquals(rt0 + 60 * SEC, p.atNanos());
        clock.jumpRealtime(-3600 * SEC + 20 * SEC); // clock set back by 59m40s: now rt0 - 3580s
        loop.runNoWait();
        assertEquals(0, fired.get());
        assertEquals(rt0 - 3540 * SEC, p.atNanos(), "the next full minute of the new time, not an hour away");
        clock.advance(40 * SEC + 1);
        loop.runNoWait();
        assertEquals(1, fired.get());
    }

    @Test
    void smallClockDriftIsNotAJump() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger calls = new AtomicInteger();
        long[] answer = {loop.realtimeNanos() + 100 * SEC};
        loop.periodic((w, now) -> {
            calls.incrementAndGet();
            return answer[0];
        }, (w, ev) -> {}).start();
        assertEquals(1, calls.get(), "asked once at start");
        clock.jumpRealtime(900 * MS); // less than a second between two looks: drift, not a jump
        loop.runNoWait();
        assertEquals(1, calls.get());
        clock.jumpRealtime(-1100 * MS); // a second or more: a jump
        loop.runNoWait();
        assertEquals(2, calls.get(), "a jump asks the reschedule function again");
    }

    @Test
    void rescheduleFunctionDecidesEveryNextTime() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        List<Long> asked = new ArrayList<>();
        AtomicInteger fired = new AtomicInteger();
        // fire 1s, then 2s, then 3s ... after the previous time
        PeriodicWatcher p = loop.periodic((w, now) -> {
            asked.add(now);
            return now + asked.size() * SEC;
        }, (w, ev) -> fired.incrementAndGet());
        long rt0 = loop.realtimeNanos();
        p.start();
        assertEquals(rt0 + SEC, p.atNanos());
        clock.advance(SEC + 1);
        loop.runNoWait();
        assertEquals(1, fired.get());
        assertEquals(rt0 + SEC + 1 + 2 * SEC, p.atNanos());
        assertEquals(List.of(rt0, rt0 + SEC + 1), asked);
        clock.advance(2 * SEC + 1);
        loop.runNoWait();
        assertEquals(2, fired.get());
    }

    @Test
    void rescheduleFunctionAnsweringThePastIsStoppedAndReported() {
        ManualClock clock = new ManualClock();
        List<Throwable> errors = new ArrayList<>();
        EventLoop loop = open(builder().clock(clock).exceptionHandler((w, e) -> errors.add(e)));
        AtomicInteger fired = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        PeriodicWatcher p = loop.periodic((w, now) -> calls.incrementAndGet() == 1 ? now + SEC : now - SEC,
                (w, ev) -> fired.incrementAndGet());
        p.start();
        clock.advance(2 * SEC);
        loop.runNoWait();
        assertEquals(1, fired.get(), "it was due: it fires");
        assertFalse(p.isActive(), "then stops instead of firing forever");
        assertEquals(1, errors.size());
        assertInstanceOf(IllegalStateException.class, errors.get(0));
        assertTrue(errors.get(0).getMessage().contains("before the loop's wall-clock time"), errors.get(0).getMessage());
        assertFalse(loop.runNoWait(), "nothing keeps the loop alive any more");
    }

    @Test
    void rescheduleFunctionMayNotStartOrStopPeriodics() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        PeriodicWatcher other = loop.periodic(Duration.ZERO, Duration.ofSeconds(1), (w, ev) -> {});
        PeriodicWatcher p = loop.periodic((w, now) -> {
            other.start();
            return now + SEC;
        }, (w, ev) -> {});
        IllegalStateException e = assertThrows(IllegalStateException.class, p::start);
        assertTrue(e.getMessage().contains("reschedule function"), e.getMessage());
        assertFalse(p.isActive());
        assertFalse(other.isActive());
    }

    @Test
    void aPeriodicBoundsTheLoopsWait() {
        AtomicInteger fired = new AtomicInteger();
        long[] lateBy = new long[1];
        long due = loop.realtimeNanos() + 30 * MS;
        loop.periodic(due, 0, (w, ev) -> {
            fired.incrementAndGet();
            lateBy[0] = EventLoop.Clock.SYSTEM.realtimeNanos() - due;
        }).start();
        long start = System.nanoTime();
        loop.run();
        assertEquals(1, fired.get());
        assertTrue(lateBy[0] >= 0, "fired " + -lateBy[0] + "ns early by the wall clock");
        assertTrue(System.nanoTime() - start < 5 * SEC, "the loop waited for the periodic, not for MAX_BLOCK");
    }

    @Test
    void badIntervalsAreRefusedByValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.periodic(0, -5, (w, ev) -> {}));
        assertTrue(e.getMessage().contains("-5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> loop.periodic(0, 10, (w, ev) -> {}));
        assertTrue(e.getMessage().contains("10ns"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.periodic(Duration.ZERO, Duration.ZERO, (w, ev) -> {}));
        assertThrows(IllegalArgumentException.class, () -> loop.periodic((PeriodicWatcher.Reschedule) null, (w, ev) -> {}));
    }

    @Test
    void changingModesOfAnActivePeriodicRestartsIt() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        long rt0 = loop.realtimeNanos();
        PeriodicWatcher p = loop.periodic(rt0 + 5 * SEC, 0, (w, ev) -> {});
        p.start();
        p.set(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertTrue(p.isActive());
        assertEquals(rt0 + SEC, p.atNanos());
        p.set((w, now) -> now + 7 * SEC);
        assertEquals(rt0 + 7 * SEC, p.atNanos());
        p.set(Instant.ofEpochSecond(0, rt0 + 9 * SEC));
        assertEquals(rt0 + 9 * SEC, p.atNanos());
        assertEquals(null, p.reschedule());
        p.stop();
        assertFalse(p.isActive());
    }

    /** Issue 9 defect 3, for periodics: set() and again() on a pending periodic drop its old time. */
    @Test
    void setAndAgainOnAPendingPeriodicDropTheOldTime() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        long rt = loop.realtimeNanos();
        long hour = 3600 * SEC;
        List<String> log = new ArrayList<>();
        // interval periodics due at rt + 1 s (then every hour): they stay active when they fire
        PeriodicWatcher a = loop.periodic(rt + SEC, hour, (w, ev) -> log.add("a"));
        PeriodicWatcher b = loop.periodic(rt + SEC, hour, (w, ev) -> log.add("b"));
        PeriodicWatcher first = loop.periodic(rt + SEC, 0, (w, ev) -> {
            log.add("first");
            assertTrue(a.isPending() && b.isPending(), "all three were due in this iteration");
            a.setNanos(rt + 100 * SEC, hour);
            b.again();
            assertFalse(a.isPending() || b.isPending());
        });
        first.priority(1);
        first.start();
        a.start();
        b.start();
        clock.advance(2 * SEC);
        loop.runNoWait();
        assertEquals(List.of("first"), log, "an old time fired after set() or again()");
        assertTrue(a.isActive() && b.isActive());
        assertEquals(rt + 100 * SEC, a.atNanos());
    }

    /** Issue 9 defect 9: a wall-clock time already past is due at once. */
    @Test
    void anAbsoluteTimeInThePastFiresAtTheNextIteration() {
        List<String> fired = new ArrayList<>();
        loop.periodic(Instant.now().minusSeconds(3600), (w, ev) -> fired.add("instant")).start();
        loop.periodic(loop.realtimeNanos() - 5 * SEC, 0, (w, ev) -> fired.add("nanos")).start();
        loop.periodic(Duration.ofSeconds(-7), Duration.ofHours(1), (w, ev) -> fired.add("never now")).start();
        loop.runNoWait();
        assertEquals(List.of("instant", "nanos"), fired);
    }
}
