package dev.evring.uring;

/**
 * Where a ring message goes: a ring, by its real fd, and a completion handler there, with a mark of that ring
 * ({@link RingMessage} owns the layout). Made on the target's thread by {@link RingOps#messageTarget}; immutable, so
 * any thread may keep it and send with it ({@link RingOps#postMessage} from another ring, {@link RingMessage#send} from
 * a thread without one).
 *
 * <p>It names the ring only while that ring lives: once the target loop closed it (or rebuilt it, on kernels without
 * IORING_FEAT_NODROP), a message fails with EBADFD if the fd number is free or names another kind of file, and is
 * dropped by the receiver as stray (counted, never delivered) if the number now names another ring. Whoever sends must
 * stop using a target before its loop closes, and fetch a new one after {@link CompletionHandler#onRingReset}.
 *
 * @param ringFd the target ring's fd (the real one: a registered ring index means nothing to another ring)
 * @param route  the target ring's mark and the handler's tag, as {@link RingMessage} packs them into the CQE's res
 */
public record MessageTarget(int ringFd, int route) {
    /** The tag of the handler the message goes to. */
    public int handlerTag() {
        return RingMessage.handlerTag(route);
    }
}
