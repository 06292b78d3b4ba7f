package dev.evring.backend;

import dev.evring.linux.Errno;
import dev.evring.linux.EventFd;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An eventfd that other threads write to wake the loop: the wakeup channel of the epoll and poll backends (and the
 * io_uring backend's fallback). The loop drains it when it reports readable.
 */
public final class EventFdWakeup {
    private static final java.lang.invoke.VarHandle SIGNALS;
    static {
        try {
            SIGNALS = java.lang.invoke.MethodHandles.lookup().findVarHandle(EventFdWakeup.class, "signals", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int fd;
    /** {@link #signal()} calls, from any thread: the loop's "wakeups sent". */
    @SuppressWarnings("unused") // through SIGNALS
    private volatile long signals;
    /**
     * 8 bytes holding 1, written from any thread. Global and never written after initialisation, so every loop and
     * thread can share it: a segment of a loop's confined arena could not be passed to a downcall on another thread.
     */
    private static final MemorySegment ONE = Arena.global().allocate(ValueLayout.JAVA_LONG);
    static {
        ONE.set(ValueLayout.JAVA_LONG, 0, 1L);
    }
    /** Where drained counters go; their value is never read, so all loops share it too. */
    private static final MemorySegment DRAIN = Arena.global().allocate(ValueLayout.JAVA_LONG);

    public EventFdWakeup(MemorySegment callState) {
        this(callState, true);
    }

    /**
     * {@code nonBlocking} false makes a blocking eventfd: the io_uring backend reads it with IORING_OP_READ, which
     * waits for a write only on a blocking file (on an O_NONBLOCK one it completes at once with -EAGAIN). Such an fd
     * is drained only when known readable.
     */
    public EventFdWakeup(MemorySegment callState, boolean nonBlocking) {
        int flags = EventFd.EFD_CLOEXEC | (nonBlocking ? EventFd.EFD_NONBLOCK : 0);
        int r = EventFd.eventfd(callState, 0, flags);
        this.fd = Errno.check(r, nonBlocking ? "eventfd(0, EFD_CLOEXEC|EFD_NONBLOCK)" : "eventfd(0, EFD_CLOEXEC)");
    }

    public int fd() {
        return fd;
    }

    /** Any thread. A full counter (EAGAIN) already means "wake up", so failures are ignored. */
    public void signal() {
        SIGNALS.getAndAdd(this, 1L); // beside the write(2) it precedes, an atomic add is noise
        Unistd.writeIgnoringErrno(fd, ONE, 8);
    }

    /** How many times {@link #signal()} was called so far. */
    public long signals() {
        return signals;
    }

    /** Loop thread: resets the counter so the fd stops reporting readable. */
    public void drain(MemorySegment callState) {
        Unistd.read(callState, fd, DRAIN, 8);
    }

    public void close(MemorySegment callState) {
        Unistd.close(callState, fd);
    }
}
