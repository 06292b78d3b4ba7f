package dev.evring;

import dev.evring.uring.CompletionHandler;
import dev.evring.uring.MessageTarget;
import dev.evring.uring.RingOps;
import dev.evring.uring.UserData;

import java.util.Arrays;

/**
 * The {@link WakeSender} of a loop on io_uring whose kernel has IORING_OP_MSG_RING (5.18): it wakes another loop,
 * blocked in its wait, by a message from this loop's ring to the target backend's {@code wakeupTarget()}, instead of
 * writing the target's eventfd. The sender submits it at once (one {@code io_uring_enter} in place of the eventfd's
 * {@code write}: never held back for its next wait, see {@link WakeSender}); the target learns of it from its normal
 * wait, as a CQE the kernel posts straight into its ring (or, with DEFER_TASKRUN, as completion work its wait runs): no
 * eventfd read completes, nothing is re-armed. A target without such a target (epoll, poll, a kernel without MSG_RING,
 * a closed loop) is left to its eventfd.
 *
 * <p>Nothing is lost. Success posts no CQE here (IOSQE_CQE_SKIP_SUCCESS); a message that fails (the target's ring was
 * closed: EBADFD; its task is gone: EOWNERDEAD; it could not take it: EOVERFLOW, ENOMEM) comes back under this
 * handler's tag with the target's slot in the payload, and that target gets its eventfd wakeup after all (which does
 * nothing if it is closing); so does every target if the submit itself fails, or this loop's ring is replaced or given
 * up. A message meant for a ring that was replaced meanwhile is dropped by the receiver (a ring's mark differs), which
 * then looks at its wakeup sources anyway (the backend publishes the new target before it looks).
 *
 * <p>Targets are kept in a small table (the user_data of a message carries the slot), found by a linear search: a loop
 * messages the loops of its group, a handful. A slot whose loop has closed is reused. Loop thread only.
 */
final class RingWakeSender implements WakeSender, CompletionHandler {
    private final RingOps ops;
    private final int tag;
    private LoopWakeup[] targets = new LoopWakeup[4];
    private int targetCount;
    /** The ring is gone (the loop moved to epoll): this sender says no from now on. */
    private boolean ringGone;

    RingWakeSender(RingOps ops) {
        this.ops = ops;
        this.tag = ops.registerHandler(this);
    }

    @Override
    public boolean wake(LoopWakeup target) {
        if (ringGone) return false;
        MessageTarget to = target.messageTarget(); // read after the sender marked its work (see wakeupTarget())
        if (to == null) return false;
        ops.postMessage(to, 0, UserData.pack(tag, slotOf(target)));
        target.messagePosted();
        if (ops.submit() < 0) target.wakeBackend(); // the message may still sit in our SQ: do not count on it
        return true;
    }

    /** Only failed messages come back (success posts nothing): wake that target through its eventfd instead. */
    @Override
    public void onCompletion(long userData, int res, int flags) {
        long slot = UserData.payload(userData);
        if (res < 0 && slot < targetCount) targets[(int) slot].wakeBackend();
    }

    /**
     * The ring was replaced or given up: a message it had not handed to the kernel (a submit that failed) is gone with
     * it, so every target gets its eventfd wakeup; without a ring this sender says no from now on.
     */
    @Override
    public void onRingReset(boolean ringAvailable) {
        if (!ringAvailable) ringGone = true;
        for (int i = 0; i < targetCount; i++) targets[i].wakeBackend();
    }

    private int slotOf(LoopWakeup target) {
        for (int i = 0; i < targetCount; i++) if (targets[i] == target) return i;
        for (int i = 0; i < targetCount; i++) {
            if (targets[i].isShut()) { // its loop closed: a late failure for it wakes the new one once, harmlessly
                targets[i] = target;
                return i;
            }
        }
        if (targetCount == targets.length) targets = Arrays.copyOf(targets, targetCount * 2);
        targets[targetCount] = target;
        return targetCount++;
    }

    @Override
    public String toString() {
        return "the ring wakeups of tag " + tag;
    }
}
