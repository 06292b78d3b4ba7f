package dev.evring.backend;

/**
 * The layout of what a backend counts: named indices into a {@code long[]} of {@link #COUNT} elements that the caller
 * owns and {@link LoopBackend#counters} fills, so a stats snapshot costs no allocation beyond the caller's record.
 * Every count starts at 0 when the backend opens and only grows; a backend leaves 0 where it has no such thing (epoll
 * makes no io_uring_enter). An io_uring backend that moved to epoll keeps what its rings counted and adds epoll's.
 */
public final class BackendCounters {
    private BackendCounters() {}

    /** io_uring_enter calls that could not block: submissions, overflow flushes, runs of completion work. */
    public static final int ENTER_SUBMIT = 0;
    /** io_uring_enter calls that could block: GETEVENTS with a completion to wait for (the loop's wait). */
    public static final int ENTER_WAIT = 1;
    /** SQEs the kernel consumed. */
    public static final int SQES_SUBMITTED = 2;
    /** CQEs reaped, whoever they were for: {@link #CQES_BACKEND} + {@link #CQES_HANDLERS} + {@link #CQES_STRAY}. */
    public static final int CQES_REAPED = 3;
    /** CQEs of the backend's own requests: polls and their removals, wakeup reads, timeouts, messages. */
    public static final int CQES_BACKEND = 4;
    /** CQEs of the completion handlers above the loop (dev.evring.net's operations, through RingOps). */
    public static final int CQES_HANDLERS = 5;
    /** CQEs nobody owns: a tag no handler has, an fd out of range, a message meant for another ring. */
    public static final int CQES_STRAY = 6;
    /** CQEs of poll requests removed or replaced before they completed (their file may not be the fd's any more). */
    public static final int CQES_STALE = 7;
    /**
     * Times the CQ overflowed: the kernel held completions that did not fit (IORING_SQ_CQ_OVERFLOW, flushed in), or,
     * without IORING_FEAT_NODROP, dropped some (then the ring is rebuilt).
     */
    public static final int CQ_OVERFLOWS = 8;
    /** Rings rebuilt larger after lost completions (kernels without NODROP). */
    public static final int RING_REBUILDS = 9;
    /** Moves to epoll after lost completions at the kernel's ring size limit (0 or 1). */
    public static final int MOVES_TO_EPOLL = 10;
    /** Wakeups written to the backend from other threads ({@link LoopBackend#wakeup()} calls). */
    public static final int WAKEUPS_SENT = 11;
    /**
     * Times the backend's wakeup channel fired: its eventfd (several sends may fire it once), or a message to its
     * {@link LoopBackend#wakeupTarget()}.
     */
    public static final int WAKEUPS_RECEIVED = 12;
    /** epoll_wait calls (the epoll backend's, the io_uring backend's epoll set for files io_uring cannot poll). */
    public static final int EPOLL_WAITS = 13;
    /** Events epoll_wait returned. */
    public static final int EPOLL_EVENTS = 14;
    /** poll(2) calls. */
    public static final int POLL_CALLS = 15;
    /** pollfds poll(2) found ready. */
    public static final int POLL_EVENTS = 16;
    /** Messages this ring queued for other rings (IORING_OP_MSG_RING, RingOps.postMessage). */
    public static final int MESSAGES_SENT = 17;
    /** Messages other rings (or threads) posted to this one that reached their handler, or woke the loop. */
    public static final int MESSAGES_RECEIVED = 18;

    /** The length of a counters array. */
    public static final int COUNT = 19;

    private static final String[] NAMES = {
            "enterSubmit", "enterWait", "sqesSubmitted", "cqesReaped", "cqesBackend", "cqesHandlers", "cqesStray",
            "cqesStale", "cqOverflows", "ringRebuilds", "movesToEpoll", "wakeupsSent", "wakeupsReceived",
            "epollWaits", "epollEvents", "pollCalls", "pollEvents", "messagesSent", "messagesReceived"};

    /** The counter's name, as a stats record would call it ("enterWait", "cqesHandlers", ...). */
    public static String name(int index) {
        return NAMES[index];
    }

    /** A counters array, for a caller to keep and refill. */
    public static long[] newArray() {
        return new long[COUNT];
    }

    /** {@code name=value} for every counter that is not 0: for details and test messages. */
    public static String describe(long[] counters) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < COUNT; i++) {
            if (counters[i] == 0) continue;
            if (!b.isEmpty()) b.append(", ");
            b.append(NAMES[i]).append('=').append(counters[i]);
        }
        return b.isEmpty() ? "nothing counted" : b.toString();
    }
}
