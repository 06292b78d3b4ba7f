package dev.evring.net;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The memory of zero-copy writes the kernel may still read after their result came: IORING_OP_SEND_ZC posts the write's
 * result (with IORING_CQE_F_MORE), and a notification (IORING_CQE_F_NOTIF, the same user_data) only once the pages
 * are no longer needed, which for TCP means once the peer acknowledged the bytes. The write ends at its result (its
 * callbacks run, the socket's next write starts, a cancel or close ends it at once); its pool buffers stay pinned
 * here, out of the pool, until the notification, so no buffer the kernel may still send (a retransmission) is handed
 * out again. Found by a cancel in flight: a write that ended only at its notification waited for a peer that read
 * nothing, and every write waited for the peer's ACK of the one before (loopback bulk at 1 % of its speed).
 * Loop thread only; a handful in flight, so a short list searched by user_data.
 */
final class ZeroCopyHolds {
    /** One write's pinned memory: pool buffers (one reference each) and spills (kept reachable). */
    static final class Hold {
        long userData;
        int count;
        BufferSlot[] slots = new BufferSlot[8];
        MemorySegment[] mems = new MemorySegment[8];

        void ensure(int n) {
            if (n > slots.length) {
                slots = Arrays.copyOf(slots, Math.max(n, slots.length * 2));
                mems = Arrays.copyOf(mems, slots.length);
            }
        }
    }

    private final Outbound out;
    private Hold[] holds = new Hold[4];
    private int live;
    /** Holds whose ring went away (rebuilt, or the move to epoll): their notifications never come; kept for good. */
    private Hold[] retired = new Hold[0];

    ZeroCopyHolds(Outbound out) {
        this.out = out;
    }

    /** Pins what {@code h}'s write in flight ({@code userData}'s request) points the kernel at. */
    void pin(IoHandle h, long userData) {
        if (live == holds.length) holds = Arrays.copyOf(holds, live * 2);
        Hold hold = holds[live];
        if (hold == null) hold = holds[live] = new Hold();
        hold.userData = userData;
        hold.count = out.pinInFlight(h, hold);
        live++;
    }

    /** The kernel let go of {@code userData}'s pages (its notification, or a result that says none follows). */
    boolean release(long userData) {
        for (int i = 0; i < live; i++) {
            Hold hold = holds[i];
            if (hold.userData != userData) continue;
            out.unpin(hold);
            holds[i] = holds[--live];
            holds[live] = hold; // kept for reuse
            return true;
        }
        return false;
    }

    /** The ring went away with every notification it owed: what it pinned is never given back (the pages may still be sent). */
    void retireAll() {
        if (live == 0) return;
        Hold[] r = Arrays.copyOf(retired, retired.length + live);
        for (int i = 0; i < live; i++) {
            r[retired.length + i] = holds[i];
            holds[i] = null;
        }
        retired = r;
        live = 0;
    }
}
