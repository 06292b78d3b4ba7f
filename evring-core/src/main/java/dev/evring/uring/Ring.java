package dev.evring.uring;

import dev.evring.ErrnoException;
import dev.evring.linux.Errno;
import dev.evring.linux.Faults;
import dev.evring.linux.IoUring;
import dev.evring.linux.Mman;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.evring.linux.IoUring.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One io_uring instance: set up through raw {@code io_uring_setup}, its SQ and CQ rings and SQE array mapped (one
 * mmap for both rings where the kernel offers IORING_FEAT_SINGLE_MMAP, three otherwise), entered through raw
 * {@code io_uring_enter}. It knows nothing of watchers: it hands out SQEs, submits them, and passes CQEs to a
 * {@link CqeSink}.
 *
 * <h2>Setup flags</h2>
 * The caller asks for a set of IORING_SETUP_* flags; a kernel that rejects one (EINVAL) is asked again without the
 * newest one, and so on; the flags a kernel rejected are remembered for the process, so later rings do not probe
 * again. {@link #setupFlags()} says what was accepted.
 *
 * <h2>Shared memory</h2>
 * The kernel and we share the rings; the orderings are liburing's (and the kernel's io_uring.c header comment):
 * our SQ tail and CQ head are plain Java ints, published with a release store once per batch; the kernel's CQ tail
 * and SQ head are read with acquire; the SQ flags with an opaque read. The mappings are segments of this ring's own
 * confined arena, so a segment used after {@link #close()} fails with an exception instead of touching unmapped
 * memory.
 *
 * <h2>Thread</h2>
 * A ring belongs to the thread that opened it (the loop's); {@link #close()} must run there too (a registered ring
 * fd lives in that thread's io_uring context).
 *
 * <p>Why this class is over 800 lines: it is liburing's {@code setup.c}, {@code queue.c} and {@code register.c} in
 * one, because the setup, the SQ side and the CQ side all work on the same mapped segments and cached heads and
 * tails; split, each part would need the others' mapping fields, and the orderings above would no longer be checkable
 * in one file. About 230 of its lines are Javadoc and blank lines.
 */
public final class Ring implements AutoCloseable {
    /** Where {@link #reap} delivers CQEs. */
    @FunctionalInterface
    public interface CqeSink {
        void onCqe(long userData, int res, int flags);
    }

    /**
     * What to ask of the kernel.
     *
     * @param sqEntries      SQ size (rounded up to a power of two by the kernel, clamped to its maximum)
     * @param cqEntries      CQ size, 0 for the kernel's default (twice the SQ)
     * @param setupFlags     IORING_SETUP_* wanted; optional ones are dropped where the kernel refuses them
     * @param singleMmap     map both rings with one mmap where IORING_FEAT_SINGLE_MMAP allows it
     * @param registerRingFd register the ring fd (IORING_REGISTER_RING_FDS) and enter through its index
     * @param noIowait       enter with IORING_ENTER_NO_IOWAIT where the kernel offers IORING_FEAT_NO_IOWAIT (6.15), so
     *                       a wait with requests in flight is not counted as iowait
     * @param iowqBounded    the most io-wq workers for bounded work (regular files) of the owning thread, 0 for the
     *                       kernel's default (IORING_REGISTER_IOWQ_MAX_WORKERS, 5.15)
     * @param iowqUnbounded  the same for unbounded work (sockets, pipes: anything that may block for ever)
     */
    public record Config(int sqEntries, int cqEntries, int setupFlags, boolean singleMmap, boolean registerRingFd,
                         boolean noIowait, int iowqBounded, int iowqUnbounded) {
        /** A ring with the kernel's iowait accounting and io-wq limits. */
        public Config(int sqEntries, int cqEntries, int setupFlags, boolean singleMmap, boolean registerRingFd) {
            this(sqEntries, cqEntries, setupFlags, singleMmap, registerRingFd, false, 0, 0);
        }
    }

    /** The setup flags we may drop, newest kernel first: the order in which a refusing kernel is asked again. */
    private static final int[] OPTIONAL_FLAGS = {
            IORING_SETUP_NO_SQARRAY,
            IORING_SETUP_DEFER_TASKRUN,
            IORING_SETUP_SINGLE_ISSUER,
            IORING_SETUP_TASKRUN_FLAG,
            IORING_SETUP_COOP_TASKRUN,
            IORING_SETUP_SUBMIT_ALL,
            IORING_SETUP_CLAMP,
            IORING_SETUP_CQSIZE,
    };
    /** Optional flags this kernel refused once: not asked for again in this process. */
    private static final AtomicInteger REFUSED_FLAGS = new AtomicInteger();
    /** IORING_REGISTER_PROBE's answer, one bit per opcode, probed once per process; null until then. */
    private static volatile long[] probedOps;
    /** The errno IORING_REGISTER_PROBE failed with, once it did; 0 while it has not. */
    private static volatile int probeErrno;
    /** The rings' marks for messages ({@link RingMessage}), handed out in turn. */
    private static final AtomicInteger MARKS = new AtomicInteger();

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment callState;
    private final Arena mapArena;
    private final int fd;
    private final int enterFd;
    private final int enterFlags;
    private final boolean ringFdRegistered;
    private final int setupFlags;
    private final int features;
    /** {@link RingFaults#withoutNodrop}: an overflow the kernel kept counts as dropped CQEs. */
    private final boolean withoutNodrop;
    private final boolean singleMmap;
    private final int sqEntries;
    private final int cqEntries;
    private final int sqMask;
    private final int cqMask;

    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqRingAddr;
    private final long sqRingSize;
    private final long cqRingAddr;
    private final long cqRingSize;
    private final long sqesAddr;
    private final long sqesSize;

    private final long sqHeadOff;
    private final long sqTailOff;
    private final long sqFlagsOff;
    private final long cqHeadOff;
    private final long cqTailOff;
    private final long cqOverflowOff;
    private final long cqesOff;

    /** Our SQ tail: entries handed out so far. Published to the kernel by {@link #flush()}. */
    private int sqTail;
    private int sqTailPublished;
    /** The kernel's SQ head as last read. */
    private int sqHeadSeen;
    /** Our CQ head: entries consumed so far. Published at the end of each {@link #reap}. */
    private int cqHead;
    private int cqHeadPublished;

    /**
     * CQEs moved out of the CQ ring without being delivered (to make room when io_uring_enter refused to submit with
     * EBUSY/EAGAIN while a handler was running): delivered first by the next {@link #reap}, in order.
     */
    private long[] stashUserData = new long[0];
    private int[] stashRes = new int[0];
    private int[] stashFlags = new int[0];
    private int stashHead;
    private int stashTail;

    private boolean closed;

    /**
     * IORING_REGISTER_IOWQ_MAX_WORKERS: 0 when the limits asked for in the config were set (or none were asked for),
     * else -errno; and the limits the kernel had before, as it reported them (0 when it could not say: the thread had
     * no io-wq yet).
     */
    private int iowqResult;
    private int iowqPreviousBounded;
    private int iowqPreviousUnbounded;
    private final int iowqBounded;
    private final int iowqUnbounded;
    /** This ring's mark in the messages other rings post to it ({@link RingMessage}): 24 bits, never 0. */
    private final int messageMark;

    // counters, for details and figures
    private long enterWaitCount;
    private long enterSubmitCount;
    private long submittedCount;
    private long reapedCount;

    private Ring(MemorySegment callState, Arena mapArena, int fd, int enterFd, boolean ringFdRegistered, int setupFlags,
                 int features, boolean withoutNodrop, boolean singleMmap, int sqEntries, int cqEntries, MemorySegment params,
                 MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes, Config config) {
        this.withoutNodrop = withoutNodrop;
        this.callState = callState;
        this.mapArena = mapArena;
        this.fd = fd;
        this.enterFd = enterFd;
        this.ringFdRegistered = ringFdRegistered;
        // NO_IOWAIT only where the kernel says it knows it: before 6.15 every enter carrying it fails with EINVAL
        boolean noIowait = config.noIowait() && (features & IORING_FEAT_NO_IOWAIT) != 0;
        this.enterFlags = (ringFdRegistered ? IORING_ENTER_REGISTERED_RING : 0) | (noIowait ? IORING_ENTER_NO_IOWAIT : 0);
        this.iowqBounded = config.iowqBounded();
        this.iowqUnbounded = config.iowqUnbounded();
        int mark;
        do {
            mark = MARKS.incrementAndGet() & RingMessage.MARK_MASK;
        } while (mark == 0);
        this.messageMark = mark;
        this.setupFlags = setupFlags;
        this.features = features;
        this.singleMmap = singleMmap;
        this.sqEntries = sqEntries;
        this.cqEntries = cqEntries;
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.sqRingAddr = sqRing.address();
        this.sqRingSize = sqRing.byteSize();
        this.cqRingAddr = cqRing.address();
        this.cqRingSize = cqRing.byteSize();
        this.sqesAddr = sqes.address();
        this.sqesSize = sqes.byteSize();
        long sq = OFF_PARAMS_SQ_OFF;
        long cq = OFF_PARAMS_CQ_OFF;
        this.sqHeadOff = u32(params, sq + OFF_SQ_HEAD);
        this.sqTailOff = u32(params, sq + OFF_SQ_TAIL);
        this.sqFlagsOff = u32(params, sq + OFF_SQ_FLAGS);
        this.cqHeadOff = u32(params, cq + OFF_CQ_HEAD);
        this.cqTailOff = u32(params, cq + OFF_CQ_TAIL);
        this.cqOverflowOff = u32(params, cq + OFF_CQ_OVERFLOW);
        this.cqesOff = u32(params, cq + OFF_CQ_CQES);
        // The masks are in the ring; read once (the kernel never changes them) and check they agree with the sizes.
        this.sqMask = sqRing.get(JAVA_INT, u32(params, sq + OFF_SQ_RING_MASK));
        this.cqMask = cqRing.get(JAVA_INT, u32(params, cq + OFF_CQ_RING_MASK));
        if (sqMask != sqEntries - 1 || cqMask != cqEntries - 1) {
            throw new IllegalStateException("io_uring ring masks " + sqMask + "/" + cqMask + " disagree with sizes "
                    + sqEntries + "/" + cqEntries);
        }
        this.sqTail = this.sqTailPublished = this.sqHeadSeen = sqRing.get(JAVA_INT, sqTailOff);
        this.cqHead = this.cqHeadPublished = cqRing.get(JAVA_INT, cqHeadOff);
        if ((setupFlags & IORING_SETUP_NO_SQARRAY) == 0) {
            // SQE i always sits at index i (we hand out entries at tail & mask), so the index array is the identity,
            // written once here instead of once per SQE.
            long array = u32(params, sq + OFF_SQ_ARRAY);
            for (int i = 0; i < sqEntries; i++) sqRing.set(JAVA_INT, array + 4L * i, i);
        }
    }

    private static long u32(MemorySegment s, long off) {
        return s.get(JAVA_INT, off) & 0xFFFF_FFFFL;
    }

    /**
     * Sets up a ring. Optional setup flags the kernel refuses are dropped (see the class comment).
     *
     * @throws ErrnoException with the errno of io_uring_setup (ENOSYS, EPERM, ENOMEM, ...) or of mmap
     */
    public static Ring open(Config config, MemorySegment callState) {
        if (config.sqEntries() < 1) throw new IllegalArgumentException("io_uring sq_entries " + config.sqEntries() + " must be at least 1");
        if (config.cqEntries() < 0) throw new IllegalArgumentException("io_uring cq_entries " + config.cqEntries() + " must not be negative");
        if (Faults.ENABLED) refuseBeyondFaultLimit(config);
        int wanted = config.setupFlags();
        if (config.cqEntries() > 0) wanted |= IORING_SETUP_CQSIZE;
        int optional = 0;
        for (int f : OPTIONAL_FLAGS) optional |= f;
        int flags = wanted & ~(REFUSED_FLAGS.get() & optional);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment params = tmp.allocate(IO_URING_PARAMS);
            int fd;
            int dropped = 0;
            while (true) {
                if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0 && (flags & IORING_SETUP_SINGLE_ISSUER) == 0) {
                    flags &= ~IORING_SETUP_DEFER_TASKRUN; // DEFER_TASKRUN requires SINGLE_ISSUER
                }
                if ((flags & IORING_SETUP_TASKRUN_FLAG) != 0
                        && (flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN)) == 0) {
                    flags &= ~IORING_SETUP_TASKRUN_FLAG; // TASKRUN_FLAG needs COOP_TASKRUN or DEFER_TASKRUN
                }
                params.fill((byte) 0);
                params.set(JAVA_INT, OFF_PARAMS_FLAGS, flags);
                if ((flags & IORING_SETUP_CQSIZE) != 0) {
                    params.set(JAVA_INT, OFF_PARAMS_CQ_ENTRIES, Math.max(config.cqEntries(), config.sqEntries()));
                }
                fd = IoUring.ioUringSetup(callState, config.sqEntries(), params);
                if (fd >= 0) break;
                if (fd != -Errno.EINVAL) throw Errno.exception("io_uring_setup(" + config.sqEntries() + ", flags 0x" + Integer.toHexString(flags) + ")", -fd);
                int drop = 0;
                for (int f : OPTIONAL_FLAGS) {
                    if ((flags & f) != 0) {
                        drop = f;
                        break;
                    }
                }
                if (drop == 0) throw Errno.exception("io_uring_setup(" + config.sqEntries() + ", flags 0x" + Integer.toHexString(flags) + ")", -fd);
                flags &= ~drop;
                dropped |= drop;
            }
            if (dropped != 0) {
                int refused = dropped;
                REFUSED_FLAGS.getAndUpdate(r -> r | refused);
            }
            return map(config, callState, fd, flags, params);
        }
    }

    /** {@link RingFaults#maxCqEntries}: a CQ above the limit is refused as the kernel refuses one above its own. */
    private static void refuseBeyondFaultLimit(Config config) {
        RingFaults.Plan p = RingFaults.active();
        int max = p == null ? 0 : RingFaults.maxCqEntries(p);
        int cq = config.cqEntries() > 0 ? config.cqEntries() : 2 * config.sqEntries();
        if (max > 0 && cq > max) throw Errno.exception("io_uring_setup(" + config.sqEntries() + ", cq " + cq + ")", Errno.EINVAL);
    }

    private static Ring map(Config config, MemorySegment callState, int fd, int flags, MemorySegment params) {
        int features = params.get(JAVA_INT, OFF_PARAMS_FEATURES);
        boolean withoutNodrop = false;
        if (Faults.ENABLED) {
            RingFaults.Plan p = RingFaults.active();
            withoutNodrop = p != null && RingFaults.withoutNodrop(p);
            if (withoutNodrop) features &= ~IORING_FEAT_NODROP;
            if (p != null) features &= ~RingFaults.withoutFeatures(p);
        }
        int sqEntries = params.get(JAVA_INT, OFF_PARAMS_SQ_ENTRIES);
        int cqEntries = params.get(JAVA_INT, OFF_PARAMS_CQ_ENTRIES);
        long sq = OFF_PARAMS_SQ_OFF;
        long cq = OFF_PARAMS_CQ_OFF;
        if (Integer.bitCount(sqEntries) != 1 || Integer.bitCount(cqEntries) != 1) {
            Unistd.close(callState, fd);
            throw new IllegalStateException("io_uring_setup returned ring sizes " + sqEntries + "/" + cqEntries + " that are not powers of two");
        }
        // The SQ ring mapping must cover head..dropped and, with an index array, the array; the CQ ring's the CQEs.
        long sqSize = Math.max(u32(params, sq + OFF_SQ_DROPPED), u32(params, sq + OFF_SQ_FLAGS)) + 4;
        sqSize = Math.max(sqSize, Math.max(u32(params, sq + OFF_SQ_HEAD), u32(params, sq + OFF_SQ_TAIL)) + 4);
        sqSize = Math.max(sqSize, Math.max(u32(params, sq + OFF_SQ_RING_MASK), u32(params, sq + OFF_SQ_RING_ENTRIES)) + 4);
        if ((flags & IORING_SETUP_NO_SQARRAY) == 0) sqSize = Math.max(sqSize, u32(params, sq + OFF_SQ_ARRAY) + 4L * sqEntries);
        long cqSize = u32(params, cq + OFF_CQ_CQES) + CQE_SIZE * cqEntries;
        cqSize = Math.max(cqSize, Math.max(u32(params, cq + OFF_CQ_OVERFLOW), u32(params, cq + OFF_CQ_FLAGS)) + 4);
        boolean single = config.singleMmap() && (features & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single) sqSize = cqSize = Math.max(sqSize, cqSize);
        long sqesSize = SQE_SIZE * sqEntries;

        Arena arena = Arena.ofConfined();
        long sqAddr = -1;
        long cqAddr = -1;
        long sqesAddr = -1;
        try {
            sqAddr = mmap(callState, fd, sqSize, IORING_OFF_SQ_RING, "SQ ring");
            cqAddr = single ? sqAddr : mmap(callState, fd, cqSize, IORING_OFF_CQ_RING, "CQ ring");
            sqesAddr = mmap(callState, fd, sqesSize, IORING_OFF_SQES, "SQE array");
            MemorySegment sqRing = MemorySegment.ofAddress(sqAddr).reinterpret(sqSize, arena, null);
            MemorySegment cqRing = single ? sqRing : MemorySegment.ofAddress(cqAddr).reinterpret(cqSize, arena, null);
            MemorySegment sqes = MemorySegment.ofAddress(sqesAddr).reinterpret(sqesSize, arena, null);
            int enterFd = fd;
            boolean registered = false;
            if (config.registerRingFd()) {
                int index = registerRingFd(callState, fd);
                if (index >= 0) {
                    enterFd = index;
                    registered = true;
                }
            }
            Ring ring = new Ring(callState, arena, fd, enterFd, registered, flags, features, withoutNodrop, single, sqEntries,
                    cqEntries, params, sqRing, cqRing, sqes, config);
            ring.limitIoWorkers();
            return ring;
        } catch (RuntimeException | Error e) {
            arena.close();
            if (sqesAddr != -1) Mman.munmap(callState, MemorySegment.ofAddress(sqesAddr), sqesSize);
            if (cqAddr != -1 && cqAddr != sqAddr) Mman.munmap(callState, MemorySegment.ofAddress(cqAddr), cqSize);
            if (sqAddr != -1) Mman.munmap(callState, MemorySegment.ofAddress(sqAddr), sqSize);
            Unistd.close(callState, fd);
            throw e;
        }
    }

    private static long mmap(MemorySegment callState, int fd, long size, long offset, String what) {
        MemorySegment m = Mman.mmap(callState, MemorySegment.NULL, size, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_SHARED | Mman.MAP_POPULATE, fd, offset);
        if (Mman.failed(m)) {
            int errno = dev.evring.linux.Libc.errno(callState);
            throw Errno.exception("mmap(io_uring " + what + ", " + size + " bytes)", errno);
        }
        return m.address();
    }

    /** IORING_REGISTER_RING_FDS: the registered index, or -errno (then the plain fd is used). */
    private static int registerRingFd(MemorySegment callState, int fd) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment upd = tmp.allocate(IO_URING_RSRC_UPDATE);
            upd.set(JAVA_INT, OFF_RSRC_UPDATE_OFFSET, -1); // let the kernel pick a slot
            upd.set(JAVA_LONG, OFF_RSRC_UPDATE_DATA, fd);
            int r = IoUring.ioUringRegister(callState, fd, IORING_REGISTER_RING_FDS, upd, 1);
            if (r != 1) return r < 0 ? r : -Errno.EINVAL;
            return upd.get(JAVA_INT, OFF_RSRC_UPDATE_OFFSET);
        }
    }

    /**
     * IORING_REGISTER_IOWQ_MAX_WORKERS with the config's limits, if it asks for any. The limits belong to the io-wq of
     * the calling thread (the loop's), which every ring of that thread shares, and the kernel also applies them to an
     * io-wq the thread creates later. A refusal (EINVAL before 5.15, EPERM from a seccomp filter) leaves the kernel's
     * limits: the ring works as before, and {@link #iowqLimitResult()} says why.
     */
    private void limitIoWorkers() {
        if (iowqBounded == 0 && iowqUnbounded == 0) return;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment counts = tmp.allocate(JAVA_INT, 2);
            counts.setAtIndex(JAVA_INT, IO_WQ_BOUND, iowqBounded);
            counts.setAtIndex(JAVA_INT, IO_WQ_UNBOUND, iowqUnbounded);
            int r = IoUring.ioUringRegister(callState, fd, IORING_REGISTER_IOWQ_MAX_WORKERS, counts, 2);
            iowqResult = Math.min(r, 0);
            if (r >= 0) {
                iowqPreviousBounded = counts.getAtIndex(JAVA_INT, IO_WQ_BOUND);
                iowqPreviousUnbounded = counts.getAtIndex(JAVA_INT, IO_WQ_UNBOUND);
            }
        }
    }

    /** Probes the kernel's opcodes once per process (IORING_REGISTER_PROBE, 5.6). */
    private void probeOpcodes() {
        if (probedOps != null || probeErrno != 0) return;
        int n = 256;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment probe = tmp.allocate(PROBE_SIZE + PROBE_OP_SIZE * n, 8);
            int r = IoUring.ioUringRegister(callState, fd, IORING_REGISTER_PROBE, probe, n);
            if (r < 0) {
                probeErrno = -r;
                return;
            }
            long[] bits = new long[4];
            int len = Math.min(n, probe.get(JAVA_BYTE, OFF_PROBE_OPS_LEN) & 0xFF);
            for (int i = 0; i < len; i++) {
                long base = PROBE_SIZE + PROBE_OP_SIZE * i;
                int op = probe.get(JAVA_BYTE, base + OFF_PROBE_OP_OP) & 0xFF;
                int fl = probe.get(JAVA_SHORT, base + OFF_PROBE_OP_FLAGS) & 0xFFFF;
                if ((fl & IO_URING_OP_SUPPORTED) != 0) bits[op >>> 6] |= 1L << (op & 63);
            }
            probedOps = bits;
        }
    }

    /** Whether the kernel supports {@code opcode}; false when it cannot say (IORING_REGISTER_PROBE failed). */
    public boolean opcodeSupported(int opcode) {
        probeOpcodes();
        long[] bits = probedOps;
        if (bits == null || opcode < 0 || opcode > 255) return false;
        return (bits[opcode >>> 6] & (1L << (opcode & 63))) != 0;
    }

    /**
     * Why IORING_REGISTER_PROBE did not answer, in words that say what was observed; empty when it did. Without the
     * probe {@link #opcodeSupported} says false for every opcode: callers that report a missing feature should say
     * this rather than blame the kernel's version.
     */
    public String probeFailure() {
        probeOpcodes();
        int e = probeErrno;
        if (e == 0) return "";
        if (e == Errno.EINVAL) return "io_uring_register(IORING_REGISTER_PROBE) failed with EINVAL: no opcode probe (Linux before 5.6)";
        return "io_uring_register(IORING_REGISTER_PROBE) failed with " + Errno.name(e)
                + (e == Errno.EPERM ? " (io_uring_register is refused, e.g. by a seccomp filter)" : ": " + Errno.description(e));
    }

    /** Whether IORING_REGISTER_PROBE answered (kernel 5.6+). */
    public boolean probeAvailable() {
        probeOpcodes();
        return probedOps != null;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // facts

    public int fd() {
        return fd;
    }

    public int setupFlags() {
        return setupFlags;
    }

    public int features() {
        return features;
    }

    public boolean hasFeature(int feature) {
        return (features & feature) == feature;
    }

    public boolean singleMmap() {
        return singleMmap;
    }

    public boolean ringFdRegistered() {
        return ringFdRegistered;
    }

    /** This ring's mark in the res of the messages posted to it ({@link RingMessage}). */
    public int messageMark() {
        return messageMark;
    }

    /** Whether enters carry IORING_ENTER_NO_IOWAIT (asked for, and the kernel has IORING_FEAT_NO_IOWAIT). */
    public boolean noIowait() {
        return (enterFlags & IORING_ENTER_NO_IOWAIT) != 0;
    }

    /** The io-wq worker limits asked for: {@link IoUring#IO_WQ_BOUND} or {@link IoUring#IO_WQ_UNBOUND}; 0 is none. */
    public int iowqLimit(int workerClass) {
        return workerClass == IO_WQ_BOUND ? iowqBounded : iowqUnbounded;
    }

    /** 0 when the io-wq limits were set (or none asked for), else the -errno of IORING_REGISTER_IOWQ_MAX_WORKERS. */
    public int iowqLimitResult() {
        return iowqResult;
    }

    /** The io-wq limit the kernel had before ours, as it reported it; 0 when it could not say (no io-wq yet). */
    public int iowqPreviousLimit(int workerClass) {
        return workerClass == IO_WQ_BOUND ? iowqPreviousBounded : iowqPreviousUnbounded;
    }

    public int sqEntries() {
        return sqEntries;
    }

    public int cqEntries() {
        return cqEntries;
    }

    /** The SQE array, every entry. */
    public MemorySegment sqes() {
        return sqes;
    }

    /** io_uring_enter calls that could block: GETEVENTS with a minimum to wait for. */
    public long enterWaitCount() {
        return enterWaitCount;
    }

    /** io_uring_enter calls that could not block: submissions, flushes, runs of completion work. */
    public long enterSubmitCount() {
        return enterSubmitCount;
    }

    /** SQEs the kernel consumed. */
    public long submittedCount() {
        return submittedCount;
    }

    /** CQEs delivered. */
    public long reapedCount() {
        return reapedCount;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // submission

    /**
     * Claims the next SQE without submitting: its byte offset in {@link #sqes()}, zeroed, or -1 when the SQ is full.
     */
    public long claimSqe() {
        int tail = sqTail;
        if (tail - sqHeadSeen >= sqEntries) {
            // pairs with the kernel's store-release of the SQ head once it has consumed entries
            sqHeadSeen = (int) INT.getAcquire(sqRing, sqHeadOff);
            if (tail - sqHeadSeen >= sqEntries) return -1;
        }
        sqTail = tail + 1;
        long off = (long) (tail & sqMask) * SQE_SIZE;
        Sqe.clear(sqes, off);
        return off;
    }

    /** Entries free for {@link #claimSqe()} now. */
    public int sqSpace() {
        sqHeadSeen = (int) INT.getAcquire(sqRing, sqHeadOff); // pairs with the kernel's release of the SQ head
        return sqEntries - (sqTail - sqHeadSeen);
    }

    /**
     * Publishes the SQEs claimed so far to the kernel and returns how many it has not consumed yet (including any a
     * previous enter left behind).
     */
    public int flush() {
        int tail = sqTail;
        if (Faults.ENABLED && tail != sqTailPublished) rejectFaultSqes(tail);
        if (tail != sqTailPublished) {
            // pairs with the kernel's load-acquire of the SQ tail: our plain SQE stores are visible before the tail
            INT.setRelease(sqRing, sqTailOff, tail);
            sqTailPublished = tail;
        }
        sqHeadSeen = (int) INT.getAcquire(sqRing, sqHeadOff); // pairs with the kernel's release of the SQ head
        return tail - sqHeadSeen;
    }

    /** {@link RingFaults#rejectSqes}: marks the SQEs about to be published that the kernel is to fail with EINVAL. */
    private void rejectFaultSqes(int tail) {
        RingFaults.Plan p = RingFaults.active();
        if (p == null) return;
        for (int i = sqTailPublished; i != tail; i++) {
            long off = (long) (i & sqMask) * SQE_SIZE;
            if (RingFaults.reject(p, Sqe.opcode(sqes, off), sqes.get(JAVA_INT, off + OFF_SQE_FD))) {
                Sqe.flags(sqes, off, Sqe.flags(sqes, off) | UNDEFINED_IOSQE_FLAG);
            }
        }
    }

    /** An IOSQE_* bit no kernel defines (bits 0..6 are taken): the kernel fails the SQE with EINVAL. */
    private static final int UNDEFINED_IOSQE_FLAG = 1 << 7;

    /** Raw io_uring_enter on this ring: SQEs consumed, or -errno. The caller {@link #flush()}ed first. */
    public int enter(int toSubmit, int minComplete, int flags, MemorySegment arg, long argSize) {
        if (minComplete > 0 && (flags & IORING_ENTER_GETEVENTS) != 0) enterWaitCount++;
        else enterSubmitCount++;
        return enterCounted(toSubmit, minComplete, flags, arg, argSize);
    }

    /**
     * An io_uring_enter that runs up to {@code maxWork} items of deferred completion work (IORING_SETUP_DEFER_TASKRUN)
     * and never blocks: GETEVENTS with {@code min_complete = maxWork} and, through {@code zeroWaitArg} (an
     * {@code io_uring_getevents_arg} with IORING_ENTER_EXT_ARG, 5.11), a timeout of zero. The kernel's wait runs
     * {@code max(20, min_complete)} work items before it looks at its timeout (io_cqring_wait), where an enter with
     * {@code min_complete} 0 or 1 runs 20. Returns what {@link #enter} does (-ETIME when it posted nothing); counted as
     * an enter that could not block.
     */
    public int enterRunningWork(int toSubmit, int maxWork, MemorySegment zeroWaitArg, long argSize) {
        enterSubmitCount++;
        return enterCounted(toSubmit, maxWork, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, zeroWaitArg, argSize);
    }

    private int enterCounted(int toSubmit, int minComplete, int flags, MemorySegment arg, long argSize) {
        int r = IoUring.ioUringEnter(callState, enterFd, toSubmit, minComplete, flags | enterFlags, arg, argSize);
        if (r > 0) submittedCount += r;
        return r;
    }

    /**
     * Publishes and submits what is queued, without waiting (the kernel runs deferred completion work if
     * {@code getEvents}). EINTR is retried; EBUSY and EAGAIN (the kernel holds completions it cannot post, or lacks
     * memory for requests) are answered by moving the CQ's entries aside ({@link #stash()}) and retrying, a bounded
     * number of times. Returns the number of SQEs consumed, or -errno when the kernel keeps refusing.
     */
    public int submit(boolean getEvents) {
        int consumed = 0;
        for (int attempt = 0; ; attempt++) {
            int toSubmit = flush();
            if (toSubmit == 0 && !getEvents) return consumed;
            int r = enter(toSubmit, 0, getEvents ? IORING_ENTER_GETEVENTS : 0, MemorySegment.NULL, 0);
            if (r >= 0) {
                consumed += r;
                if (r == toSubmit || r == 0 && attempt > 2) return consumed;
                getEvents = false;
                continue; // a partial submission: the rest is still queued, submit it
            }
            if (r == -Errno.EINTR) continue;
            if ((r == -Errno.EBUSY || r == -Errno.EAGAIN) && attempt < 1000) {
                stash();
                getEvents = true; // lets the kernel flush its overflow backlog into the room we made
                if (attempt > 8) Thread.yield();
                continue;
            }
            return consumed > 0 ? consumed : r;
        }
    }

    /**
     * Makes room for {@code n} SQEs, submitting if needed; returns when {@link #sqSpace()} {@code >= n}.
     *
     * @throws ErrnoException if the kernel refuses to consume entries (out of memory)
     * @throws IllegalArgumentException if {@code n} exceeds the SQ size
     */
    public void reserve(int n) {
        if (n < 0 || n > sqEntries) throw new IllegalArgumentException("cannot reserve " + n + " SQEs in a ring of " + sqEntries);
        if (sqEntries - (sqTail - sqHeadSeen) >= n || sqSpace() >= n) return;
        for (int attempt = 0; attempt < 1000; attempt++) {
            int r = submit(false);
            if (sqSpace() >= n) return;
            if (r < 0 && r != -Errno.EBUSY && r != -Errno.EAGAIN && r != -Errno.EINTR) {
                throw Errno.exception("io_uring_enter(submit " + (sqTail - sqHeadSeen) + " SQEs)", -r);
            }
            stash();
            Thread.yield();
        }
        throw Errno.exception("io_uring_enter(submit " + (sqTail - sqHeadSeen) + " SQEs): the kernel consumed none in 1000 attempts", Errno.EAGAIN);
    }

    /**
     * Takes back an SQE claimed with {@link #claimSqe()} or {@link #nextSqe()} that the kernel has not read yet, if it
     * still carries {@code userData}: rewrites it in place into an IORING_OP_NOP with that user_data, keeping only
     * IOSQE_IO_LINK (a request linked behind it stays linked and still gets its CQE). Returns whether it did; false
     * when the kernel consumed the entry already (or the entry was claimed again for something else). No system call.
     *
     * <p>Why this is safe: without SQPOLL the kernel reads SQEs only inside io_uring_enter, in io_submit_sqes
     * (io_get_sqe walks from its cached head), and stores the SQ head with release only after those loads
     * (io_commit_sqring: "Ensure any loads from the SQEs are done at this point, since once we write the new head,
     * the application could write new data to them"). An entry at or past the head we read with acquire has not been
     * read; the next io_uring_enter is a system call this thread makes after the stores below.
     */
    public boolean revoke(long sqe, long userData) {
        if (sqe < 0 || sqe % SQE_SIZE != 0 || sqe >= (long) sqEntries * SQE_SIZE) return false;
        int index = (int) (sqe / SQE_SIZE);
        sqHeadSeen = (int) INT.getAcquire(sqRing, sqHeadOff); // pairs with the kernel's release of the SQ head
        int pending = sqTail - sqHeadSeen;
        int claimsAgo = (sqTail - 1 - index) & sqMask; // the entry's latest claim, counted back from the tail
        if (claimsAgo >= pending) return false;
        if (Sqe.userData(sqes, sqe) != userData) return false;
        int link = Sqe.flags(sqes, sqe) & IOSQE_IO_LINK;
        Sqe.clear(sqes, sqe);
        Sqe.prepNop(sqes, sqe, userData);
        Sqe.flags(sqes, sqe, link);
        return true;
    }

    /** Claims the next SQE, submitting first if the SQ is full. */
    public long nextSqe() {
        long off = claimSqe();
        if (off >= 0) return off;
        reserve(1);
        off = claimSqe();
        if (off < 0) throw new IllegalStateException("io_uring SQ full right after making room");
        return off;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // completion

    /** The SQ ring's flags (IORING_SQ_CQ_OVERFLOW, IORING_SQ_TASKRUN, ...). */
    public int sqFlags() {
        int flags = (int) INT.getOpaque(sqRing, sqFlagsOff); // the kernel sets these bits atomically; no ordering needed
        if (Faults.ENABLED) {
            RingFaults.Plan p = RingFaults.active();
            if (p != null && RingFaults.takeOverflowFlag(p)) flags |= IORING_SQ_CQ_OVERFLOW;
        }
        return flags;
    }

    /** CQEs the kernel dropped (cq_ring->overflow): only ever grows on kernels without IORING_FEAT_NODROP. */
    public int cqOverflow() {
        int dropped = (int) INT.getOpaque(cqRing, cqOverflowOff);
        if (Faults.ENABLED) {
            if (withoutNodrop && ((int) INT.getOpaque(sqRing, sqFlagsOff) & IORING_SQ_CQ_OVERFLOW) != 0) dropped++;
            RingFaults.Plan p = RingFaults.active();
            if (p != null) dropped += (int) RingFaults.takeDropped(p);
        }
        return dropped;
    }

    /** Whether a CQE (or a stashed one) is waiting. */
    public boolean cqReady() {
        // pairs with the kernel's store-release of the CQ tail after it wrote the CQE
        return stashHead < stashTail || (int) INT.getAcquire(cqRing, cqTailOff) != cqHead;
    }

    /** CQEs waiting in the CQ ring (not counting stashed ones). */
    public int cqCount() {
        return (int) INT.getAcquire(cqRing, cqTailOff) - cqHead; // pairs with the kernel's release of the tail
    }

    /**
     * Delivers every waiting CQE to {@code sink}, stashed ones first, in the order the kernel posted them, and frees
     * their slots. The sink may submit (and so stash) while it runs; delivery stays in order. Returns the number
     * delivered.
     */
    public int reap(CqeSink sink) {
        int n = 0;
        RingFaults.Plan faults = Faults.ENABLED ? RingFaults.active() : null;
        if (faults != null) n += RingFaults.deliverInjected(faults, sink);
        final MemorySegment cq = cqRing;
        final long cqes = cqesOff;
        final int mask = cqMask;
        outer:
        while (true) {
            while (stashHead < stashTail) {
                int i = stashHead++;
                n++;
                sink.onCqe(stashUserData[i], stashRes[i], stashFlags[i]);
            }
            stashHead = stashTail = 0;
            int head = cqHead;
            // pairs with the kernel's store-release of the CQ tail: the CQEs up to it are written
            int tail = (int) INT.getAcquire(cq, cqTailOff);
            if (head == tail) break;
            while (head != tail) {
                long base = cqes + (long) (head & mask) * CQE_SIZE;
                long userData = cq.get(JAVA_LONG, base + OFF_CQE_USER_DATA);
                int res = cq.get(JAVA_INT, base + OFF_CQE_RES);
                int flags = cq.get(JAVA_INT, base + OFF_CQE_FLAGS);
                if (faults != null) {
                    int was = res;
                    res = RingFaults.rewrite(faults, userData, res);
                    if (res != was && res < 0) flags &= ~IORING_CQE_F_MORE; // an error ends a multishot request
                }
                cqHead = ++head;
                n++;
                sink.onCqe(userData, res, flags);
                if (cqHead != head || stashTail != 0) continue outer; // the sink stashed: deliver that first
            }
        }
        publishCqHead();
        reapedCount += n;
        return n;
    }

    private void publishCqHead() {
        if (cqHead != cqHeadPublished) {
            // pairs with the kernel's load-acquire of the CQ head: we are done reading the CQEs before it
            INT.setRelease(cqRing, cqHeadOff, cqHead);
            cqHeadPublished = cqHead;
        }
    }

    /**
     * Moves every CQE out of the CQ ring into a Java-side backlog that {@link #reap} delivers first: makes room in the
     * CQ without running any handler (used when the kernel refuses to submit until it can post its overflow).
     */
    public void stash() {
        int head = cqHead;
        int tail = (int) INT.getAcquire(cqRing, cqTailOff); // pairs with the kernel's release of the CQ tail
        int count = tail - head;
        if (count <= 0) return;
        if (stashTail + count > stashUserData.length) {
            int cap = Math.max(16, Integer.highestOneBit(stashTail + count) * 2);
            stashUserData = Arrays.copyOf(stashUserData, cap);
            stashRes = Arrays.copyOf(stashRes, cap);
            stashFlags = Arrays.copyOf(stashFlags, cap);
        }
        for (; head != tail; head++) {
            long base = cqesOff + (long) (head & cqMask) * CQE_SIZE;
            int i = stashTail++;
            stashUserData[i] = cqRing.get(JAVA_LONG, base + OFF_CQE_USER_DATA);
            stashRes[i] = cqRing.get(JAVA_INT, base + OFF_CQE_RES);
            stashFlags[i] = cqRing.get(JAVA_INT, base + OFF_CQE_FLAGS);
        }
        cqHead = head;
        publishCqHead();
    }

    /** io_uring_register on this ring: the result, or -errno. */
    public int register(int opcode, MemorySegment arg, int nrArgs) {
        return IoUring.ioUringRegister(callState, fd, opcode, arg, nrArgs);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Unregisters the ring fd, unmaps the rings and closes the fd; the kernel cancels whatever is in flight. Segments
     * of this ring fail from now on. Idempotent.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        mapArena.close(); // first: nothing can reach the mappings through a segment any more
        if (ringFdRegistered) {
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment upd = tmp.allocate(IO_URING_RSRC_UPDATE);
                upd.set(JAVA_INT, OFF_RSRC_UPDATE_OFFSET, enterFd);
                IoUring.ioUringRegister(callState, fd, IORING_UNREGISTER_RING_FDS, upd, 1);
            }
        }
        Mman.munmap(callState, MemorySegment.ofAddress(sqesAddr), sqesSize);
        if (cqRingAddr != sqRingAddr) Mman.munmap(callState, MemorySegment.ofAddress(cqRingAddr), cqRingSize);
        Mman.munmap(callState, MemorySegment.ofAddress(sqRingAddr), sqRingSize);
        Unistd.close(callState, fd);
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Ring[fd " + fd + ", sq " + sqEntries + ", cq " + cqEntries + ", flags 0x" + Integer.toHexString(setupFlags)
                + ", features 0x" + Integer.toHexString(features) + "]";
    }
}
