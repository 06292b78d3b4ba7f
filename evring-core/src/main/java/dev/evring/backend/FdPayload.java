package dev.evring.backend;

/**
 * The one layout of "this registration of this fd" that the backends hand the kernel and get back: the fd in bits
 * 0..31 and a generation in bits 32..55. io_uring's poll requests carry it as their user_data payload (below the tag,
 * see {@code dev.evring.uring.UserData}), epoll's registrations as their {@code epoll_data}. The generation moves on
 * whenever a registration is removed or replaced, so an event of an old one (whose fd number may now name another
 * file) is recognised and dropped. Generations count modulo 2^24.
 */
final class FdPayload {
    private FdPayload() {}

    static final int GENERATION_SHIFT = 32;
    static final int GENERATION_MASK = 0xFF_FFFF;

    /** fd in bits 0..31, {@code generation} (mod 2^24) in bits 32..55. */
    static long pack(int fd, int generation) {
        return (fd & 0xFFFF_FFFFL) | ((long) (generation & GENERATION_MASK) << GENERATION_SHIFT);
    }

    /** The fd of a payload. Negative if it was not one (callers range-check it). */
    static int fd(long payload) {
        return (int) payload;
    }

    static int generation(long payload) {
        return (int) (payload >>> GENERATION_SHIFT) & GENERATION_MASK;
    }

    /** The generation after {@code generation}, mod 2^24. */
    static int next(int generation) {
        return (generation + 1) & GENERATION_MASK;
    }
}
