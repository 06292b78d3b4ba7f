package dev.evring;

/**
 * A loop's own way to wake other loops from its thread, in place of their backend wakeup: where both run on io_uring
 * and the kernel has IORING_OP_MSG_RING, a message from the sender's ring lands as a CQE in the target's ring, so the
 * sender writes no eventfd (the message rides along with its next io_uring_enter) and the target learns of it in its
 * normal wait.
 *
 * <p>{@link LoopWakeup#wake()} chooses per calling thread: when the thread is inside {@code run()} of a loop that has a
 * sender ({@link EventLoop#wakeSender}), that sender is asked first; a thread that runs no such loop (a plain thread,
 * the JVM's signal thread, a loop without one), or a sender that says no, wakes the target through its backend (an
 * eventfd write, {@link LoopWakeup#wakeBackend()}). Embedded targets always get the backend wakeup: their real wait is
 * their host's.
 *
 * <p>The sending loop's thread calls every method, inside its {@code run()}.
 */
interface WakeSender {
    /**
     * Makes sure {@code target}, blocked (or about to block) in its wait, wakes up soon: at the latest when the
     * sender's loop next enters the kernel or {@link #flush() flushes}. Returns false when this sender cannot reach
     * {@code target} (another backend, no ring, a ring that cannot post messages), and the caller wakes it through
     * its backend. A message that fails after this returned true must fall back to {@link LoopWakeup#wakeBackend()}
     * on its own: a wakeup is never lost.
     */
    boolean wake(LoopWakeup target);

    /**
     * The sender's {@code run()} is returning: whatever {@link #wake} queued and the loop has not handed to the kernel
     * must go now, since nothing says the loop will wait (and submit) again soon.
     */
    void flush();
}
