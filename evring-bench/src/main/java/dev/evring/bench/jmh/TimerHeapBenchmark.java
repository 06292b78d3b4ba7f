package dev.evring.bench.jmh;

import dev.evring.EventLoop;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.SplittableRandom;

/**
 * The timer heap's hot operations through the public API, against a heap of {@code size} active timers: pushing a
 * timer back ({@code again}, the idle-timeout idiom: one re-key) and starting then stopping one more timer (an
 * insert and a remove). No system call is involved: this is the heap and the watcher bookkeeping alone.
 */
@State(Scope.Thread)
public class TimerHeapBenchmark {
    @Param({"1000", "100000"})
    public int size;

    private EventLoop loop;
    private TimerWatcher[] timers;
    private TimerWatcher extra;
    private int next;
    private int mask;
    /** The loop's clock: advanced by 1 us per operation so every again() really moves its timer in the heap. */
    private long time;

    @Setup(Level.Trial)
    public void setUp() {
        loop = EventLoop.builder().clock(new EventLoop.Clock() {
            @Override
            public long monotonicNanos() {
                return time;
            }

            @Override
            public long realtimeNanos() {
                return time;
            }
        }).open();
        int n = Integer.highestOneBit(size);
        mask = n - 1;
        timers = new TimerWatcher[n];
        SplittableRandom rnd = new SplittableRandom(7);
        Watcher.Callback<TimerWatcher> cb = (w, revents) -> { };
        for (int i = 0; i < n; i++) {
            long after = 100_000_000_000L + rnd.nextLong(100_000_000_000L); // 100-200 s: never due
            timers[i] = loop.timer(after, after, cb);
            timers[i].start();
        }
        extra = loop.timer(150_000_000_000L, 0, cb);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        loop.close();
    }

    /**
     * Re-keys one timer of the heap to now + its repeat (libev's ev_timer_again), 1 us later than the previous
     * operation, as a server pushing back idle timeouts does. Includes reading the (fake) clock.
     */
    @Benchmark
    public void again() {
        time += 1_000;
        loop.updateNow();
        timers[next++ & mask].again();
    }

    /** Inserts one timer into the populated heap and removes it again. */
    @Benchmark
    public void startStop() {
        extra.start();
        extra.stop();
    }
}
