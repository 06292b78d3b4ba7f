package dev.evring.uring;

/**
 * Receives the CQEs whose user_data carries this handler's tag (see {@link RingOps#registerHandler}). Called on the
 * ring's thread, inline while the owner reaps the CQ. Must not throw (an exception it lets out is reported by the
 * owner, not propagated); may call {@link RingOps#nextSqe()} and {@link RingOps#submit()} (re-entrancy is supported).
 */
@FunctionalInterface
public interface CompletionHandler {
    /**
     * One CQE: its user_data (tag in bits 56..63), its result ({@code >= 0}, or {@code -errno}) and its flags
     * ({@code IORING_CQE_F_*}).
     */
    void onCompletion(long userData, int res, int flags);

    /**
     * The ring's owner replaced it by a new one, or gave it up: every operation of this handler that was in flight is
     * gone without a CQE. The handler fails them (their callbacks get -ECANCELED) or resubmits them.
     * {@code ringAvailable} is false when there is no ring any more (the {@link RingOps} must not be used again).
     */
    default void onRingReset(boolean ringAvailable) {}

    /**
     * A message another ring (or a thread, {@link RingMessage#send}) posted to this handler through a
     * {@link MessageTarget} of {@link RingOps#messageTarget}: its 56-bit payload. Same thread and rules as
     * {@link #onCompletion}. A handler that never hands out a target gets none.
     */
    default void onMessage(long payload) {}
}
