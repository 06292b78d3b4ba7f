package dev.evring.bench.pipes;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;

import java.util.SplittableRandom;

/**
 * What the evring rows of the pipes benchmark share, whichever I/O model moves the bytes: the loop (a callback that
 * throws ends the run, loudly), the optional timer per pipe and the pipe index by fd; the run and its chain
 * bookkeeping are {@link ChainedPipes}'.
 */
abstract class LoopPipes extends ChainedPipes {
    private static final long TEN_SECONDS = 10_000_000_000L;

    private final Backend backend;
    EventLoop loop;
    private int[] indexByFd;
    private TimerWatcher[] timers;
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

    @Override
    void arm() {}

    @Override
    void disarm() {}

    /** Pushes every timer back, then one non-blocking pass: registrations reach the kernel, as libevent's bench does. */
    @Override
    final void setUpPass() {
        if (timers != null) for (TimerWatcher t : timers) t.again();
        loop.runNoWait();
    }

    @Override
    final void awaitEvents() {
        loop.runOnce();
    }

    @Override
    final boolean failed() {
        return failure != null;
    }

    @Override
    public final long[] run(int active, long numWrites, long capNanos) throws Exception {
        failure = null;
        long[] r = super.run(active, numWrites, capNanos);
        if (timers != null) for (TimerWatcher t : timers) t.stop();
        if (failure != null) throw new IllegalStateException("callback failed: " + failure, failure);
        return r;
    }

    /**
     * Accounts for {@code bytes} read from pipe {@code pipe} (one event each): pushes its timer back and returns how
     * many bytes to write to the next pipe (see {@link ChainedPipes#onBytes(long)}).
     */
    final long onBytes(int pipe, long bytes) {
        if (timers != null) timers[pipe].again();
        return onBytes(bytes);
    }

    @Override
    public void close() {
        if (loop != null) loop.close();
    }
}
