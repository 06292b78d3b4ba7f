package dev.evring.uring;

/**
 * The 64-bit user_data of an SQE, as evring packs it: a tag in bits 56..63 saying whose completion it is, and a
 * payload in bits 0..55 that the tag's owner interprets. The backend's poll requests use the payload for the fd (bits
 * 0..31) and a generation (bits 32..55), so that a CQE of a removed or replaced poll is recognised and dropped.
 */
public final class UserData {
    private UserData() {}

    public static final int TAG_SHIFT = 56;
    public static final long PAYLOAD_MASK = (1L << TAG_SHIFT) - 1;
    /** Tags below this are the backend's own. */
    public static final int FIRST_HANDLER_TAG = 16;
    public static final int MAX_TAG = 255;

    /** Generations of poll requests count modulo 2^24. */
    public static final int GENERATION_MASK = 0xFF_FFFF;

    /**
     * Tag in bits 56..63, payload in bits 0..55.
     *
     * @throws IllegalArgumentException if the tag is not 0..255 or the payload does not fit 56 bits
     */
    public static long pack(int tag, long payload) {
        if ((tag & ~0xFF) != 0) throw new IllegalArgumentException("user_data tag " + tag + " is not 0..255");
        if ((payload & ~PAYLOAD_MASK) != 0) {
            throw new IllegalArgumentException("user_data payload 0x" + Long.toHexString(payload) + " does not fit 56 bits");
        }
        return ((long) tag << TAG_SHIFT) | payload;
    }

    public static int tag(long userData) {
        return (int) (userData >>> TAG_SHIFT);
    }

    public static long payload(long userData) {
        return userData & PAYLOAD_MASK;
    }

    /** A poll payload: fd in bits 0..31, generation (mod 2^24) in bits 32..55. */
    public static long fdPayload(int fd, int generation) {
        return (fd & 0xFFFF_FFFFL) | ((long) (generation & GENERATION_MASK) << 32);
    }

    /** The fd of a {@link #fdPayload}. Negative if the payload was not one (callers range-check it). */
    public static int fd(long payload) {
        return (int) payload;
    }

    /** The generation of a {@link #fdPayload}. */
    public static int generation(long payload) {
        return (int) (payload >>> 32) & GENERATION_MASK;
    }
}
