package dev.evring.uring;

import dev.evring.linux.Faults;

import java.util.ArrayList;
import java.util.List;

/**
 * Fault injection at the ring, for tests only: what {@link Faults} does for system calls, done to the things a ring
 * exchanges with the kernel. Off, and free, unless the JVM runs with {@code -Devring.test.faults=true} (see
 * {@link Faults}); not public API, not a user option. Every fault applies to rings used on the thread that installed
 * it, and lasts until {@link #clear()} (or, for a {@link Faults.Rule}-like count, until spent):
 * <ul>
 * <li>{@link #injectCqe}: the next reap delivers a CQE the kernel never posted (an unknown user_data, a result of the
 * test's choosing), before the kernel's own.</li>
 * <li>{@link #rewriteResult}: the next CQEs whose user_data carry a tag get another result (a poll that fails with
 * EINVAL, a remove that answers EALREADY...), as a kernel in that situation would post them.</li>
 * <li>{@link #rejectSqes}: SQEs of an opcode on an fd reach the kernel with an undefined IOSQE flag, so the kernel
 * itself fails them with EINVAL (a file io_uring cannot poll).</li>
 * <li>{@link #withoutNodrop}: rings opened from now on behave as on a kernel without IORING_FEAT_NODROP (before 5.5):
 * the feature is not reported, and a CQ overflow the kernel kept counts as completions dropped.</li>
 * <li>{@link #withoutFeatures}: rings opened from now on do not see these IORING_FEAT_* bits, as on a kernel older
 * than the features (IORING_FEAT_NO_IOWAIT: before 6.15).</li>
 * <li>{@link #dropCqes}: the CQ ring's overflow counter reads {@code n} higher: completions were lost.</li>
 * <li>{@link #overflowFlag}: the SQ flags show IORING_SQ_CQ_OVERFLOW for the next {@code n} reads: the kernel holds
 * CQEs that did not fit (forcing the flush path without filling the CQ).</li>
 * <li>{@link #maxCqEntries}: io_uring_setup refuses, with EINVAL, a CQ larger than {@code n}: the kernel's size limit.</li>
 * </ul>
 * A partial submission (the kernel consumes fewer SQEs than offered) is a {@link Faults} limit on
 * {@code IO_URING_ENTER}; an enter that fails (EINTR, EBUSY, EBADR...) a {@link Faults} failure.
 */
public final class RingFaults {
    private RingFaults() {}

    private record Cqe(long userData, int res, int flags) {}

    private static final class Rewrite {
        final int tag;
        final int res;
        int left;

        Rewrite(int tag, int res, int times) {
            this.tag = tag;
            this.res = res;
            this.left = times;
        }
    }

    private static final class Reject {
        final int opcode;
        final int fd;
        int left;

        Reject(int opcode, int fd, int times) {
            this.opcode = opcode;
            this.fd = fd;
            this.left = times;
        }
    }

    /** The faults of one thread: rings are confined to their loop's thread, and so are these. */
    static final class Plan {
        final List<Cqe> injected = new ArrayList<>();
        final List<Rewrite> rewrites = new ArrayList<>();
        final List<Reject> rejects = new ArrayList<>();
        boolean withoutNodrop;
        int withoutFeatures;
        long dropped;
        int overflowFlags;
        int maxCqEntries;

        boolean empty() {
            return injected.isEmpty() && rewrites.isEmpty() && rejects.isEmpty() && !withoutNodrop && withoutFeatures == 0 && dropped == 0
                    && overflowFlags == 0 && maxCqEntries == 0;
        }
    }

    private static final ThreadLocal<Plan> PLAN = new ThreadLocal<>();
    /** Whether any thread has a plan: the rings' one check when no test uses ring faults. */
    private static volatile int plans;

    private static Plan plan() {
        if (!Faults.ENABLED) {
            throw new IllegalStateException("fault injection is off: run the JVM with -Devring.test.faults=true");
        }
        Plan p = PLAN.get();
        if (p == null) {
            p = new Plan();
            PLAN.set(p);
            synchronized (RingFaults.class) {
                plans++;
            }
        }
        return p;
    }

