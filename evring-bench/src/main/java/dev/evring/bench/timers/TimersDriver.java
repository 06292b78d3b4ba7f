package dev.evring.bench.timers;

import dev.evring.EventLoop;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.TimerTask;

import java.util.Locale;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The Java side of the timers benchmark: start, again (push back) and stop of COUNT timers, in ns per operation on
 * the calling thread, for evring's timer heap, the JDK's {@link ScheduledThreadPoolExecutor} and Netty's
 * {@link HashedWheelTimer}. Timeouts are 100-200 s so none fires during a run, and "again" and "stop" visit the
 * timers in the same stride permutation as native/timers_libev.c.
 *
 * <pre>  TimersDriver &lt;evring|stpe|hwt&gt; &lt;count&gt; &lt;repeats&gt; &lt;warmups&gt;</pre>
 */
public final class TimersDriver {
    private TimersDriver() {}

    /** The timeout of timer {@code i}, in nanoseconds: 100 s plus a spread of up to 100 s, as the C driver's. */
    static long afterNanos(long i) {
        return 100_000_000_000L + ((i * 7907) % 100_000) * 1_000_000L;
    }

    /** The order "again" and "stop" visit the timers in: a stride permutation (7919 is prime to 10^k). */
    static int visit(long i, int n) {
        return (int) ((i * 7919) % n);
    }

    /** The three operations, timed by the driver. */
    interface Timers extends AutoCloseable {
        void start(int i);

        void again(int i);

        void stop(int i);

        @Override
        void close();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: TimersDriver <evring|stpe|hwt> <count> <repeats> <warmups>");
            System.exit(2);
        }
        int n = Integer.parseInt(args[1]);
        int repeats = Integer.parseInt(args[2]);
        int warmups = Integer.parseInt(args[3]);
        try (Timers t = switch (args[0]) {
            case "evring" -> new EvringTimers(n);
            case "stpe" -> new StpeTimers(n);
            case "hwt" -> new WheelTimers(n);
            default -> throw new IllegalArgumentException("unknown timers implementation \"" + args[0] + "\"");
        }) {
            for (int r = 0; r < warmups + repeats; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) t.start(i);
                long t1 = System.nanoTime();
                for (int i = 0; i < n; i++) t.again(visit(i, n));
                long t2 = System.nanoTime();
                for (int i = 0; i < n; i++) t.stop(visit(i, n));
                long t3 = System.nanoTime();
                if (r >= warmups) {
                    System.out.printf(Locale.ROOT, "result start ns_per_op=%.2f%n", (double) (t1 - t0) / n);
                    System.out.printf(Locale.ROOT, "result again ns_per_op=%.2f%n", (double) (t2 - t1) / n);
                    System.out.printf(Locale.ROOT, "result stop ns_per_op=%.2f%n", (double) (t3 - t2) / n);
                }
                System.gc(); // the next run starts from a clean heap, whichever implementation left garbage
            }
        }
        System.out.println("done start");
        System.out.println("done again");
        System.out.println("done stop");
    }

    /** evring's 4-ary timer heap through the public API; the watchers are made once, outside the timed part. */
    static final class EvringTimers implements Timers {
        private final EventLoop loop = EventLoop.open();
        private final TimerWatcher[] w;

        EvringTimers(int n) {
            w = new TimerWatcher[n];
            Watcher.Callback<TimerWatcher> cb = (t, revents) -> { };
            for (int i = 0; i < n; i++) w[i] = loop.timer(afterNanos(i), afterNanos(i), cb);
        }

        public void start(int i) {
            w[i].start();
        }

        public void again(int i) {
            w[i].again();
        }

        public void stop(int i) {
            w[i].stop();
        }

        public void close() {
            loop.close();
        }
    }

    /** The JDK's answer: a one-thread ScheduledThreadPoolExecutor; "again" is cancel + schedule, as users write it. */
    static final class StpeTimers implements Timers {
        private final ScheduledThreadPoolExecutor exec = new ScheduledThreadPoolExecutor(1);
        private final ScheduledFuture<?>[] f;
        private final Runnable task = () -> { };

        StpeTimers(int n) {
            exec.setRemoveOnCancelPolicy(true); // cancel removes from the queue (O(log n)) instead of leaving garbage
            f = new ScheduledFuture<?>[n];
        }

        public void start(int i) {
            f[i] = exec.schedule(task, afterNanos(i), TimeUnit.NANOSECONDS);
        }

        public void again(int i) {
            f[i].cancel(false);
            f[i] = exec.schedule(task, afterNanos(i), TimeUnit.NANOSECONDS);
        }

        public void stop(int i) {
            f[i].cancel(false);
        }

        public void close() {
            exec.shutdownNow();
        }
    }

    /**
     * Netty's HashedWheelTimer with its defaults (100 ms ticks, 512 buckets). newTimeout and cancel only queue work
     * for the wheel's own thread, so the caller's time here leaves out the wheel's side, which runs on another CPU.
     */
    static final class WheelTimers implements Timers {
        private final HashedWheelTimer wheel = new HashedWheelTimer();
        private final Timeout[] t;
        private final TimerTask task = timeout -> { };

        WheelTimers(int n) {
            t = new Timeout[n];
            wheel.start();
        }

        public void start(int i) {
            t[i] = wheel.newTimeout(task, afterNanos(i), TimeUnit.NANOSECONDS);
        }

        public void again(int i) {
            t[i].cancel();
            t[i] = wheel.newTimeout(task, afterNanos(i), TimeUnit.NANOSECONDS);
        }

        public void stop(int i) {
            t[i].cancel();
        }

        public void close() {
            wheel.stop();
        }
    }
}
