package dev.evring.net;

import dev.evring.uring.UserData;

/**
 * The one layout of an operation's identity. An operation lives in a reused slot of the {@link OpTable}; what names
 * it from outside is the slot's index and the slot's generation at the time, packed here and nowhere else:
 * <pre>
 *   bits 0..23   slot index      (16 M operations in flight at most)
 *   bits 24..53  generation      (30 bits, never 0; bumped each time the slot is taken)
 *   bits 54..55  role            (io_uring only: the operation itself, its linked timeout, a cancel of it)
 * </pre>
 * The public operation id ({@link Net#cancel(long)}) is this layout with role 0, and the payload of a CQE's user_data
 * (the 56 bits below the handler tag, {@link UserData#PAYLOAD_MASK}) is the same layout with the role set: a stale id
 * and a stale CQE are refused by the same generation check.
 */
final class OpId {
    private OpId() {}

    static final int INDEX_BITS = 24;
    static final int INDEX_MASK = (1 << INDEX_BITS) - 1;
    static final int GENERATION_SHIFT = INDEX_BITS;
    static final int GENERATION_BITS = 30;
    static final int GENERATION_MASK = (1 << GENERATION_BITS) - 1;
    static final int ROLE_SHIFT = GENERATION_SHIFT + GENERATION_BITS;
    static final int ROLE_MASK = 3;

    /** The CQE of the operation itself. */
    static final int ROLE_OP = 0;
    /** The CQE of its IORING_OP_LINK_TIMEOUT. */
    static final int ROLE_LINK_TIMEOUT = 1;
    /** The CQE of an IORING_OP_ASYNC_CANCEL aimed at it. */
    static final int ROLE_CANCEL = 2;

    static {
        // the payload must fit below the handler tag of the user_data
        assert ROLE_SHIFT + 2 <= UserData.TAG_SHIFT;
    }

    /** The public id: index and generation, role 0. Never 0 (generations start at 1). */
    static long of(int index, int generation) {
        return (index & INDEX_MASK) | ((long) (generation & GENERATION_MASK) << GENERATION_SHIFT);
    }

    /** The payload of a CQE of the operation in {@code role}. */
    static long payload(int index, int generation, int role) {
        return of(index, generation) | ((long) role << ROLE_SHIFT);
    }

    static int index(long idOrPayload) {
        return (int) (idOrPayload & INDEX_MASK);
    }

    static int generation(long idOrPayload) {
        return (int) (idOrPayload >>> GENERATION_SHIFT) & GENERATION_MASK;
    }

    static int role(long payload) {
        return (int) (payload >>> ROLE_SHIFT) & ROLE_MASK;
    }

    /** The generation after {@code generation}, skipping 0. */
    static int next(int generation) {
        int g = (generation + 1) & GENERATION_MASK;
        return g == 0 ? 1 : g;
    }
}
