package dev.evring.bench.pipes;

import dev.evring.Backend;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The pipes benchmark on an evring loop in readiness mode: an {@link IoWatcher} per read end, read(2)/write(2) in the
 * callback, and with timeouts a {@link TimerWatcher} per pipe pushed back with {@code again()} on every event (libev's
 * idle-timeout idiom). One callback object serves every watcher; the pipe's index comes from a table by fd.
 */
final class EvringPipes extends LoopPipes implements Watcher.Callback<IoWatcher> {
    private Arena arena;
    private MemorySegment buf;
    private Socketpairs fds;
    private IoWatcher[] watchers;

    EvringPipes(Backend backend) {
        super(backend);
    }

    @Override
    public void open(int pipes, boolean timeouts) {
        openLoop(pipes);
        arena = Arena.ofConfined();
        buf = arena.allocate(8);
        buf.set(ValueLayout.JAVA_BYTE, 0, (byte) 'e');
        fds = new Socketpairs(pipes);
        indexPipes(fds.read, timeouts);
        watchers = new IoWatcher[pipes];
        for (int i = 0; i < pipes; i++) watchers[i] = loop.io(fds.read[i], Events.READ, this);
    }

    @Override
    void arm() {
        for (IoWatcher w : watchers) w.start();
    }

    @Override
    void disarm() {
        for (IoWatcher w : watchers) w.stop();
    }

    @Override
    void sendFirst(int pipe) {
        writeByte(fds.write[pipe]);
    }

    @Override
    public void onEvent(IoWatcher w, int revents) {
        int fd = w.fd();
        long r = Syscalls.read(fd, buf, 1);
        if (r != 1) throw new IllegalStateException("read(" + fd + ") returned " + r);
        int pipe = pipeOf(fd);
        if (onBytes(pipe, 1) > 0) writeByte(fds.write[next(pipe)]);
    }

    private void writeByte(int fd) {
        long r = Syscalls.write(fd, buf, 1);
        if (r != 1) throw new IllegalStateException("write(" + fd + ") returned " + r);
    }

    @Override
    public void close() {
        super.close();
        if (fds != null) fds.close();
        if (arena != null) arena.close();
    }
}
