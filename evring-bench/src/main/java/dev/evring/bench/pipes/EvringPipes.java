package dev.evring.bench.pipes;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;
import dev.evring.linux.Libc;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * The pipes benchmark on an evring loop in readiness mode: an {@link IoWatcher} per read end, read(2)/write(2) in the
 * callback, and with timeouts a {@link TimerWatcher} per pipe pushed back with {@code again()} on every event (libev's
 * idle-timeout idiom). One callback object serves every watcher; the pipe's index comes from a table by fd.
 */
final class EvringPipes implements PipeChains, Watcher.Callback<IoWatcher> {
    private static final long TEN_SECONDS = 10_000_000_000L;

    private final Backend backend;
    private EventLoop loop;
    private Arena arena;
    private MemorySegment callState;
    private MemorySegment buf;
    private Socketpairs fds;
    private int[] indexByFd;
    private IoWatcher[] watchers;
    private TimerWatcher[] timers;
    private int n;
    private long count, fired, writes, deadline;
    private Throwable failure;

    EvringPipes(Backend backend) {
        this.backend = backend;
    }

    @Override
    public void open(int pipes, boolean timeouts) {
        n = pipes;
        loop = EventLoop.builder().backend(backend).exceptionHandler((w, error) -> {
            failure = error;
            loop.breakLoop(EventLoop.Break.ALL);
        }).open();
        arena = Arena.ofConfined();
        callState = Libc.allocateCallState(arena);
        buf = arena.allocate(8);
        buf.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 'e');
        fds = new Socketpairs(pipes);
        int maxFd = 0;
        for (int i = 0; i < pipes; i++) maxFd = Math.max(maxFd, fds.read[i]);
        indexByFd = new int[maxFd + 1];
        watchers = new IoWatcher[pipes];
        timers = timeouts ? new TimerWatcher[pipes] : null;
        SplittableRandom rnd = new SplittableRandom(42);
        Watcher.Callback<TimerWatcher> noop = (w, revents) -> { };
        for (int i = 0; i < pipes; i++) {
            indexByFd[fds.read[i]] = i;
            watchers[i] = loop.io(fds.read[i], Events.READ, this);
            if (timeouts) {
                long t = TEN_SECONDS + rnd.nextLong(1_000_000_000L);
                timers[i] = loop.timer(t, t, noop); // 10-11 s: never due within a run
            }
        }
    }

    @Override
    public long[] run(int active, long numWrites, long capNanos) {
        for (int i = 0; i < n; i++) {
            watchers[i].start();
            if (timers != null) timers[i].again();
        }
        loop.runNoWait(); // set-up pass: registers the fds with the backend, as libevent's bench does
        int space = n / active;
        fired = 0;
        for (int i = 0; i < active; i++, fired++) writeByte(fds.write[i * space]);
        count = 0;
        writes = numWrites;
        failure = null;
        long t0 = System.nanoTime();
        deadline = t0 + capNanos;
        while (count != fired && failure == null) loop.runOnce();
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            watchers[i].stop();
            if (timers != null) timers[i].stop();
        }
        if (failure != null) throw new IllegalStateException("callback failed: " + failure, failure);
        return new long[] {count, t1 - t0};
    }

    @Override
    public void onEvent(IoWatcher w, int revents) {
        int fd = w.fd();
        int idx = indexByFd[fd];
        long r = Unistd.read(callState, fd, buf, 1);
        if (r != 1) throw new IllegalStateException("read(" + fd + ") returned " + r);
        count++;
        if (timers != null) timers[idx].again();
        if (writes > 0) {
            int widx = idx + 1;
            if (widx >= n) widx -= n;
            writeByte(fds.write[widx]);
            writes--;
            fired++;
        }
        if ((count & 63) == 0 && System.nanoTime() > deadline) writes = 0;
    }

    private void writeByte(int fd) {
        long r = Unistd.write(callState, fd, buf, 1);
        if (r != 1) throw new IllegalStateException("write(" + fd + ") returned " + r);
    }

    @Override
    public void close() {
        if (loop != null) loop.close();
        if (fds != null) fds.close();
        if (arena != null) arena.close();
    }
}
