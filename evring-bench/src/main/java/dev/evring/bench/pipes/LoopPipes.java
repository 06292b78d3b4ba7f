package dev.evring.bench.pipes;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;

import java.util.SplittableRandom;

/**
 * What the evring rows of the pipes benchmark share, whichever I/O model moves the bytes: the loop (a callback that
 * throws ends the run, loudly), the optional timer per pipe, the pipe index by fd, and the chain bookkeeping of
 * libevent's bench (bytes read, bytes written, writes left, the run's time cap).
 */
abstract class LoopPipes implements PipeChains {
    private static final long TEN_SECONDS = 10_000_000_000L;

    private final Backend backend;
    EventLoop loop;
    int n;
    private int[] indexByFd;
    private TimerWatcher[] timers;
    private long count, fired, writes, deadline, checks;
    private Throwable failure;

    LoopPipes(Backend backend) {
        this.backend = backend;
    }

    /** Opens the loop; a callback that throws stops it and fails the run. */
    final void openLoop(int pipes) {
        n = pipes;
        loop = EventLoop.builder().backend(backend).exceptionHandler((w, error) -> {
            failure = error;
            loop.breakLoop(EventLoop.Break.ALL);
        }).open();
    }

    /** Indexes the read ends by fd and, with {@code timeouts}, makes a 10-11 s timer per pipe (never due in a run). */
    final void indexPipes(int[] readFds, boolean timeouts) {
        int maxFd = 0;
        for (int fd : readFds) maxFd = Math.max(maxFd, fd);
        indexByFd = new int[maxFd + 1];
        for (int i = 0; i < readFds.length; i++) indexByFd[readFds[i]] = i;
        if (!timeouts) return;
        timers = new TimerWatcher[readFds.length];
        SplittableRandom rnd = new SplittableRandom(42);
        Watcher.Callback<TimerWatcher> noop = (w, revents) -> { };
        for (int i = 0; i < timers.length; i++) {
            long t = TEN_SECONDS + rnd.nextLong(1_000_000_000L);
            timers[i] = loop.timer(t, t, noop);
        }
    }

    final int pipeOf(int readFd) {
        return indexByFd[readFd];
    }

    /** Arms what watches the pipes before a run (untimed). */
    void arm() {}

    /** Disarms it after a run (untimed). */
    void disarm() {}

    /** Puts one byte into pipe {@code pipe} to start a chain. */
    abstract void sendFirst(int pipe);

    @Override
    public final long[] run(int active, long numWrites, long capNanos) {
        arm();
        if (timers != null) for (TimerWatcher t : timers) t.again();
        loop.runNoWait(); // set-up pass: registrations reach the kernel, as libevent's bench does before timing
        int space = n / active;
        fired = 0;
        for (int i = 0; i < active; i++, fired++) sendFirst(i * space);
        count = 0;
        writes = numWrites;
        failure = null;
        long t0 = System.nanoTime();
        deadline = t0 + capNanos;
        while (count != fired && failure == null) loop.runOnce();
        long t1 = System.nanoTime();
        disarm();
        if (timers != null) for (TimerWatcher t : timers) t.stop();
        if (failure != null) throw new IllegalStateException("callback failed: " + failure, failure);
        return new long[] {count, t1 - t0};
    }

    /**
     * Accounts for {@code bytes} read from pipe {@code pipe} (one event each): pushes its timer back and returns how
     * many bytes to write to the next pipe, {@link #next(int)}. Past the run's time cap no more are written.
     */
    final long onBytes(int pipe, long bytes) {
        count += bytes;
        if (timers != null) timers[pipe].again();
        long forward = Math.min(bytes, writes);
        writes -= forward;
        fired += forward;
        if ((++checks & 63) == 0 && System.nanoTime() > deadline) writes = 0;
        return forward;
    }

    final int next(int pipe) {
        int w = pipe + 1;
        return w >= n ? w - n : w;
    }

    @Override
    public void close() {
        if (loop != null) loop.close();
    }
}
