package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Timers on every backend: order, never early, no drift, again, remaining. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class TimerWatcherTest extends LoopTestBase {

    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void timersFireInDueOrder() {
        List<Integer> order = new ArrayList<>();
        int[] afters = {30, 10, 20, 5, 25, 15};
        for (int a : afters) loop.timer(a * MS, 0, (w, ev) -> order.add(a)).start();
        assertFalse(loop.run());
        assertEquals(List.of(5, 10, 15, 20, 25, 30), order);
    }

    @Test
    void timerNeverFiresEarly() {
        List<String> early = new ArrayList<>();
        long start = System.nanoTime();
        loop.updateNow();
        for (int a : new int[] {1, 2, 3, 7, 13, 20, 33}) {
            long after = a * MS + 300_000; // not a whole millisecond: the backend must round up, not down
            loop.timer(after, 0, (w, ev) -> {
                long elapsed = System.nanoTime() - start;
                if (elapsed < after) early.add(a + "ms timer fired after " + elapsed + "ns");
                if (loop.now() - start < after) early.add(a + "ms timer: now() " + (loop.now() - start) + "ns");
            }).start();
        }
        loop.run();
        assertEquals(List.of(), early);
    }

    @Test
    void repeatingTimerDoesNotDrift() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        TimerWatcher t = loop.timer(10 * MS, 10 * MS, (w, ev) -> fired.incrementAndGet());
        t.start();
        clock.advanceMillis(13); // the first firing is handled 3ms late
        loop.runNoWait();
        assertEquals(1, fired.get());
        assertEquals(7 * MS, t.remainingNanos(), "re-armed from its due time (10ms), not from when it ran (13ms)");
        clock.advanceMillis(6); // 19ms: a drifting timer (due at 23ms) and ours (due at 20ms) both wait
        loop.runNoWait();
        assertEquals(1, fired.get());
        clock.advance(MS + 1); // just past 20ms
        loop.runNoWait();
        assertEquals(2, fired.get());
        t.stop();
    }

    @Test
    void timerFallenBehindFiresOnceAndResumesFromNow() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        TimerWatcher t = loop.timer(10 * MS, 10 * MS, (w, ev) -> fired.incrementAndGet());
        t.start();
        clock.advanceMillis(55);
        loop.runNoWait();
        assertEquals(1, fired.get(), "one callback, not five");
        assertTrue(t.remainingNanos() <= 10 * MS && t.remainingNanos() >= 0, "remaining " + t.remainingNanos());
        t.stop();
    }

    @Test
    void timerDueExactlyNowWaitsForTheClockToPassIt() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        loop.timer(10 * MS, 0, (w, ev) -> fired.incrementAndGet()).start();
        clock.advance(10 * MS - 1);
        loop.runNoWait();
        assertEquals(0, fired.get(), "1ns early");
        clock.advance(2);
        loop.runNoWait();
        assertEquals(1, fired.get());
    }

    @Test
    void againPushesBackAnInactivityTimeout() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        TimerWatcher t = loop.timer(0, 100 * MS, (w, ev) -> fired.incrementAndGet());
        t.again(); // inactive, repeating: starts it with the repeat value
        assertTrue(t.isActive());
        assertEquals(100 * MS, t.remainingNanos());
        for (int i = 0; i < 5; i++) {
            clock.advanceMillis(60);
            loop.runNoWait();
            t.again(); // activity: push back
            assertEquals(100 * MS, t.remainingNanos());
        }
        assertEquals(0, fired.get());
        clock.advanceMillis(101);
        loop.runNoWait();
        assertEquals(1, fired.get());
        t.repeat(Duration.ZERO);
        t.again(); // not repeating any more: again stops it
        assertFalse(t.isActive());
    }

    @Test
    void againClearsAPendingExpiry() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        TimerWatcher t = loop.timer(0, 10 * MS, (w, ev) -> fired.incrementAndGet());
        t.feed(Events.TIMER);
        assertTrue(t.isPending());
        t.again();
        assertFalse(t.isPending());
        loop.runNoWait();
        assertEquals(0, fired.get());
        t.stop();
    }

    @Test
    void remainingCountsDown() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        TimerWatcher t = loop.timer(Duration.ofSeconds(5), Duration.ZERO, (w, ev) -> {});
        assertEquals(Duration.ofSeconds(5), t.remaining(), "inactive: its after");
        t.start();
        clock.advanceMillis(1500);
        loop.runNoWait();
        assertEquals(Duration.ofMillis(3500), t.remaining());
        t.stop();
    }

    @Test
    void startCountsFromTheLoopTimeAndSetRestartsAnActiveTimer() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        AtomicInteger fired = new AtomicInteger();
        TimerWatcher t = loop.timer(10 * MS, 0, (w, ev) -> fired.incrementAndGet());
        t.start();
        clock.advanceMillis(5);
        loop.runNoWait();
        t.set(Duration.ofMillis(20), Duration.ZERO);
        assertEquals(20 * MS, t.remainingNanos());
        t.stop();
        t.start();
        assertEquals(20 * MS, t.remainingNanos(), "start counts the full after again");
        t.stop();
    }

    @Test
    void stoppingAndRestartingTimersFromCallbacks() {
        List<String> log = new ArrayList<>();
        TimerWatcher[] b = new TimerWatcher[1];
        TimerWatcher a = loop.timer(5 * MS, 5 * MS, (w, ev) -> {
            log.add("a");
            if (log.size() == 3) {
                w.stop();
                b[0].start();
            }
        });
        b[0] = loop.timer(5 * MS, 0, (w, ev) -> {
            log.add("b");
            w.start(); // a one-shot restarting itself once
            if (log.size() > 4) w.stop();
        });
        a.start();
        loop.run();
        assertEquals(List.of("a", "a", "a", "b", "b"), log);
    }

    @Test
    void heapKeepsOrderUnderRandomStartsAndStops() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        Random rnd = new Random(42);
        int n = 2000;
        List<Long> fireTimes = new ArrayList<>();
        TimerWatcher[] ts = new TimerWatcher[n];
        for (int i = 0; i < n; i++) {
            long after = (1 + rnd.nextInt(1000)) * MS;
            ts[i] = loop.timer(after, 0, (w, ev) -> fireTimes.add(loop.now()));
            ts[i].start();
        }
        int stopped = 0;
        for (int i = 0; i < n; i += 3) {
            ts[i].stop();
            stopped++;
        }
        List<Long> dueTimes = new ArrayList<>();
        for (TimerWatcher t : ts) if (t.isActive()) dueTimes.add(loop.now() + t.remainingNanos());
        dueTimes.sort(null);
        for (int step = 0; step < 1100; step++) {
            clock.advanceMillis(1);
            loop.runNoWait();
        }
        assertEquals(n - stopped, fireTimes.size());
        for (int i = 0; i < fireTimes.size(); i++) {
            assertTrue(fireTimes.get(i) > dueTimes.get(i), "timer " + i + " fired at " + fireTimes.get(i) + " before due " + dueTimes.get(i));
        }
    }

    /** Issue 9 defect 3: set() on a timer whose expiry is pending must not fire that old expiry. */
    @Test
    void setOnAPendingTimerDropsItsOldExpiry() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        List<String> log = new ArrayList<>();
        // repeating, so still active when its expiry is pending (a one-shot timer is stopped as it expires)
        TimerWatcher late = loop.timer(10 * MS, 3600_000 * MS, (w, ev) -> log.add("late fired"));
        TimerWatcher first = loop.timer(10 * MS, 0, (w, ev) -> {
            log.add("first");
            assertTrue(late.isPending(), "both were due in this iteration");
            late.set(Duration.ofSeconds(10), Duration.ZERO);
            assertFalse(late.isPending());
        });
        first.priority(1);
        first.start();
        late.start();
        clock.advanceMillis(11);
        loop.runNoWait();
        assertEquals(List.of("first"), log, "the old expiry fired after set(10 s)");
        assertTrue(late.isActive());
        assertEquals(10_000 * MS, late.remainingNanos());
        clock.advance(10_000 * MS + 1);
        loop.runNoWait();
        assertEquals(List.of("first", "late fired"), log);
    }

    /** Issue 9 defect 9: libev fires a timer with a negative {@code after} at the next iteration; so does evring. */
    @Test
    void aNegativeAfterIsDueAtOnce() {
        List<String> fired = new ArrayList<>();
        loop.timer(Duration.ofSeconds(-5), Duration.ZERO, (w, ev) -> fired.add("duration")).start();
        loop.timer(-5_000_000_000L, 0, (w, ev) -> fired.add("nanos")).start();
        loop.timer(Long.MIN_VALUE, 0, (w, ev) -> fired.add("min")).start();
        loop.timer(Duration.ofSeconds(Long.MIN_VALUE), Duration.ZERO, (w, ev) -> fired.add("huge")).start();
        TimerWatcher reset = loop.timer(Duration.ofHours(1), Duration.ZERO, (w, ev) -> fired.add("set"));
        reset.start();
        reset.set(Duration.ofMillis(-1), Duration.ZERO);
        assertEquals(0, reset.remainingNanos(), "a negative after counts as 0");
        TimerWatcher nanos = loop.timer(Duration.ofHours(1), Duration.ZERO, (w, ev) -> fired.add("setNanos"));
        nanos.start();
        nanos.setNanos(-1_000_000, 0); // found by LoopModelTest: the restart used the unclamped value
        assertEquals(0, nanos.remainingNanos(), "a negative after counts as 0");
        loop.runNoWait();
        assertEquals(List.of("duration", "nanos", "min", "huge", "set", "setNanos"), fired);
    }

    /**
     * Issue 9 defect 9: timers due at the same time fire in the order they were started (libuv and the JDK promise it),
     * whatever the heap did with them meanwhile; a restart (again) goes behind the others of its time.
     */
    @Test
    void timersDueAtTheSameTimeFireInStartOrder() {
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        Random rnd = new Random(9);
        List<Integer> order = new ArrayList<>();
        List<Integer> expected = new ArrayList<>();
        List<TimerWatcher> others = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int id = i;
            loop.timer(50 * MS, 0, (w, ev) -> order.add(id)).start();
            expected.add(id);
            // timers of other deadlines started and stopped around them reshape the heap
            TimerWatcher o = loop.timer((1 + rnd.nextInt(100)) * MS, 0, (w, ev) -> {});
            o.start();
            others.add(o);
            if (rnd.nextBoolean()) others.remove(rnd.nextInt(others.size())).stop();
        }
        for (TimerWatcher o : others) o.stop();
        clock.advance(50 * MS + 1);
        loop.runNoWait();
        assertEquals(expected, order);

        // repeating ones keep their order period after period; again() sends one behind its peers
        order.clear();
        TimerWatcher[] rep = new TimerWatcher[5];
        for (int i = 0; i < rep.length; i++) {
            int id = i;
            rep[i] = loop.timer(10 * MS, 10 * MS, (w, ev) -> order.add(id));
            rep[i].start();
        }
        rep[1].again();
        clock.advance(10 * MS + 1);
        loop.runNoWait();
        clock.advance(10 * MS);
        loop.runNoWait();
        assertEquals(List.of(0, 2, 3, 4, 1, 0, 2, 3, 4, 1), order);
        for (TimerWatcher t : rep) t.stop();
    }
}
