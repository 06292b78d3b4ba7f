package dev.evring.uring;

/**
 * Receives the CQEs whose user_data carries this handler's tag (see {@link RingOps#registerHandler}). Called on the
 * loop thread, inline while the backend reaps the CQ (inside the loop's backend poll). Must not throw: handlers catch
 * user-callback exceptions and pass them to {@code LoopAccess.reportException}. May call {@link RingOps#nextSqe()} and
 * {@link RingOps#submit()} (re-entrancy is supported).
 */
@FunctionalInterface
public interface CompletionHandler {
    /**
     * One CQE: its user_data (tag in bits 56..63), its result ({@code >= 0}, or {@code -errno}) and its flags
     * ({@code IORING_CQE_F_*}).
     */
    void onCompletion(long userData, int res, int flags);

    /**
     * The backend had to tear the ring down and build a new one (only on kernels without IORING_FEAT_NODROP, after a
     * CQ overflow, or when it moved to epoll at the kernel's ring-size limit): every operation of this handler that was
     * in flight is gone without a CQE. The handler fails them (their callbacks get -ECANCELED) or resubmits them.
     * {@code ringAvailable} is false when the loop now runs on epoll and the ring is no more.
     */
    default void onRingReset(boolean ringAvailable) {}
}