    /** This thread's plan, or null: for {@link Ring}, under {@code if (Faults.ENABLED)}. */
    static Plan active() {
        if (plans == 0) return null;
        Plan p = PLAN.get();
        return p == null || p.empty() ? null : p;
    }

    /** Removes every ring fault of this thread. */
    public static void clear() {
        if (PLAN.get() == null) return;
        PLAN.remove();
        synchronized (RingFaults.class) {
            plans--;
        }
    }

    /** The next reap on this thread delivers this CQE first, as if the kernel had posted it. */
    public static void injectCqe(long userData, int res, int flags) {
        plan().injected.add(new Cqe(userData, res, flags));
    }

    /**
     * The next {@code times} CQEs whose user_data carries {@code tag} (bits 56..63) get {@code res} as their result. A
     * negative {@code res} also clears IORING_CQE_F_MORE, as the kernel does when an error ends a multishot request
     * (its other flags, a provided buffer's among them, stay: the kernel did take that buffer).
     */
    public static void rewriteResult(int tag, int res, int times) {
        plan().rewrites.add(new Rewrite(tag, res, times));
    }

    /**
     * The next {@code times} SQEs of {@code opcode} on {@code fd} go to the kernel with an undefined IOSQE flag, so the
     * kernel fails each with a CQE of -EINVAL ({@link Integer#MAX_VALUE} times: until cleared).
     */
    public static void rejectSqes(int opcode, int fd, int times) {
        plan().rejects.add(new Reject(opcode, fd, times));
    }

    /** Rings opened on this thread from now on behave as on a kernel without IORING_FEAT_NODROP. */
    public static void withoutNodrop() {
        plan().withoutNodrop = true;
    }

    /** Rings opened on this thread from now on do not see the IORING_FEAT_* bits of {@code features}. */
    public static void withoutFeatures(int features) {
        plan().withoutFeatures |= features;
    }

    /** The next read of the CQ overflow counter (on this thread) is {@code n} higher: completions were dropped. */
    public static void dropCqes(long n) {
        plan().dropped += n;
    }

    /** The next {@code n} reads of the SQ flags show IORING_SQ_CQ_OVERFLOW. */
    public static void overflowFlag(int n) {
        plan().overflowFlags += n;
    }

    /** io_uring_setup on this thread refuses a CQ larger than {@code n} entries, with EINVAL. */
    public static void maxCqEntries(int n) {
        plan().maxCqEntries = n;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // for Ring

    /** Delivers the injected CQEs to {@code sink}; returns how many. */
    static int deliverInjected(Plan p, Ring.CqeSink sink) {
        int n = 0;
        while (!p.injected.isEmpty()) {
            Cqe c = p.injected.removeFirst();
            sink.onCqe(c.userData, c.res, c.flags);
            n++;
        }
        return n;
    }

    static int rewrite(Plan p, long userData, int res) {
        int tag = UserData.tag(userData);
        for (Rewrite r : p.rewrites) {
            if (r.tag == tag && r.left > 0) {
                r.left--;
                return r.res;
            }
        }
        return res;
    }

    /** Whether the SQE of {@code opcode} on {@code fd} is to be rejected (and counts it). */
    static boolean reject(Plan p, int opcode, int fd) {
        for (Reject r : p.rejects) {
            if (r.opcode == opcode && r.fd == fd && r.left > 0) {
                if (r.left != Integer.MAX_VALUE) r.left--;
                return true;
            }
        }
        return false;
    }

    static boolean withoutNodrop(Plan p) {
        return p.withoutNodrop;
    }

    static int withoutFeatures(Plan p) {
        return p.withoutFeatures;
    }

    static long takeDropped(Plan p) {
        long d = p.dropped;
        p.dropped = 0;
        return d;
    }

    static boolean takeOverflowFlag(Plan p) {
        if (p.overflowFlags == 0) return false;
        p.overflowFlags--;
        return true;
    }

    static int maxCqEntries(Plan p) {
        return p.maxCqEntries;
    }
}
