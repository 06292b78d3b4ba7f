package dev.evring.backend;

import dev.evring.uring.MessageTarget;
import dev.evring.uring.RingOps;

/**
 * The contract between the loop and an I/O multiplexer, libev's: {@code modify(fd, old, new)} when the interest in an
 * fd changed, {@code poll(timeout)} to wait and report readiness, {@code wakeup()} from any thread, {@code close()}.
 *
 * <p>A backend owns the kernel-side registration state of every fd, and the generation counters that keep events of a
 * removed or replaced registration from reaching the loop. The loop guarantees that {@code modify} and {@code poll}
 * are called on its own thread, and that {@code wakeup} is never called once {@code close} has begun.
 */
public abstract class LoopBackend {
    protected final BackendHost host;

    protected LoopBackend(BackendHost host) {
        this.host = host;
    }

    /** Short name, as {@code EVRING_BACKEND} spells it: "io_uring", "epoll", "poll". */
    public abstract String name();

    /** What the backend is using, for {@code loop.backendDetails()} and {@code ./evring info}. */
    public String details() {
        return name();
    }

    /**
     * The loop's interest in {@code fd} changed from {@code oldEvents} to {@code newEvents} (either may be 0).
     * {@code refresh} is true when a watcher was (re)set on the fd since the last call, so the fd may now refer to
     * another file than the one registered: the backend must not assume its registration is still valid.
     */
    public abstract void modify(int fd, int oldEvents, int newEvents, boolean refresh);

    /**
     * Waits at most {@code timeoutNanos} (0: do not block) for readiness, and reports it through
     * {@link BackendHost#fdEvent}. Returns early on a wakeup. A wait cut short by a signal is not an error.
     */
    public abstract void poll(long timeoutNanos);

    /** Makes a current or the next {@link #poll} return soon. Thread-safe; never throws. */
    public abstract void wakeup();

    /** The shortest wait the backend can express; shorter non-zero waits are rounded up to it (libev's backend_mintime). */
    public abstract long minWaitNanos();

    /** The fd another loop can watch to learn that this one has events (for embedding), or -1 if there is none. */
    public int pollFd() {
        return -1;
    }

    /**
     * The ring operations for the layers above the loop, while this backend runs on an io_uring ring; null otherwise
     * (epoll, poll, or an io_uring backend that moved to epoll). Ask again after a ring reset: the answer may change.
     */
    public RingOps ringOps() {
        return null;
    }

    /**
     * Where other rings and threads can wake this loop through a ring message instead of {@link #wakeup()}'s
     * eventfd: a message with any payload to this target (from a loop's ring with {@code RingOps.postMessage}, from
     * any thread with {@code RingMessage.send}) makes the backend report {@link BackendHost#wakeupReceived()}, from the
     * loop's normal wait. Null where there is none (epoll, poll, a kernel without IORING_OP_MSG_RING, an io_uring
     * backend that moved to epoll, a closed backend). Any thread; no system call.
     *
     * <p>The target changes when the backend replaces its ring. A sender must mark what it wants the loop to look at
     * before it reads the target, and fall back to {@link #wakeup()} when the send fails: the backend publishes a new
     * target before it looks at its wakeup sources, so a message that went to the old ring is made good by that look.
     */
    public MessageTarget wakeupTarget() {
        return null;
    }

    /**
     * Copies what this backend counted since it opened into {@code into} at the indices {@link BackendCounters}
     * names, 0 where it has no such count. {@code into} is the caller's to keep and reuse: no allocation, no system
     * call. Exact on the loop's thread. Another thread may call it with an array of its own (EventLoop.stats() does,
     * after an acquire fence): the counters are plain {@code long} fields, which a 64-bit JVM reads whole, so it gets
     * each as the loop last stored it, possibly a few events apart from each other.
     *
     * @throws IllegalArgumentException if {@code into} is shorter than {@link BackendCounters#COUNT}
     */
    public final void counters(long[] into) {
        if (into.length < BackendCounters.COUNT) {
            throw new IllegalArgumentException("counters array of " + into.length + " elements, " + BackendCounters.COUNT + " needed");
        }
        java.util.Arrays.fill(into, 0, BackendCounters.COUNT, 0L);
        addCounters(into);
    }

    /** Adds this backend's counts to {@code into} (indices of {@link BackendCounters}). */
    protected abstract void addCounters(long[] into);

    /** Frees every kernel and native resource. */
    public abstract void close();
}
