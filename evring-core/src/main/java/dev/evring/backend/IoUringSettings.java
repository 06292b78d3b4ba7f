package dev.evring.backend;

import dev.evring.linux.Errno;
import dev.evring.uring.Ring;
import dev.evring.uring.RingMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static dev.evring.linux.IoUring.*;

/**
 * The {@code io_uring.*} options, parsed and checked once ({@link #parse}), and the description of what the backend
 * found and uses ({@link #describe}). Every option is checked whatever backend the loop ends up on
 * ({@link BackendOptions#validate()}): a bad value is a mistake even where io_uring is unavailable.
 */
record IoUringSettings(IoUringBackend.PollMode pollChoice, IoUringBackend.WaitMode waitChoice, boolean singleMmap,
                       boolean deferTaskrun, boolean singleIssuer, boolean coopTaskrun, boolean submitAll,
                       boolean noSqarray, boolean registerRingFd, int sqEntries, int cqEntries, boolean noIowait,
                       int iowqBounded, int iowqUnbounded) {

    static final String PREFIX = "io_uring.";
    private static final int DEFAULT_SQ_ENTRIES = 256;
    private static final int DEFAULT_CQ_ENTRIES = 4096;
    /**
     * io-wq workers per loop thread, for each class (bounded: regular files; unbounded: anything that may block for
     * ever). evring's own requests never need a worker while the kernel has FAST_POLL (sockets, pipes and eventfds are
     * polled), so workers serve file I/O that cannot complete at once, or what a user forces async. The kernel's
     * defaults (min(SQ size, 4 x CPUs) bounded, RLIMIT_NPROC unbounded) let one loop start hundreds of threads.
     */
    private static final int DEFAULT_IOWQ_WORKERS = 4;
    /** The kernel refuses limits above INT_MAX; a few thousand threads per loop is already a mistake. */
    private static final int MAX_IOWQ_WORKERS = 65536;
    /** Every key this class reads: any other {@code io_uring.*} key is a mistake (a typo, an option that was removed). */
    static final Set<String> KEYS = Set.of("io_uring.poll", "io_uring.wait", "io_uring.mmap", "io_uring.sq_entries",
            "io_uring.cq_entries", "io_uring.defer_taskrun", "io_uring.single_issuer", "io_uring.coop_taskrun",
            "io_uring.submit_all", "io_uring.no_sqarray", "io_uring.register_ring_fd", "io_uring.no_iowait",
            "io_uring.iowq_max_workers");

    /**
     * @throws IllegalArgumentException naming key and value, for a value that is not one the key takes, or an
     *                                  {@code io_uring.*} key that does not exist
     */
    static IoUringSettings parse(BackendOptions o) {
        for (String key : o.keys()) {
            if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
                throw new IllegalArgumentException("option " + key + "=" + o.get(key, "") + " is unknown; io_uring options are "
                        + KEYS.stream().sorted().toList());
            }
        }
        IoUringBackend.PollMode poll = switch (o.get("io_uring.poll", "auto").toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "multishot" -> IoUringBackend.PollMode.MULTISHOT;
            case "oneshot" -> IoUringBackend.PollMode.ONESHOT;
            default -> throw new IllegalArgumentException("option io_uring.poll=" + o.get("io_uring.poll", "")
                    + " is not one of multishot, oneshot, auto");
        };
        IoUringBackend.WaitMode wait = switch (o.get("io_uring.wait", "auto").toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "ext_arg" -> IoUringBackend.WaitMode.EXT_ARG;
            case "timeout" -> IoUringBackend.WaitMode.TIMEOUT;
            case "timerfd" -> IoUringBackend.WaitMode.TIMERFD;
            default -> throw new IllegalArgumentException("option io_uring.wait=" + o.get("io_uring.wait", "")
                    + " is not one of ext_arg, timeout, timerfd, auto");
        };
        boolean single = switch (o.get("io_uring.mmap", "single").toLowerCase(Locale.ROOT)) {
            case "single", "auto" -> true;
            case "triple" -> false;
            default -> throw new IllegalArgumentException("option io_uring.mmap=" + o.get("io_uring.mmap", "")
                    + " is not one of single, triple");
        };
        int sq = o.integer("io_uring.sq_entries", DEFAULT_SQ_ENTRIES);
        if (sq < 1 || sq > IORING_MAX_ENTRIES) {
            throw new IllegalArgumentException("option io_uring.sq_entries=" + sq + " is not 1.." + IORING_MAX_ENTRIES);
        }
        int cq = o.integer("io_uring.cq_entries", Math.max(DEFAULT_CQ_ENTRIES, 2 * sq));
        if (cq < sq || cq > IORING_MAX_CQ_ENTRIES) {
            throw new IllegalArgumentException("option io_uring.cq_entries=" + cq + " is not " + sq
                    + " (io_uring.sq_entries).." + IORING_MAX_CQ_ENTRIES);
        }
        int[] iowq = iowqWorkers(o.get("io_uring.iowq_max_workers", DEFAULT_IOWQ_WORKERS + "," + DEFAULT_IOWQ_WORKERS));
        return new IoUringSettings(poll, wait, single,
                o.flag("io_uring.defer_taskrun", true),
                o.flag("io_uring.single_issuer", true),
                o.flag("io_uring.coop_taskrun", true),
                o.flag("io_uring.submit_all", true),
                o.flag("io_uring.no_sqarray", true),
                o.flag("io_uring.register_ring_fd", true),
                sq, cq,
                o.flag("io_uring.no_iowait", true),
                iowq[0], iowq[1]);
    }

    /** {@code io_uring.iowq_max_workers}: "N" (both classes) or "bounded,unbounded", each 0..65536 (0: the kernel's). */
    private static int[] iowqWorkers(String v) {
        String[] parts = v.split(",", -1);
        if (parts.length > 2) throw badIowq(v);
        int[] n = new int[2];
        for (int i = 0; i < 2; i++) {
            String p = parts[Math.min(i, parts.length - 1)].trim();
            try {
                n[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw badIowq(v);
            }
            if (n[i] < 0 || n[i] > MAX_IOWQ_WORKERS) throw badIowq(v);
        }
        return n;
    }

    private static IllegalArgumentException badIowq(String v) {
        return new IllegalArgumentException("option io_uring.iowq_max_workers=" + v + " is not N or bounded,unbounded"
                + " with each 0.." + MAX_IOWQ_WORKERS + " (0: the kernel's limit)");
    }

    /** The IORING_SETUP_* flags these settings ask for. */
    int setupFlags() {
        int flags = IORING_SETUP_CLAMP;
        if (submitAll) flags |= IORING_SETUP_SUBMIT_ALL;
        if (coopTaskrun) flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
        if (singleIssuer) flags |= IORING_SETUP_SINGLE_ISSUER;
        if (deferTaskrun && singleIssuer) flags |= IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
        if (noSqarray) flags |= IORING_SETUP_NO_SQARRAY;
        return flags;
    }

    Ring.Config ringConfig(int sq, int cq) {
        return new Ring.Config(sq, cq, setupFlags(), singleMmap, registerRingFd, noIowait, iowqBounded, iowqUnbounded);
    }

    /** What the backend found and uses, one feature a row, for {@code loop.backendDetails()}. */
    String describe(Ring r, IoUringBackend.PollMode pollMode, IoUringBackend.WaitMode waitMode, boolean cqeSkip,
                    String extra) {
        boolean multishot = pollMode == IoUringBackend.PollMode.MULTISHOT;
        int f = r.features();
        int s = r.setupFlags();
        StringBuilder b = new StringBuilder();
        b.append("io_uring: SQ ").append(r.sqEntries()).append(" / CQ ").append(r.cqEntries()).append(" entries, poll ")
                .append(pollMode.name().toLowerCase(Locale.ROOT))
                .append(multishot ? " (level re-check by POLL_UPDATE)" : " (re-armed after every event)")
                .append(", wait ").append(waitMode.name().toLowerCase(Locale.ROOT))
                .append(", ").append(r.singleMmap() ? "single mmap" : "three mmaps").append(extra);
        List<String[]> rows = new ArrayList<>();
        feature(rows, "SINGLE_MMAP", f, IORING_FEAT_SINGLE_MMAP, r.singleMmap(), "one mmap for SQ and CQ rings");
        feature(rows, "NODROP", f, IORING_FEAT_NODROP, r.hasFeature(IORING_FEAT_NODROP), "CQ overflow kept by the kernel, flushed");
        feature(rows, "EXT_ARG", f, IORING_FEAT_EXT_ARG, waitMode == IoUringBackend.WaitMode.EXT_ARG, "wait timeout without a timer request");
        rows.add(row("multishot poll", r.hasFeature(IORING_FEAT_RSRC_TAGS) ? "yes" : "no", multishot, multishot
                ? "5.13: POLL_ADD_MULTI, level re-check by POLL_UPDATE"
                : "5.13; off by default: level-triggered watchers re-poll per event, cheaper by oneshot POLL_ADD (io_uring.poll=multishot)"));
        feature(rows, "CQE_SKIP", f, IORING_FEAT_CQE_SKIP, cqeSkip, "no CQE for successful removes and re-checks");
        feature(rows, "FAST_POLL", f, IORING_FEAT_FAST_POLL, r.hasFeature(IORING_FEAT_FAST_POLL), "eventfd read waits by poll, not a worker");
        setup(rows, "SINGLE_ISSUER", s, IORING_SETUP_SINGLE_ISSUER, singleIssuer, "io_uring.single_issuer");
        setup(rows, "DEFER_TASKRUN", s, IORING_SETUP_DEFER_TASKRUN, deferTaskrun && singleIssuer, "io_uring.defer_taskrun");
        setup(rows, "COOP_TASKRUN", s, IORING_SETUP_COOP_TASKRUN, coopTaskrun, "io_uring.coop_taskrun");
        setup(rows, "TASKRUN_FLAG", s, IORING_SETUP_TASKRUN_FLAG, coopTaskrun || deferTaskrun, "with coop/defer taskrun");
        setup(rows, "SUBMIT_ALL", s, IORING_SETUP_SUBMIT_ALL, submitAll, "io_uring.submit_all");
        setup(rows, "NO_SQARRAY", s, IORING_SETUP_NO_SQARRAY, noSqarray, "io_uring.no_sqarray");
        rows.add(row("registered ring fd", registerRingFd ? (r.ringFdRegistered() ? "yes" : "no") : "not probed",
                r.ringFdRegistered(), "io_uring.register_ring_fd"));
        String probe = r.probeAvailable() ? "yes" : "no";
        rows.add(row("opcode probe", probe, r.probeAvailable(), r.probeAvailable() ? "IORING_REGISTER_PROBE"
                : "IORING_REGISTER_PROBE: " + r.probeFailure()));
        feature(rows, "NO_IOWAIT", f, IORING_FEAT_NO_IOWAIT, r.noIowait(), noIowait
                ? "6.15: an idle wait with requests armed is not iowait" : "off by io_uring.no_iowait");
        rows.add(iowqRow(r));
        boolean msgRing = r.opcodeSupported(IORING_OP_MSG_RING);
        rows.add(row("MSG_RING", msgRing ? "yes" : "no", msgRing, msgRing
                ? "5.18: loops' rings message each other (RingOps.postMessage); from any thread: "
                        + (RingMessage.sendSupported() ? "yes (IORING_REGISTER_SEND_MSG_RING, 6.13)" : "no, " + RingMessage.sendUnsupportedReason())
                : r.probeAvailable() ? "5.18" : "unknown: " + r.probeFailure()));
        boolean bundles = r.hasFeature(IORING_FEAT_RECVSEND_BUNDLE);
        feature(rows, "RECVSEND_BUNDLE", f, IORING_FEAT_RECVSEND_BUNDLE, bundles,
                "6.10: net's multishot receives (recvShare(0)) as bundles, net.recv_bundle");
        boolean fixedFiles = r.opcodeSupported(IORING_OP_FILES_UPDATE) && r.opcodeSupported(IORING_OP_SOCKET);
        rows.add(row("direct descriptors", fixedFiles ? "yes" : r.probeAvailable() ? "no" : "unknown", false,
                "5.19: net's connections in the ring's file table (FILES_UPDATE, IOSQE_FIXED_FILE, CLOSE of a slot);"
                        + " net.direct_descriptors, off by default (README: Direct descriptors)"));
        boolean recvMsgMulti = r.opcodeSupported(IORING_OP_SEND_ZC); // (multishot RECVMSG came with 6.0, as SEND_ZC)
        rows.add(row("multishot recvmsg", recvMsgMulti ? "yes" : r.probeAvailable() ? "no" : "unknown", false,
                "6.0: UDP receives over the buffer ring, off by default: net.udp_multishot=true (README: UDP)"));
        rows.add(row("PBUF_RING_INC", "not probed", false,
                "6.12: incremental buffer consumption, net.recv_incremental (a Net probes it: see net below)"));
        rows.add(row("SQPOLL", "not probed", false, "not offered: a kernel thread per loop"));
        rows.add(row("IOSQE_ASYNC", "-", false, "never by evring: it forces worker threads"));
        b.append("\n  ").append(String.format("%-20s %-11s %-5s %s", "feature", "found", "used", "note"));
        for (String[] row : rows) b.append("\n  ").append(String.format("%-20s %-11s %-5s %s", (Object[]) row));
        return b.toString();
    }

    /** IORING_REGISTER_IOWQ_MAX_WORKERS: the limits set, and the kernel's before them when it said. */
    private String[] iowqRow(Ring r) {
        String name = "io-wq worker limit";
        if (iowqBounded == 0 && iowqUnbounded == 0) return row(name, "not probed", false, "off by io_uring.iowq_max_workers=0");
        int res = r.iowqLimitResult();
        if (res < 0) {
            return row(name, "no", false, "IORING_REGISTER_IOWQ_MAX_WORKERS failed with " + Errno.name(-res)
                    + (res == -Errno.EINVAL ? " (Linux before 5.15)" : "") + ": the kernel's limits apply");
        }
        String limits = "at most " + limit(iowqBounded) + " bounded / " + limit(iowqUnbounded) + " unbounded per loop thread";
        int pb = r.iowqPreviousLimit(IO_WQ_BOUND);
        int pu = r.iowqPreviousLimit(IO_WQ_UNBOUND);
        if (pb != 0 || pu != 0) limits += " (the kernel's: " + pb + " / " + pu + ")";
        return row(name, "yes", true, limits);
    }

    private static String limit(int n) {
        return n == 0 ? "kernel's" : Integer.toString(n);
    }

    private static void feature(List<String[]> rows, String name, int features, int bit, boolean used, String note) {
        rows.add(row(name, (features & bit) != 0 ? "yes" : "no", used, note));
    }

    private static void setup(List<String[]> rows, String name, int flags, int bit, boolean asked, String option) {
        boolean on = (flags & bit) != 0;
        String found = on ? "yes" : asked ? "no" : "not probed";
        rows.add(row(name, found, on, asked ? "" : "off by " + option));
    }

    private static String[] row(String name, String found, boolean used, String note) {
        return new String[] {name, found, used ? "yes" : "no", note};
    }
}
