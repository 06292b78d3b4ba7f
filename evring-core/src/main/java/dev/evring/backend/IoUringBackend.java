package dev.evring.backend;

import dev.evring.ErrnoException;
import dev.evring.linux.Errno;
import dev.evring.linux.Poll;
import dev.evring.linux.Time;
import dev.evring.linux.TimerFd;
import dev.evring.linux.Unistd;
import dev.evring.uring.MessageTarget;
import dev.evring.uring.Ring;
import dev.evring.uring.RingMessage;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.evring.linux.IoUring.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The io_uring backend: libev's ev_iouring.c (its 2019 revisions 1.5 and 1.10) rebuilt on what io_uring offers
 * today. Readiness comes from POLL_ADD requests on the ring, their CQEs are reaped from shared memory, and every
 * change of interest, every re-check and the SQEs of evring's own completion I/O (the {@link RingOps} of
 * {@link IoUringRingOps}) ride on the one io_uring_enter per loop iteration that also waits. Its options and their
 * description are {@link IoUringSettings}.
 *
 * <h2>Readiness</h2>
 * Each watched fd has one poll request whose user_data packs the fd and a generation ({@link FdPayload});
 * the generation moves on whenever the request is removed or replaced, so no CQE of an old request reaches a
 * watcher. Removal and mask changes go by user_data (POLL_REMOVE, POLL_UPDATE), not by fd as the seed did.
 * <ul>
 * <li><b>Multishot</b> (IORING_POLL_ADD_MULTI, 5.13): the request stays armed and posts a CQE per wake-up, with
 * IORING_CQE_F_MORE; a CQE without it means the kernel ended the request, which is then armed again. Multishot poll is
 * edge-triggered after its first event, while an io watcher is level-triggered; so an fd whose event was delivered
 * gets a <em>level re-check</em> in the next iteration's submission: a POLL_UPDATE of the same request with the same
 * mask (flagged IOSQE_CQE_SKIP_SUCCESS, so it posts nothing when the fd was drained). The kernel re-arms the request,
 * polls the file afresh, and posts an event at once if it is still ready. The request itself lives on: no new
 * request, no terminating CQE, no re-arm.</li>
 * <li><b>Oneshot</b>: the seed's way, for kernels before 5.13: every event ends the request, and the fd is armed
 * again (a level-checked POLL_ADD) in the next iteration's submission.</li>
 * </ul>
 * A POLL_ADD that completes with EINVAL (a file io_uring cannot poll) hands its fd to an internal epoll set whose
 * own fd is watched through the ring (revision 1.5's "epollSet"); EBADF stops the fd's watchers with an error event.
 *
 * <h2>Waiting</h2>
 * The wait is bounded by IORING_ENTER_EXT_ARG with a timespec (5.11), else by an IORING_OP_TIMEOUT on the ring,
 * else by the seed's timerfd read through the ring; option {@code io_uring.wait} forces any of them. Other threads
 * wake the loop through an eventfd that the ring reads (IORING_OP_READ): no read system call on the loop's side.
 *
 * <h2>Messages</h2>
 * Other rings post CQEs to this one (IORING_OP_MSG_RING, {@link RingMessage}): tag {@link RingMessage#TAG}, checked
 * against this ring's mark and handed to the handler they name ({@link IoUringRingOps#deliverMessage}).
 *
 * <h2>Overflow</h2>
 * With IORING_FEAT_NODROP the kernel keeps CQEs that did not fit; when IORING_SQ_CQ_OVERFLOW is set after a reap, an
 * io_uring_enter(GETEVENTS) flushes them in, and EBUSY from the kernel means "reap, then retry". Without NODROP the
 * seed's path: CQEs were lost, so the ring is rebuilt twice as large and every fd armed afresh (level-checked, so no
 * readiness is lost); at the kernel's size limit the loop moves to epoll.
 *
 * <p>Why this class is over 800 lines: the readiness requests, their re-arms and re-checks, the epoll set, the waits
 * and the ring rebuild all read and write the same per-fd arrays and the same ring, so splitting them would only
 * spread that state. What stands apart has its own class: the options and their description
 * ({@link IoUringSettings}), the refusal messages ({@link IoUringRefusal}), the handler table and ring operations for
 * the layers above ({@link IoUringRingOps}), the user_data payload layout ({@link FdPayload}).
 */
public final class IoUringBackend extends LoopBackend implements Ring.CqeSink {
    // The backend's own user_data tags (0..15; 16..255 belong to RingOps handlers; 15 is RingMessage.TAG).
    static final int TAG_POLL = 1;
    static final int TAG_POLL_REMOVE = 2;
    static final int TAG_POLL_UPDATE = 3;
    static final int TAG_POLL_CHECK = 4;
    static final int TAG_WAKEUP = 5;
    static final int TAG_TIMEOUT = 6;
    static final int TAG_TIMEOUT_CTL = 7;
    static final int TAG_TIMERFD = 8;
    static final int TAG_EPOLL = 9;
    static final int TAG_CANCEL = 10;

    /** How readiness is requested. */
    public enum PollMode { MULTISHOT, ONESHOT }

    /** How the wait is bounded. */
    public enum WaitMode { EXT_ARG, TIMEOUT, TIMERFD }

    // fdFlags bits
    /** The fd is watched through {@link #epollSet}: io_uring refused to poll its file. */
    private static final byte IN_EPOLL_SET = 1;
    /** The fd is in {@link #rearmQueue}. */
    private static final byte REARM_QUEUED = 2;
    /** The kernel's IO_LOCAL_TW_DEFAULT_MAX (io_uring/tw.h, 6.13): completion work items one enter runs with DEFER_TASKRUN. */
    private static final int LOCAL_WORK_BATCH = 20;
    /** Rounds of "submit the rest" or "flush the overflow" in one poll before giving the loop its turn again. */
    private static final int MAX_ROUNDS = 1 << 20;

    private final Arena arena;
    private final MemorySegment callState;
    private final IoUringSettings settings;
    private final IoUringRingOps ringOps;
    private final EventFdWakeup wakeup;
    private final PollMode pollMode;
    private final WaitMode waitMode;
    private final boolean multishot;
    private final boolean cqeSkip;

    private Ring ring;
    /** {@link #wakeupTarget()}: read by other threads; changes with the ring (null without MSG_RING or a ring). */
    private volatile MessageTarget wakeTarget;
    /** Set when the loop moved to epoll (no NODROP, at the kernel's ring size limit): everything goes there. */
    private EpollBackend movedTo;
    private String movedReason;
    /** The description of the last ring, kept for {@link #details()} after a move to epoll. */
    private String lastRingDetails;

    // per fd
    private int[] pollArmed = new int[64]; // EV_READ|EV_WRITE of the armed poll request, 0 if none
    private int[] pollGen = new int[64];
    private byte[] fdFlags = new byte[64];
    /** Fds whose event was delivered (or whose request ended) in the last reap: re-armed or re-checked next poll. */
    private int[] rearmQueue = new int[64];
    private int rearmCount;

    /** The eventfd handed out by {@link #pollFd()} for embedding, or null until someone asks. */
    private EventFdWakeup embed;

    // fds io_uring cannot poll (POLL_ADD answered EINVAL), watched by an epoll set whose fd the ring polls
    private EpollBackend epollSet;
    private boolean epollSetArmed;
    private long epollSetSeq;
    private int epollSetFds;
    private String epollSetNote;
    /** The epoll set closed by a move to epoll, kept for its counts. */
    private EpollBackend retiredEpollSet;

    // wakeup: an IORING_OP_READ of the eventfd into wakeBuf
    private final MemorySegment wakeBuf;
    private boolean wakeupArmed;
    private long wakeSeq;
    private boolean quiescing;

    // waits
    private final MemorySegment getEventsArg;
    private final MemorySegment waitTs;
    /** A getevents arg with a zero timeout, for the enters that run deferred completion work; null without EXT_ARG. */
    private final MemorySegment runWorkArg;
    private final MemorySegment timeoutTs;
    private boolean timeoutArmed;
    private long timeoutDeadline;
    private long timeoutSeq;
    private int timerFd = -1;
    private final MemorySegment timerSpec;
    private final MemorySegment timerBuf;
    private boolean timerReadArmed;
    private long timerExpiry = Long.MAX_VALUE;
    private long timerSeq;

    // counters (BackendCounters, and the io_uring-only ones of Stats)
    private long pollAdds;
    private long pollUpdates;
    private long levelChecks;
    private long pollRemoves;
    private long staleCqes;
    private long strayCqes;
    private long handlerCqes;
    private long cqOverflows;
    private long overflowFlushes;
    private long ringRebuilds;
    private long movesToEpoll;
    private long wakeupsReceived;
    private long messagesReceived;
    /** What the rings given up so far counted. */
    private long enterWaitBase;
    private long enterSubmitBase;
    private long submittedBase;
    private long reapedBase;

    /**
     * Opens the ring on the calling thread (the loop's: with SINGLE_ISSUER it is the only one allowed to submit).
     *
     * @throws BackendUnavailableException when io_uring cannot work here, saying why in a user's words
     * @throws IllegalArgumentException    when an {@code io_uring.*} option has a bad value
     */
    public IoUringBackend(BackendHost host, Arena arena, BackendOptions options) {
        super(host);
        this.arena = arena;
        this.callState = host.callState();
        this.settings = IoUringSettings.parse(options);
        // Loads BackendEvents and JFR's FlightRecorder now, not at the first poll: a poll must not need to read a
        // class file, which fails in a process out of fds (and the loop must keep working there).
        BackendEvents.batchEnabled();
        this.wakeup = new EventFdWakeup(callState, false);
        Ring r = null;
        try {
            r = openRing(settings.sqEntries(), settings.cqEntries());
            this.ring = r;
            boolean multishotOk = r.hasFeature(IORING_FEAT_RSRC_TAGS); // 5.13: multishot poll and POLL_UPDATE
            // Oneshot by default, multishot on request. libev's io watchers are level-triggered, so after every
            // event the fd must be polled again whichever the mode: oneshot re-arms with a POLL_ADD; multishot
            // re-checks with a POLL_UPDATE, which the kernel serves as a hash lookup by user_data, a disarm and then
            // the same arming (io_poll_remove -> io_poll_add), so it costs more per event and the lookup grows with
            // the number of armed polls (the README gives the pipes benchmark's figures for both modes).
            this.pollMode = settings.pollChoice() != null ? settings.pollChoice() : PollMode.ONESHOT;
            if (pollMode == PollMode.MULTISHOT && !multishotOk) {
                throw new BackendUnavailableException("io_uring.poll=multishot needs multishot poll (Linux 5.13); this kernel lacks it");
            }
            this.multishot = pollMode == PollMode.MULTISHOT;
            boolean extArg = r.hasFeature(IORING_FEAT_EXT_ARG);
            boolean timeoutOp = r.hasFeature(IORING_FEAT_NODROP) || r.opcodeSupported(IORING_OP_TIMEOUT); // TIMEOUT is 5.4, NODROP 5.5
            this.waitMode = settings.waitChoice() != null ? settings.waitChoice() : extArg ? WaitMode.EXT_ARG : timeoutOp ? WaitMode.TIMEOUT : WaitMode.TIMERFD;
            if (waitMode == WaitMode.EXT_ARG && !extArg) {
                throw new BackendUnavailableException("io_uring.wait=ext_arg needs IORING_FEAT_EXT_ARG (Linux 5.11); this kernel lacks it");
            }
            if (waitMode == WaitMode.TIMEOUT && !timeoutOp) {
                throw new BackendUnavailableException("io_uring.wait=timeout needs IORING_OP_TIMEOUT (Linux 5.4); this kernel lacks it");
            }
            this.cqeSkip = r.hasFeature(IORING_FEAT_CQE_SKIP);
            // The kernel writes these when a read completes. The loop's arena frees them only after close(), when no
            // read can complete any more: nobody writes the eventfd once close began, and close disarms the timerfd.
            this.wakeBuf = arena.allocate(8, 8);
            this.timerBuf = arena.allocate(8, 8);
            this.getEventsArg = arena.allocate(IO_URING_GETEVENTS_ARG);
            this.waitTs = arena.allocate(Time.TIMESPEC);
            this.timeoutTs = arena.allocate(Time.TIMESPEC);
            this.timerSpec = arena.allocate(TimerFd.ITIMERSPEC);
            getEventsArg.set(JAVA_LONG, OFF_GETEVENTS_ARG_TS, waitTs.address());
            if (extArg) {
                this.runWorkArg = arena.allocate(IO_URING_GETEVENTS_ARG); // zeroed: no sigmask, no min_wait
                runWorkArg.set(JAVA_LONG, OFF_GETEVENTS_ARG_TS, arena.allocate(Time.TIMESPEC).address()); // 0 s
            } else {
                this.runWorkArg = null;
            }
            if (waitMode == WaitMode.TIMERFD) {
                int tfd = TimerFd.timerfdCreate(callState, Time.CLOCK_MONOTONIC, TimerFd.TFD_CLOEXEC); // blocking: read by the ring
                this.timerFd = Errno.check(tfd, "timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)");
            }
            armWakeup();
            if (waitMode == WaitMode.TIMERFD) armTimerRead();
            // Probe io_uring_enter before the loop is committed to io_uring: a container's seccomp profile may allow
            // io_uring_setup and refuse io_uring_enter. Submitting the wakeup read is the first enter anyway.
            int entered = r.submit(false);
            if (entered < 0) throw new BackendUnavailableException(IoUringRefusal.reason("io_uring_enter", -entered), Errno.exception("io_uring_enter", -entered));
            this.ringOps = new IoUringRingOps(host, r);
            this.wakeTarget = ownerTarget(r);
        } catch (RuntimeException | Error e) {
            if (r != null) r.close();
            if (timerFd >= 0) Unistd.close(callState, timerFd);
            wakeup.close(callState);
            throw e;
        }
    }

    private Ring openRing(int sq, int cq) {
        try {
            return Ring.open(settings.ringConfig(sq, cq), callState);
        } catch (ErrnoException e) {
            if (e.call().startsWith("io_uring_setup")) throw new BackendUnavailableException(IoUringRefusal.reason("io_uring_setup", e.errno()), e);
            throw new BackendUnavailableException("io_uring ring setup failed: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // LoopBackend

    @Override
    public String name() {
        return "io_uring";
    }

    @Override
    public String details() {
        if (ring != null) return describe();
        return "io_uring moved to epoll: " + movedReason + "\n" + lastRingDetails;
    }

    /** io_uring waits with a timespec (or an absolute timer): any wait is expressed to the nanosecond. */
    @Override
    public long minWaitNanos() {
        return 1;
    }

    /**
     * An eventfd that is readable whenever this loop has something to do: the kernel signals it for every completion
     * (IORING_REGISTER_EVENTFD, registered on the first call), and the backend signals it itself when an iteration
     * ends with work queued for the next one (re-arms and level re-checks, which only the next poll submits). An outer
     * loop watching it (embedding) runs this loop when it is readable; this loop drains it at each poll. Falls back to
     * the ring fd if the kernel refuses the registration.
     */
    @Override
    public int pollFd() {
        if (movedTo != null) return movedTo.pollFd();
        if (embed == null) {
            EventFdWakeup e = new EventFdWakeup(callState, true);
            if (registerEventFd(ring, e.fd()) < 0) {
                e.close(callState);
                return ring.fd();
            }
            embed = e;
            // SQEs queued before anyone embedded us (the wakeup read, fd changes) reach the kernel only with our next
            // poll: ask the embedder for a first sweep, or a wakeup from another thread would find no read armed
            e.signal();
        }
        return embed.fd();
    }

    private int registerEventFd(Ring r, int fd) {
        MemorySegment arg = arena.allocate(JAVA_INT);
        arg.set(JAVA_INT, 0, fd);
        return r.register(IORING_REGISTER_EVENTFD, arg, 1);
    }

    /** Embedded: tells the outer loop, through {@link #pollFd()}, that the next poll has work even with no new CQE. */
    private void signalEmbedder() {
        if (rearmCount > 0 || ring.cqReady() || (epollSet != null && !epollSetArmed) || !wakeupArmed) embed.signal();
    }

    private void ensureFd(int fd) {
        if (fd >= pollArmed.length) {
            int n = Math.max(pollArmed.length * 2, Integer.highestOneBit(fd) * 2);
            pollArmed = Arrays.copyOf(pollArmed, n);
            pollGen = Arrays.copyOf(pollGen, n);
            fdFlags = Arrays.copyOf(fdFlags, n);
        }
    }

    @Override
    public void modify(int fd, int oldEvents, int newEvents, boolean refresh) {
        if (movedTo != null) {
            movedTo.modify(fd, oldEvents, newEvents, refresh);
            return;
        }
        ensureFd(fd);
        if ((fdFlags[fd] & IN_EPOLL_SET) != 0) {
            if (!refresh) {
                epollSet.modify(fd, oldEvents, newEvents, false);
                return;
            }
            // a watcher was (re)set: the number may name another file now, one io_uring can poll. The mark about the
            // old file goes (it comes back if this one is refused too).
            leaveEpollSet(fd);
        }
        int armed = pollArmed[fd];
        if (newEvents == 0) {
            // Removed at once, not lazily as epoll does: the request holds a reference to the file, and a socket the
            // user closes must really close.
            if (armed != 0) removePoll(fd);
        } else if (armed == 0) {
            addPoll(fd, newEvents);
        } else if (refresh) {
            removePoll(fd); // the fd may be another file now
            addPoll(fd, newEvents);
        } else if (armed != newEvents) {
            // A POLL_UPDATE that adds bits reports their readiness only at the next enter (the kernel re-arms through
            // task work), an iteration late for a watcher started on an fd that is ready; a new request reports it at
            // once. So an update only narrows the mask.
            if (multishot && (newEvents & ~armed) == 0) {
                pollArmed[fd] = newEvents;
                updatePoll(fd, TAG_POLL_UPDATE);
                pollUpdates++;
            } else {
                removePoll(fd);
                addPoll(fd, newEvents);
            }
        }
    }

    private long pollUserData(int fd) {
        return UserData.pack(TAG_POLL, FdPayload.pack(fd, pollGen[fd]));
    }

    private void addPoll(int fd, int ev) {
        pollGen[fd] = FdPayload.next(pollGen[fd]);
        pollArmed[fd] = ev;
        int addFlags = multishot ? IORING_POLL_ADD_MULTI : 0;
        long sqe = ring.nextSqe();
        Sqe.prepPollAdd(ring.sqes(), sqe, fd, ReadinessBits.toPoll(ev), addFlags, pollUserData(fd));
        pollAdds++;
    }

    private void removePoll(int fd) {
        long target = pollUserData(fd);
        pollGen[fd] = FdPayload.next(pollGen[fd]); // from now on its CQEs are stale
        pollArmed[fd] = 0;
        queueRemove(target);
    }

    private void queueRemove(long target) {
        long sqe = ring.nextSqe();
        MemorySegment sqes = ring.sqes();
        Sqe.prepPollRemove(sqes, sqe, target, UserData.pack(TAG_POLL_REMOVE, UserData.payload(target)));
        if (cqeSkip) Sqe.flags(sqes, sqe, IOSQE_CQE_SKIP_SUCCESS);
        pollRemoves++;
    }

    /** POLL_UPDATE of the fd's request to its armed mask: re-arms it, and the kernel checks readiness afresh. */
    private void updatePoll(int fd, int tag) {
        long ud = pollUserData(fd);
        long sqe = ring.nextSqe();
        MemorySegment sqes = ring.sqes();
        Sqe.prepPollUpdate(sqes, sqe, ud, ud, ReadinessBits.toPoll(pollArmed[fd]), IORING_POLL_UPDATE_EVENTS | IORING_POLL_ADD_MULTI,
                UserData.pack(tag, UserData.payload(ud)));
        if (cqeSkip) Sqe.flags(sqes, sqe, IOSQE_CQE_SKIP_SUCCESS);
    }

    private void queueRearm(int fd) {
        if ((fdFlags[fd] & REARM_QUEUED) != 0) return;
        fdFlags[fd] |= REARM_QUEUED;
        if (rearmCount == rearmQueue.length) rearmQueue = Arrays.copyOf(rearmQueue, rearmCount * 2);
        rearmQueue[rearmCount++] = fd;
    }

    /**
     * For each fd whose event was delivered (or whose request ended) in the last reap, after the callbacks ran: arm
     * it again if its request ended, or queue the level re-check of its multishot request.
     */
    private void rearmQueued() {
        final int n = rearmCount;
        rearmCount = 0;
        for (int i = 0; i < n; i++) {
            int fd = rearmQueue[i];
            fdFlags[fd] &= ~REARM_QUEUED;
            if ((fdFlags[fd] & IN_EPOLL_SET) != 0) continue;
            int want = host.fdWanted(fd);
            if (want == 0) continue; // nothing watches it any more (modify removed its request)
            if (pollArmed[fd] == 0) {
                addPoll(fd, want);
            } else if (multishot) {
                updatePoll(fd, TAG_POLL_CHECK);
                levelChecks++;
            }
        }
    }

    @Override
    public void poll(long timeoutNanos) {
        if (movedTo != null) {
            movedTo.poll(timeoutNanos);
            return;
        }
        if (embed != null) embed.drain(callState);
        rearmQueued();
        if (!wakeupArmed) armWakeup();
        if (epollSet != null && !epollSetArmed) armEpollSet();
        if (waitMode == WaitMode.TIMERFD && !timerReadArmed) armTimerRead();
        long wait = ring.cqReady() ? 0 : timeoutNanos; // completions already waiting: do not block
        BackendEvents.RingBatch batch = BackendEvents.batchEnabled() ? BackendEvents.beginBatch() : null;
        if (batch != null) batchStart(wait);
        boolean runWork = false;
        for (int round = 0; ; round++) {
            if (wait > 0 && waitMode == WaitMode.TIMEOUT) armTimeout(wait);
            if (wait > 0 && waitMode == WaitMode.TIMERFD) armTimerfd(wait);
            int toSubmit = ring.flush();
            int r;
            if (runWork) {
                r = ring.enterRunningWork(toSubmit, Math.max(LOCAL_WORK_BATCH, ring.cqEntries() / 2), runWorkArg, GETEVENTS_ARG_SIZE);
            } else if (wait <= 0) {
                r = toSubmit == 0 && nothingPendingInKernel() ? 0
                        : ring.enter(toSubmit, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            } else if (waitMode == WaitMode.EXT_ARG) {
                Time.setTimespec(waitTs, wait);
                r = ring.enter(toSubmit, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, getEventsArg, GETEVENTS_ARG_SIZE);
            } else {
                r = ring.enter(toSubmit, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            }
            boolean retry = false;
            boolean lost = false;
            if (r < 0) {
                switch (-r) {
                    case Errno.EINTR, Errno.ETIME -> { } // a signal, or the wait's timeout expired
                    case Errno.EAGAIN, Errno.EBUSY -> retry = true; // the kernel wants CQ room first: reap, then retry
                    case Errno.EBADR -> lost = true; // the kernel dropped CQEs (out of memory)
                    case Errno.EEXIST -> throw new IllegalStateException("io_uring_enter from a thread that does not own"
                            + " the ring (IORING_SETUP_SINGLE_ISSUER): the loop was used from another thread");
                    default -> throw Errno.exception("io_uring_enter(ring " + ring.fd() + ", submit " + toSubmit + ")", -r);
                }
            } else if (r < toSubmit) {
                retry = true; // consumed fewer than queued (and the kernel skipped the wait): submit the rest
            }
            int reaped = ring.reap(this);
            // With DEFER_TASKRUN an enter that waits for one event runs at most LOCAL_WORK_BATCH completion work items
            // (poll wake-ups, receives, multishot events) and no flag says whether more are left (6.13 clears
            // IORING_SQ_TASKRUN first). A reap that got that many may have left ready fds behind: enter again, not
            // waiting, so each is reported in this iteration (IoWatcher's level-triggered promise), whatever their
            // number. That enter asks for up to half the CQ's entries with a zero timeout, so the kernel runs that
            // much work in one call (20 more per call otherwise: 50 calls for 1,000 sockets turning readable).
            runWork = false;
            if (reaped >= LOCAL_WORK_BATCH && (ring.setupFlags() & IORING_SETUP_DEFER_TASKRUN) != 0) {
                retry = true;
                runWork = runWorkArg != null;
            }
            if (handleOverflow(lost)) break; // the ring was rebuilt (or the loop moved to epoll): its work is queued
            if (!retry || round >= MAX_ROUNDS) break;
            if (reaped > 0) wait = 0;
        }
        if (batch != null) batchEnd(batch);
        if (embed != null && ring != null) signalEmbedder();
    }

    // What a RingBatch event reports: the poll's share of the counters (the rings may change during a poll).
    private long batchSqes;
    private long batchCqes;
    private long batchEnters;
    private long batchWait;

    private void batchStart(long wait) {
        batchSqes = totalSubmitted();
        batchCqes = totalReaped();
        batchEnters = totalEnters();
        batchWait = wait;
    }

    private void batchEnd(BackendEvents.RingBatch batch) {
        BackendEvents.commitBatch(batch, totalSubmitted() - batchSqes, totalReaped() - batchCqes,
                totalEnters() - batchEnters, batchWait);
    }

    /** With IORING_SETUP_TASKRUN_FLAG the kernel says whether an enter would find work; without it, assume so. */
    private boolean nothingPendingInKernel() {
        if ((ring.setupFlags() & IORING_SETUP_TASKRUN_FLAG) == 0) return false;
        return (ring.sqFlags() & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) == 0;
    }

    /**
     * After a reap: flushes the kernel's overflow backlog (NODROP) until it is empty, or, if CQEs were lost (no NODROP),
     * rebuilds the ring. Returns true when the ring was replaced or the loop
     * moved to epoll (this poll is then over).
     */
    private boolean handleOverflow(boolean lost) {
        if (lost || ring.cqOverflow() != 0) {
            // The CQ ring's overflow counter counts CQEs the kernel dropped: every overflow without NODROP, and with
            // NODROP the ones it could not keep (out of memory, what EBADR reports; an enter's errno may not say it).
            cqOverflows++;
            BackendEvents.cqOverflow(ring.cqEntries(), 0, true);
            recoverLostCompletions(lost ? "io_uring_enter reported EBADR (the kernel dropped completions)"
                    : "the CQ ring overflowed and completions were dropped");
            return true;
        }
        int sqFlags = ring.sqFlags();
        if ((sqFlags & IORING_SQ_CQ_OVERFLOW) == 0) return false;
        cqOverflows++;
        int round = 0;
        for (; (sqFlags & IORING_SQ_CQ_OVERFLOW) != 0 && round < MAX_ROUNDS; round++) {
            // The kernel holds CQEs that did not fit; we just made room: an enter with GETEVENTS moves them in.
            overflowFlushes++;
            int r = ring.enter(ring.flush(), 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            if (r < 0 && r != -Errno.EINTR && r != -Errno.EBUSY && r != -Errno.EAGAIN) {
                throw Errno.exception("io_uring_enter(GETEVENTS, flushing the CQ overflow)", -r);
            }
            ring.reap(this);
            sqFlags = ring.sqFlags();
        }
        BackendEvents.cqOverflow(ring.cqEntries(), round, false);
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // completions

    @Override
    public void onCqe(long userData, int res, int flags) {
        int tag = UserData.tag(userData);
        long payload = UserData.payload(userData);
        if (tag >= UserData.FIRST_HANDLER_TAG) {
            if (ringOps.dispatch(tag, userData, res, flags)) handlerCqes++;
            else strayCqes++;
            return;
        }
        switch (tag) {
            case TAG_POLL -> onPoll(payload, res, flags);
            case TAG_POLL_REMOVE -> onPollRemoved(payload, res);
            case TAG_POLL_UPDATE -> onPollUpdated(payload, res);
            case TAG_POLL_CHECK -> onPollChecked(payload, res);
            case TAG_WAKEUP -> onWakeup(payload, res);
            case TAG_TIMEOUT -> {
                if (payload == timeoutSeq) timeoutArmed = false;
            }
            case TAG_TIMEOUT_CTL, TAG_CANCEL -> { }
            case TAG_TIMERFD -> onTimerRead(payload, res);
            case TAG_EPOLL -> onEpollSetReady(payload, res);
            case RingMessage.TAG -> onMessage(payload, res);
            default -> strayCqes++;
        }
    }

    private void onMessage(long payload, int res) {
        if (res == RingMessage.route(ring.messageMark(), RingMessage.OWNER)) {
            messagesReceived++;
            wakeupsReceived++;
            host.wakeupReceived(); // a wakeup sent through wakeupTarget(), instead of the eventfd
        } else if (ringOps.deliverMessage(payload, res)) {
            messagesReceived++;
        } else {
            strayCqes++; // meant for a ring closed since, whose fd number this one took
        }
    }

    private void onPoll(long payload, int res, int cqeFlags) {
        int fd = FdPayload.fd(payload);
        if (fd < 0 || fd >= pollGen.length) {
            strayCqes++;
            return;
        }
        if (FdPayload.generation(payload) != pollGen[fd] || pollArmed[fd] == 0) {
            staleCqes++; // a request we removed or replaced: its file may not be this fd's any more
            return;
        }
        boolean ended = (cqeFlags & IORING_CQE_F_MORE) == 0;
        if (ended) pollArmed[fd] = 0;
        if (res < 0) {
            if (!ended) removePoll(fd);
            pollFailed(fd, res);
            return;
        }
        if ((res & Poll.POLLNVAL) != 0) {
            if (!ended) removePoll(fd);
            host.fdKill(fd);
            return;
        }
        queueRearm(fd);
        int ev = ReadinessBits.fromPoll(res);
        if (ev != 0) host.fdEvent(fd, ev);
    }

    private void pollFailed(int fd, int res) {
        switch (-res) {
            case Errno.ECANCELED -> queueRearm(fd); // cancelled by someone else (an ASYNC_CANCEL by fd): re-armed if still wanted
            case Errno.EBADF -> host.fdKill(fd);
            default -> toEpollSet(fd, res); // EINVAL: a file io_uring cannot poll; epoll may (and kills the fd if not)
        }
    }

    private void onPollRemoved(long payload, int res) {
        if (res == -Errno.EALREADY) {
            // The request was busy posting an event: it is still armed, holding its file. Ask again.
            queueRemove(UserData.pack(TAG_POLL, payload));
        }
    }

    private void onPollChecked(long payload, int res) {
        // EALREADY: the request is busy posting an event (that is the check's answer); ENOENT: it ended, and its last
        // CQE re-arms it. Anything else: the kernel refused the update; replace the request (level-checked too).
        if (res >= 0 || res == -Errno.EALREADY || res == -Errno.ENOENT) return;
        int fd = FdPayload.fd(payload);
        if (fd < 0 || fd >= pollGen.length || FdPayload.generation(payload) != pollGen[fd] || pollArmed[fd] == 0) return;
        int ev = pollArmed[fd];
        removePoll(fd);
        addPoll(fd, ev);
    }

    private void onPollUpdated(long payload, int res) {
        if (res >= 0) return;
        int fd = FdPayload.fd(payload);
        if (fd < 0 || fd >= pollGen.length || FdPayload.generation(payload) != pollGen[fd] || pollArmed[fd] == 0) return;
        if (res == -Errno.EALREADY) {
            updatePoll(fd, TAG_POLL_UPDATE); // busy posting an event with the old mask: try again
        } else if (res == -Errno.ENOENT) {
            addPoll(fd, pollArmed[fd]); // the request had ended; its last CQE (if still to come) is stale now
        } else {
            int ev = pollArmed[fd];
            removePoll(fd);
            addPoll(fd, ev);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // EINVAL epollSet: fds io_uring refuses to poll, watched by an epoll set whose fd the ring polls

    private void toEpollSet(int fd, int res) {
        ensureEpollSet();
        fdFlags[fd] |= IN_EPOLL_SET;
        pollGen[fd] = FdPayload.next(pollGen[fd]);
        pollArmed[fd] = 0;
        epollSetFds++;
        epollSetNote = "fd " + fd + ": POLL_ADD failed with " + Errno.name(-res) + ", watched through epoll";
        int want = host.fdWanted(fd);
        if (want != 0) epollSet.modify(fd, 0, want, true);
        if (!epollSetArmed) armEpollSet();
    }

    private void leaveEpollSet(int fd) {
        epollSet.remove(fd);
        fdFlags[fd] &= ~IN_EPOLL_SET;
        epollSetFds--;
    }

    private void ensureEpollSet() {
        if (epollSet == null) {
            epollSet = new EpollBackend(host, arena);
            epollSetArmed = false;
        }
    }

    private void armEpollSet() {
        epollSetArmed = true;
        long sqe = ring.nextSqe();
        // oneshot and level-checked at arming: epoll's fd stays readable while its level-triggered set has ready fds
        Sqe.prepPollAdd(ring.sqes(), sqe, epollSet.pollFd(), Poll.POLLIN, 0, UserData.pack(TAG_EPOLL, epollSetSeq));
    }

    private void onEpollSetReady(long payload, int res) {
        if (payload != epollSetSeq || epollSet == null) return;
        epollSetArmed = false;
        if (res > 0) epollSet.poll(0);
        // re-armed at the next poll, after the callbacks ran
    }

    // ---------------------------------------------------------------------------------------------------------------
    // wakeup and timers

    private void armWakeup() {
        wakeupArmed = true;
        long sqe = ring.nextSqe();
        Sqe.prepRead(ring.sqes(), sqe, wakeup.fd(), wakeBuf, 0, 8, 0, UserData.pack(TAG_WAKEUP, wakeSeq));
    }

    private void onWakeup(long payload, int res) {
        if (payload != wakeSeq) return;
        wakeupArmed = false;
        if (res != -Errno.ECANCELED) {
            wakeupsReceived++;
            host.wakeupReceived(); // a read of 8 bytes reset the counter; anything else: look anyway
        }
        if (!quiescing) armWakeup();
    }

    private void armTimeout(long waitNanos) {
        long deadline = Time.saturatedAdd(System.nanoTime(), waitNanos); // HotSpot's nanoTime is CLOCK_MONOTONIC, the timeout's clock
        if (timeoutArmed && timeoutDeadline <= deadline) return; // an earlier expiry is armed: an early return is harmless
        if (timeoutArmed) {
            long sqe = ring.nextSqe();
            Sqe.prepTimeoutRemove(ring.sqes(), sqe, UserData.pack(TAG_TIMEOUT, timeoutSeq), 0, UserData.pack(TAG_TIMEOUT_CTL, timeoutSeq));
            if (cqeSkip) Sqe.flags(ring.sqes(), sqe, IOSQE_CQE_SKIP_SUCCESS);
        }
        timeoutSeq = (timeoutSeq + 1) & UserData.PAYLOAD_MASK;
        Time.setTimespec(timeoutTs, deadline);
        long sqe = ring.nextSqe();
        Sqe.prepTimeout(ring.sqes(), sqe, timeoutTs, 0, IORING_TIMEOUT_ABS, UserData.pack(TAG_TIMEOUT, timeoutSeq));
        timeoutArmed = true;
        timeoutDeadline = deadline;
    }

    private void armTimerfd(long waitNanos) {
        long deadline = Time.saturatedAdd(System.nanoTime(), waitNanos);
        if (deadline >= timerExpiry) return; // as the seed: only re-set the timerfd when it would expire too late
        timerExpiry = deadline;
        Time.setTimespec(timerSpec, TimerFd.OFF_IT_INTERVAL, 0);
        Time.setTimespec(timerSpec, TimerFd.OFF_IT_VALUE, deadline);
        int r = TimerFd.timerfdSettime(callState, timerFd, TimerFd.TFD_TIMER_ABSTIME, timerSpec, MemorySegment.NULL);
        Errno.check(r, "timerfd_settime(" + timerFd + ", TFD_TIMER_ABSTIME)");
    }

    private void armTimerRead() {
        timerReadArmed = true;
        long sqe = ring.nextSqe();
        Sqe.prepRead(ring.sqes(), sqe, timerFd, timerBuf, 0, 8, 0, UserData.pack(TAG_TIMERFD, timerSeq));
    }

    private void onTimerRead(long payload, int res) {
        if (payload != timerSeq) return;
        timerReadArmed = false;
        timerExpiry = Long.MAX_VALUE; // it expired (or the read was cancelled): the next wait sets it again
        if (!quiescing) armTimerRead();
    }

    @Override
    public void wakeup() {
        wakeup.signal(); // the same eventfd on io_uring and, after a move, on epoll: no wakeup can fall between
    }

    // ---------------------------------------------------------------------------------------------------------------
    // lost completions (kernels without IORING_FEAT_NODROP): rebuild bigger, or move to epoll

    private void recoverLostCompletions(String why) {
        Ring old = ring;
        int limit = IORING_MAX_CQ_ENTRIES;
        quiesce();
        Ring fresh = null;
        if (old.cqEntries() < limit) {
            int cq = Math.min(limit, old.cqEntries() * 2);
            int sq = Math.min(Math.min(old.sqEntries() * 2, IORING_MAX_ENTRIES), cq);
            try {
                fresh = openRing(sq, cq);
            } catch (BackendUnavailableException e) {
                fresh = null; // the kernel's limit (EINVAL without CLAMP) or out of memory: epoll it is
            }
        }
        enterWaitBase += old.enterWaitCount();
        enterSubmitBase += old.enterSubmitCount();
        submittedBase += old.submittedCount();
        reapedBase += old.reapedCount();
        lastRingDetails = describe();
        old.close();
        if (fresh != null) {
            ringRebuilds++;
            ring = fresh;
            wakeTarget = ownerTarget(fresh); // before rearmAll looks at the wakeup sources (see wakeupTarget())
            BackendEvents.ringRebuild(why, old.sqEntries(), old.cqEntries(), fresh.sqEntries(), fresh.cqEntries(), false);
            rearmAll();
            ringOps.reset(fresh, "");
        } else {
            movesToEpoll++;
            ring = null;
            wakeTarget = null; // before moveToEpoll looks at the wakeup sources
            moveToEpoll(why + "; no ring larger than " + old.sqEntries() + "/" + old.cqEntries() + " entries could be set up");
            BackendEvents.ringRebuild(movedReason, old.sqEntries(), old.cqEntries(), 0, 0, true);
            ringOps.reset(null, "it moved to epoll (" + movedReason + ")");
        }
    }

    /** Cancels the ring's reads of the wakeup eventfd and timerfd and waits for their CQEs, so none is lost with the ring. */
    private void quiesce() {
        quiescing = true;
        try {
            if (wakeupArmed) cancel(UserData.pack(TAG_WAKEUP, wakeSeq));
            if (timerReadArmed) cancel(UserData.pack(TAG_TIMERFD, timerSeq));
            for (int i = 0; i < 1000 && (wakeupArmed || timerReadArmed); i++) {
                ring.enter(ring.flush(), 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
                ring.reap(this);
                if (i > 10) Thread.yield();
            }
        } finally {
            quiescing = false;
        }
        wakeupArmed = false;
        timerReadArmed = false;
    }

    private void cancel(long target) {
        long sqe = ring.nextSqe();
        Sqe.prepCancel(ring.sqes(), sqe, target, 0, UserData.pack(TAG_CANCEL, 0));
    }

    /** A new ring: every request of the old one is gone; arm each wanted fd afresh (level-checked, so no readiness is lost). */
    private void rearmAll() {
        for (int i = 0; i < rearmCount; i++) fdFlags[rearmQueue[i]] &= ~REARM_QUEUED;
        rearmCount = 0;
        for (int fd = 0; fd < pollArmed.length; fd++) {
            if ((fdFlags[fd] & IN_EPOLL_SET) != 0) continue;
            pollArmed[fd] = 0;
            int want = host.fdWanted(fd);
            if (want != 0) addPoll(fd, want);
        }
        if (embed != null && registerEventFd(ring, embed.fd()) < 0) embed.signal(); // the embedder keeps looking
        epollSetSeq++;
        epollSetArmed = false;
        if (epollSet != null) armEpollSet();
        wakeSeq++;
        armWakeup();
        host.wakeupReceived(); // a send that raced with the move is looked at now
        timeoutSeq++;
        timeoutArmed = false;
        timerSeq++;
        timerExpiry = Long.MAX_VALUE;
        if (waitMode == WaitMode.TIMERFD) armTimerRead();
    }

    private void moveToEpoll(String why) {
        EpollBackend d = new EpollBackend(host, arena, wakeup);
        for (int fd = 0; fd < pollArmed.length; fd++) {
            pollArmed[fd] = 0;
            int want = host.fdWanted(fd);
            if (want != 0) d.modify(fd, 0, want, true);
        }
        if (epollSet != null) {
            epollSet.close();
            retiredEpollSet = epollSet; // its counts stay in the backend's
            epollSet = null;
        }
        movedTo = d;
        movedReason = why;
        host.wakeupReceived(); // a send that raced with the move is looked at now; later ones reach epoll's eventfd
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Where messages wake this loop: the owner's target on {@code r}, or null when the kernel lacks MSG_RING. */
    private static MessageTarget ownerTarget(Ring r) {
        return r.opcodeSupported(IORING_OP_MSG_RING) ? RingMessage.target(r.fd(), r.messageMark(), RingMessage.OWNER) : null;
    }

    @Override
    public MessageTarget wakeupTarget() {
        return wakeTarget;
    }

    /** The ring's operations for the layers above the loop, while there is a ring; null once the loop moved to epoll. */
    @Override
    public RingOps ringOps() {
        return ring != null ? ringOps : null;
    }

    /** Whether the ring is still there (false once the loop moved to epoll). */
    public boolean ringAvailable() {
        return ring != null;
    }

    /** The payload of {@code fd}'s current poll request: for the tests of this package. */
    long pollPayloadForTest(int fd) {
        return FdPayload.pack(fd, pollGen[fd]);
    }

    /** The ring in use, null after a move to epoll: for the tests of this package. */
    Ring currentRing() {
        return ring;
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Override
    public void close() {
        wakeTarget = null;
        try {
            if (timerFd >= 0) {
                timerSpec.fill((byte) 0); // disarm first: a read the dying ring still holds never completes into timerBuf
                TimerFd.timerfdSettime(callState, timerFd, 0, timerSpec, MemorySegment.NULL);
            }
            if (ring != null) ring.close(); // the kernel cancels every request still in flight
            if (epollSet != null) epollSet.close();
            if (movedTo != null) movedTo.close();
        } finally {
            if (embed != null) embed.close(callState);
            if (timerFd >= 0) Unistd.close(callState, timerFd);
            wakeup.close(callState);
        }
    }

    /** What the backend did so far: system calls, SQEs and CQEs, and what they were for. */
    public record Stats(long enters, long sqesSubmitted, long cqesReaped, long pollAdds, long pollUpdates,
                        long levelChecks, long pollRemoves, long staleCqes, long strayCqes, long overflowFlushes,
                        long ringResets, int epollSetFds) {}

    public Stats stats() {
        long[] c = BackendCounters.newArray();
        counters(c);
        return new Stats(c[BackendCounters.ENTER_SUBMIT] + c[BackendCounters.ENTER_WAIT], c[BackendCounters.SQES_SUBMITTED],
                c[BackendCounters.CQES_REAPED], pollAdds, pollUpdates, levelChecks, pollRemoves, staleCqes, strayCqes,
                overflowFlushes, ringRebuilds + movesToEpoll, epollSetFds);
    }

    // Counts of every ring so far: the ones given up, plus the current one's.
    private long totalSubmitted() {
        return submittedBase + (ring == null ? 0 : ring.submittedCount());
    }

    private long totalReaped() {
        return reapedBase + (ring == null ? 0 : ring.reapedCount());
    }

    private long totalEnterWaits() {
        return enterWaitBase + (ring == null ? 0 : ring.enterWaitCount());
    }

    private long totalEnterSubmits() {
        return enterSubmitBase + (ring == null ? 0 : ring.enterSubmitCount());
    }

    private long totalEnters() {
        return totalEnterWaits() + totalEnterSubmits();
    }

    @Override
    protected void addCounters(long[] into) {
        long reaped = totalReaped();
        into[BackendCounters.ENTER_SUBMIT] += totalEnterSubmits();
        into[BackendCounters.ENTER_WAIT] += totalEnterWaits();
        into[BackendCounters.SQES_SUBMITTED] += totalSubmitted();
        into[BackendCounters.CQES_REAPED] += reaped;
        into[BackendCounters.CQES_BACKEND] += reaped - handlerCqes - strayCqes;
        into[BackendCounters.CQES_HANDLERS] += handlerCqes;
        into[BackendCounters.CQES_STRAY] += strayCqes;
        into[BackendCounters.CQES_STALE] += staleCqes;
        into[BackendCounters.CQ_OVERFLOWS] += cqOverflows;
        into[BackendCounters.RING_REBUILDS] += ringRebuilds;
        into[BackendCounters.MOVES_TO_EPOLL] += movesToEpoll;
        into[BackendCounters.WAKEUPS_SENT] += wakeup.signals(); // the same channel after a move: counted once, here
        into[BackendCounters.WAKEUPS_RECEIVED] += wakeupsReceived;
        into[BackendCounters.MESSAGES_SENT] += ringOps.messagesSent();
        into[BackendCounters.MESSAGES_RECEIVED] += messagesReceived;
        if (epollSet != null) epollSet.addCounters(into);
        if (retiredEpollSet != null) retiredEpollSet.addCounters(into);
        if (movedTo != null) movedTo.addCounters(into);
    }

    public PollMode pollMode() {
        return pollMode;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // details

    private String describe() {
        String extra = "";
        if (epollSetNote != null) extra += ", " + epollSetFds + " fd(s) on epoll (" + epollSetNote + ")";
        if (ringRebuilds + movesToEpoll > 0) extra += ", ring rebuilt " + (ringRebuilds + movesToEpoll) + " time(s) after lost completions";
        return settings.describe(ring, pollMode, waitMode, cqeSkip, extra);
    }
}
