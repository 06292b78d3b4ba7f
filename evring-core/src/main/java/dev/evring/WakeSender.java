package dev.evring;

/**
 * A loop's own way to wake other loops from its thread, in place of their backend wakeup: where both run on io_uring
 * and the kernel has IORING_OP_MSG_RING, a message from the sender's ring lands as a CQE in the target's ring
 * ({@link RingWakeSender}), so no eventfd is written and the target learns of it in its normal wait.
 *
 * <p>{@link LoopWakeup#wake()} chooses per calling thread: a thread that owns a loop with a sender (see
 * {@link EventLoop#sendWakeupsThrough}) asks that sender first; a thread without one (a plain thread, the JVM's signal
 * thread, a loop on epoll or poll), or a sender that says no, wakes the target through its backend (an eventfd write,
 * {@link LoopWakeup#wakeBackend()}). Embedded targets always get the backend wakeup: their real wait is their host's.
 *
 * <p>The wakeup goes out before {@link #wake} returns, never later (with the sender's next wait, say): a loop thread
 * may block after handing work to another loop (waiting for its answer, as Netty allows between loops), and a wakeup
 * held back until the sender waits again would never come. Called on the sending loop's thread only.
 */
interface WakeSender {
    /**
     * Wakes {@code target}, blocked (or about to block) in its wait, now. Returns false when this sender cannot reach
     * {@code target} (another backend, no ring, a ring that cannot post messages), and the caller wakes it through its
     * backend. A message that fails after this returned true must fall back to {@link LoopWakeup#wakeBackend()}: a
     * wakeup is never lost.
     */
    boolean wake(LoopWakeup target);
}
