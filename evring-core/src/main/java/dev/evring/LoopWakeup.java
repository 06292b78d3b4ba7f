package dev.evring;

import dev.evring.backend.LoopBackend;
import dev.evring.uring.MessageTarget;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way other threads reach a loop (libev's {@code async_pending}, {@code pipe_write_wanted} and
 * {@code pipe_write_skipped}): a sender marks its source (an async watcher's flag, a caught signal, a task in the
 * queue of {@code execute}), then calls {@link #markPending()}; only the first sender since the loop last looked goes
 * on, and of those only one that finds the loop blocked (or about to block) in its backend wait makes the system call
 * that wakes it. Any thread, except where a method says "loop thread".
 *
 * <p>The handshake with the loop is a Dekker pair: the loop sets {@code wanted} before it reads {@code skipped} and
 * decides to block; a sender sets {@code skipped} before it reads {@code wanted} and decides to write. Both are
 * volatile, so at least one side sees the other: the loop does not block, or the sender writes.
 *
 * <p>How a sender that must wake the loop does it is chosen per calling thread: a thread that owns a loop with a
 * {@link WakeSender} (a message from its ring) asks it first; every other thread, and a sender that cannot reach this
 * loop, writes to the backend ({@link #wakeBackend()}: the eventfd).
 */
final class LoopWakeup {
    private static final int CLOSING_BIT = 1 << 30;
    private static final VarHandle RECEIVED;

    static {
        try {
            RECEIVED = MethodHandles.lookup().findVarHandle(LoopWakeup.class, "received", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final LoopBackend backend;
    /** Some source was marked since the loop last looked. */
    private final AtomicInteger pending = new AtomicInteger();
    /** The loop is in, or about to enter, its backend wait. */
    private final AtomicInteger wanted = new AtomicInteger();
    /** A sender skipped the system call; the loop must look without blocking. */
    private final AtomicInteger skipped = new AtomicInteger();
    /** Foreign threads inside backend.wakeup(), plus CLOSING_BIT once close began: close waits for them to leave. */
    private final AtomicInteger gate = new AtomicInteger();
    /**
     * How many embed watchers embed this loop (written on the loop's thread, read by senders): an embedded loop's
     * real wait is its host's, so a wakeup must always reach its backend fd, where the host watches.
     */
    private volatile int embedders;
    /** How many times a sender called backend.wakeup() (stats, and tests: "one system call per burst"). */
    private final AtomicInteger backendWakeups = new AtomicInteger();
    /** How many ring messages other loops posted to wake this one (stats). */
    private final AtomicInteger messages = new AtomicInteger();
    /** How many times the loop took a pending mark (written on the loop's thread with setOpaque; stats). */
    private long received;

    LoopWakeup(LoopBackend backend) {
        this.backend = backend;
    }

    /** Makes the loop look at its cross-thread sources; only the first caller since it last looked goes on to wake it. */
    void markPending() {
        if (pending.get() != 0 || pending.getAndSet(1) != 0) return; // the loop will look anyway
        wake();
    }

    /**
     * Wakes the loop if it is blocked in, or about to enter, its backend wait ({@code EventLoop.wakeup}): through the
     * calling thread's loop's {@link WakeSender} if it has one that reaches this loop, else through the backend.
     */
    void wake() {
        skipped.set(1);
        if (wanted.get() != 0 || embedders > 0) {
            skipped.set(0);
            if (embedders == 0) {
                WakeSender via = EventLoop.wakeSenderOfThisThread();
                if (via != null && via.wake(this)) return;
            }
            wakeBackend();
        }
    }

    /**
     * The loop's own wakeup channel, the backend's (an eventfd write): any thread, and what a {@link WakeSender} falls
     * back to when its message failed. Does nothing once close began.
     */
    void wakeBackend() {
        if ((gate.incrementAndGet() & CLOSING_BIT) == 0) {
            backendWakeups.incrementAndGet();
            backend.wakeup();
        }
        gate.decrementAndGet();
    }

    /**
     * Any thread: where a ring message wakes this loop instead of {@link #wakeBackend()} (the backend's
     * {@code wakeupTarget()}), or null. Read it after marking the work the loop is to look at.
     */
    MessageTarget messageTarget() {
        return backend.wakeupTarget();
    }

    /** A {@link WakeSender} posted a message to wake this loop (stats). */
    void messagePosted() {
        messages.incrementAndGet();
    }

    /** Any thread: whether close began (no wakeup reaches the backend any more). */
    boolean isShut() {
        return (gate.get() & CLOSING_BIT) != 0;
    }

    /** Loop thread, before the backend wait: returns whether it may block (no sender skipped its system call). */
    boolean enterWait() {
        wanted.set(1); // a sender that sees this writes to the backend instead of skipping
        return skipped.get() == 0;
    }

    /** Loop thread, after the backend wait: returns whether a sender skipped its system call meanwhile. */
    boolean leaveWait() {
        wanted.set(0);
        return skipped.get() != 0;
    }

    /**
     * Loop thread, after a wakeup or a skipped one: returns whether some source was marked; the caller then looks at
     * every source. Cleared before the caller looks, so a sender racing with the look wakes the loop once more.
     */
    boolean takePending() {
        skipped.set(0);
        if (pending.get() == 0) return false;
        pending.set(0);
        RECEIVED.setOpaque(this, received + 1);
        return true;
    }

    /** Any thread: how many times a sender called backend.wakeup(). */
    int backendWakeups() {
        return backendWakeups.get();
    }

    /** Any thread: how many ring messages other loops posted to wake this one. */
    int messages() {
        return messages.get();
    }

    /** Any thread: how many times the loop took a pending mark and looked at its cross-thread sources. */
    long received() {
        return (long) RECEIVED.getOpaque(this);
    }

    /** An embed watcher of another loop starts ({@code +1}) or stops ({@code -1}) embedding this loop. Loop thread. */
    void embedded(int delta) {
        embedders += delta;
    }

    /** Close: no sender calls backend.wakeup() after this returns (those inside it have left). Loop thread. */
    void shut() {
        if ((gate.getAndAdd(CLOSING_BIT) & ~CLOSING_BIT) != 0) {
            while ((gate.get() & ~CLOSING_BIT) != 0) Thread.onSpinWait();
        }
    }
}
