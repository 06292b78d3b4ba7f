package dev.evring.uring;

import java.lang.foreign.MemorySegment;

/**
 * An io_uring that its owner shares with other users: each user registers a {@link CompletionHandler} under a tag of
 * its own, writes SQEs with the {@link Sqe} helpers, and gets the CQEs carrying its tag. The owner submits what was
 * queued together with its own entries (in the io_uring backend, in the one io_uring_enter per loop iteration that
 * also waits) and delivers CQEs in the order the kernel posted them. All calls on the ring's thread.
 *
 * <p>An operation in flight is the user's to account for until its final CQE (the owner does not keep anything alive
 * for it). When the owner has to replace or give up the ring, every handler is told ({@link CompletionHandler#onRingReset}).
 */
public interface RingOps {
    /**
     * Registers a handler and returns its tag, 16..255. CQEs whose user_data bits 56..63 equal the tag go to it.
     * Tags 0..15 are the backend's own (poll, wakeup, timeout, cancel...). Bits 0..55 are the handler's to use
     * (build them with {@link UserData#pack}).
     *
     * @throws IllegalStateException when all 240 handler tags are taken
     */
    int registerHandler(CompletionHandler handler);

    /**
     * The SQE array (all entries, 64 bytes each), to write fields with the {@link Sqe} helpers. Valid until the ring
     * is re-created (see {@link CompletionHandler#onRingReset}): call {@code sqes()} again rather than caching it
     * across callbacks. A stale segment fails with an exception, never touches unmapped memory.
     */
    MemorySegment sqes();

    /**
     * Claims the next SQE and returns its byte offset into {@link #sqes()}; the entry is zeroed. The SQE is published
     * to the kernel at the next submit (the loop submits once per iteration, before waiting). If the SQ is full it
     * submits first, so it never fails. No allocation.
     */
    long nextSqe();

    /**
     * Makes sure the next {@code n} {@link #nextSqe()} calls do not submit in between (for IOSQE_IO_LINK chains such
     * as an operation plus its LINK_TIMEOUT): submits now if fewer than {@code n} entries are free.
     * {@code n <= } the SQ size.
     */
    void reserveSqes(int n);

    /**
     * Takes back an SQE of ours the kernel has not read yet: if the entry at {@code sqe} (an offset {@link #nextSqe()}
     * returned) is still unsubmitted and still carries {@code userData}, it becomes an IORING_OP_NOP with that
     * user_data (IOSQE_IO_LINK kept), so it reaches no file; its CQE still comes, with result 0. Returns whether it
     * did. No system call. For closing an fd whose requests were prepared but not submitted.
     */
    boolean revokeSqe(long sqe, long userData);

    /** Submits what is queued now (io_uring_enter without waiting). Normally unnecessary. Returns -errno on failure. */
    int submit();

    /** IORING_FEAT_* bits from io_uring_params.features. */
    int features();

    /** Whether the kernel supports this opcode (IORING_REGISTER_PROBE at setup; false if the probe failed). */
    boolean opcodeSupported(int opcode);

    /**
     * Why {@link #opcodeSupported} cannot tell (IORING_REGISTER_PROBE failed: refused, or a kernel before 5.6), in
     * words that say what was observed; empty when the probe answered. Say this, not "the kernel is too old", when an
     * opcode reads as unsupported.
     */
    String opcodeProbeFailure();

    /**
     * io_uring_register(ring fd, opcode, arg, nrArgs) on this ring: result or -errno. For buffer rings
     * (IORING_REGISTER_PBUF_RING / UNREGISTER_PBUF_RING) and similar.
     */
    int register(int opcode, MemorySegment arg, int nrArgs);

    /** The ring's setup flags actually in use (IORING_SETUP_*), e.g. to know DEFER_TASKRUN is on. */
    int setupFlags();
}
