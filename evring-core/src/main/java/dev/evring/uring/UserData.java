package dev.evring.uring;

/**
 * The 64-bit user_data of an SQE, as evring packs it: a tag in bits 56..63 saying whose completion it is, and a
 * payload in bits 0..55 that the tag's owner interprets (the io_uring backend's own layouts live with it).
 */
public final class UserData {
    private UserData() {}

    public static final int TAG_SHIFT = 56;
    public static final long PAYLOAD_MASK = (1L << TAG_SHIFT) - 1;
    /** Tags below this are the backend's own. */
    public static final int FIRST_HANDLER_TAG = 16;
    public static final int MAX_TAG = 255;

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
}
