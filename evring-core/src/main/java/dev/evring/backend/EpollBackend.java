package dev.evring.backend;

import dev.evring.linux.Errno;
import dev.evring.linux.Time;
import dev.evring.linux.SysEpoll;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.evring.linux.SysEpoll.EPOLLIN;
import static dev.evring.linux.SysEpoll.EPOLL_CTL_ADD;
import static dev.evring.linux.SysEpoll.EPOLL_CTL_DEL;
import static dev.evring.linux.SysEpoll.EPOLL_CTL_MOD;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Level-triggered epoll, as libev's ev_epoll.c exposes it.
 *
 * <p>Each registration carries the fd and a generation in {@code epoll_data} ({@link FdPayload}); the generation is bumped every
 * time the fd is registered afresh, so an event of a registration we have replaced (a file closed and its number
 * reused while another process or a dup kept the old file open) is recognised and dropped, and the epoll set is rebuilt
 * so the stale registration stops firing.
 *
 * <p>Removal is lazy, as in libev: when nothing watches an fd any more we keep its registration, because the next
 * change is often a re-add (toggling a write watcher) and a close removes it from the set anyway. An event nobody
 * wants is answered by a MOD or DEL then.
 *
 * <p>Regular files, which epoll refuses with EPERM, are reported always ready, as poll(2) would. That mark belongs to
 * the file, not the number: it goes when nothing watches the fd any more, and a watcher (re)set on the fd registers it
 * afresh, so a pipe or socket that reuses the number of a closed regular file is polled, not reported ready.
 *
 * <p>The event array grows as libev's does: when a wait fills it, it doubles and the wait is repeated at once without
 * blocking, so every ready fd is reported in the iteration whatever their number (the repeat reports again some fds
 * the first one did; the loop merges them).
 */
public final class EpollBackend extends LoopBackend {
    private static final long WAKEUP_DATA = -1L;
    /** emask bit of an fd epoll refused with EPERM: reported ready on every poll. */
    private static final int EMASK_EPERM = 0x80;

    private final Arena arena;
    private final MemorySegment callState;
    private final EventFdWakeup wakeup;
    private final boolean ownsWakeup;
    private final MemorySegment ctlEvent;
    private MemorySegment events;
    private int eventCapacity;
    private int epfd;

    /** Mask the kernel has for each fd (0: not registered), or EMASK_EPERM. */
    private int[] emask = new int[64];
    /** Generation of each fd's current registration. */
    private int[] egen = new int[64];
    private int[] eperms = new int[8];
    private int epermCount;
    private boolean rebuildNeeded;

    // counters (BackendCounters)
    private long waits;
    private long eventsReturned;
    private long wakeupsReceived;

    public EpollBackend(BackendHost host, Arena arena) {
        this(host, arena, null);
    }

    /**
     * An epoll backend that wakes up through {@code sharedWakeup} (which it drains but does not close), or through an
     * eventfd of its own when null: the io_uring backend hands over its wakeup channel when it moves to epoll.
     */
    public EpollBackend(BackendHost host, Arena arena, EventFdWakeup sharedWakeup) {
        super(host);
        this.arena = arena;
        this.callState = host.callState();
        int fd = SysEpoll.epollCreate1(callState, SysEpoll.EPOLL_CLOEXEC);
        this.epfd = Errno.check(fd, "epoll_create1(EPOLL_CLOEXEC)");
        this.ownsWakeup = sharedWakeup == null;
        EventFdWakeup w = sharedWakeup;
        try {
            if (w == null) w = new EventFdWakeup(callState);
        } catch (RuntimeException e) {
            dev.evring.linux.Unistd.close(callState, epfd);
            throw e;
        }
        this.wakeup = w;
        this.ctlEvent = arena.allocate(SysEpoll.EPOLL_EVENT);
        this.eventCapacity = 64;
        this.events = arena.allocate(SysEpoll.EPOLL_EVENT.byteSize() * eventCapacity, 8);
        addWakeup();
    }

    private void addWakeup() {
        ctlEvent.set(JAVA_INT, SysEpoll.OFF_EVENTS, EPOLLIN);
        ctlEvent.set(JAVA_LONG_UNALIGNED, SysEpoll.OFF_DATA, WAKEUP_DATA);
        int r = SysEpoll.epollCtl(callState, epfd, EPOLL_CTL_ADD, wakeup.fd(), ctlEvent);
        Errno.check(r, "epoll_ctl(ADD, eventfd " + wakeup.fd() + ")");
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public long minWaitNanos() {
        return 1_000_000L; // epoll_wait counts milliseconds
    }

    @Override
    public int pollFd() {
        return epfd;
    }

    private void ensureFd(int fd) {
        if (fd >= emask.length) {
            int n = Math.max(emask.length * 2, Integer.highestOneBit(fd) * 2);
            emask = Arrays.copyOf(emask, n);
            egen = Arrays.copyOf(egen, n);
        }
    }

    private int ctl(int op, int fd, int ev, int gen) {
        ctlEvent.set(JAVA_INT, SysEpoll.OFF_EVENTS, ReadinessBits.toEpoll(ev));
        ctlEvent.set(JAVA_LONG_UNALIGNED, SysEpoll.OFF_DATA, FdPayload.pack(fd, gen));
        return SysEpoll.epollCtl(callState, epfd, op, fd, ctlEvent);
    }

    @Override
    public void modify(int fd, int oldEvents, int newEvents, boolean refresh) {
        ensureFd(fd);
        int registered = emask[fd];
        if ((registered & EMASK_EPERM) != 0) {
            if (newEvents != 0 && !refresh) {
                emask[fd] = EMASK_EPERM | newEvents;
                return;
            }
            // nothing watches the file any more, or the number may name another file now: the mark goes with it
            forgetAlwaysReady(fd);
            registered = 0;
        }
        if (newEvents == 0) return; // lazy removal, see the class comment
        if (!refresh && registered == newEvents) return;
        int gen = egen[fd] = FdPayload.next(egen[fd]);
        int op = registered != 0 && !refresh ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        int r = ctl(op, fd, newEvents, gen);
        if (r == 0) {
            emask[fd] = newEvents;
            return;
        }
        if (r == -Errno.ENOENT) {
            // Our registration vanished: the file was closed (and the number maybe reused). Register what is there now.
            r = ctl(EPOLL_CTL_ADD, fd, newEvents, gen);
        } else if (r == -Errno.EEXIST) {
            // Still registered (a lazily kept registration, or a refresh on the same file): update it.
            r = ctl(EPOLL_CTL_MOD, fd, newEvents, gen);
        }
        if (r == 0) {
            emask[fd] = newEvents;
        } else if (r == -Errno.EPERM) {
            // Regular files and some devices cannot be polled; they never block, so report them always ready.
            emask[fd] = EMASK_EPERM | newEvents;
            if (epermCount == eperms.length) eperms = Arrays.copyOf(eperms, epermCount * 2);
            eperms[epermCount++] = fd;
        } else {
            emask[fd] = 0;
            host.fdKill(fd);
        }
    }

    private void forgetAlwaysReady(int fd) {
        emask[fd] = 0;
        for (int i = epermCount - 1; i >= 0; i--) {
            if (eperms[i] == fd) eperms[i] = eperms[--epermCount];
        }
    }

    /**
     * Drops {@code fd}'s registration now rather than lazily (EPOLL_CTL_DEL, whose failure means it is gone already),
     * and moves its generation on, so no event of it reaches the loop: for the io_uring backend when an fd leaves its
     * epoll hybrid.
     */
    void remove(int fd) {
        ensureFd(fd);
        if ((emask[fd] & EMASK_EPERM) != 0) {
            forgetAlwaysReady(fd);
        } else if (emask[fd] != 0) {
            SysEpoll.epollCtl(callState, epfd, EPOLL_CTL_DEL, fd, ctlEvent);
            emask[fd] = 0;
        }
        egen[fd] = FdPayload.next(egen[fd]);
    }

    @Override
    public void poll(long timeoutNanos) {
        if (epermCount > 0) timeoutNanos = 0;
        int timeoutMillis = Time.toMillisRoundedUp(timeoutNanos);
        int n;
        do {
            n = SysEpoll.epollWait(callState, epfd, events, eventCapacity, timeoutMillis);
            waits++;
            if (n < 0) {
                if (n == -Errno.EINTR) break;
                throw Errno.exception("epoll_wait(epfd " + epfd + ")", -n);
            }
            report(n);
            if (n < eventCapacity) break;
            // the array was full: more fds may be ready. Grow it (libev's way) and collect the rest now.
            eventCapacity *= 2;
            events = arena.allocate(SysEpoll.EPOLL_EVENT.byteSize() * eventCapacity, 8);
            timeoutMillis = 0;
        } while (true);
        if (epermCount > 0) reportAlwaysReady();
        if (rebuildNeeded) rebuild();
    }

    private void report(int n) {
        eventsReturned += n;
        final MemorySegment evs = events;
        final long size = SysEpoll.EPOLL_EVENT_SIZE;
        for (int i = 0; i < n; i++) {
            long base = i * size;
            int got = evs.get(JAVA_INT, base + SysEpoll.OFF_EVENTS);
            long data = evs.get(JAVA_LONG_UNALIGNED, base + SysEpoll.OFF_DATA);
            if (data == WAKEUP_DATA) {
                wakeup.drain(callState);
                wakeupsReceived++;
                host.wakeupReceived();
                continue;
            }
            int fd = FdPayload.fd(data);
            int gen = FdPayload.generation(data);
            if (fd < 0 || fd >= egen.length || (emask[fd] & EMASK_EPERM) != 0) continue; // not ours: never registered
            if (gen != egen[fd]) {
                rebuildNeeded = true; // a replaced registration still in the set: drop the event, rebuild below
                continue;
            }
            int ev = ReadinessBits.fromEpoll(got);
            int want = host.fdWanted(fd);
            if ((ev & ~want) != 0 && emask[fd] != want) {
                // An event nobody asked for: a lazily kept registration. Narrow or drop it now.
                int r = ctl(want != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, want, gen);
                emask[fd] = r == 0 ? want : 0;
                if (r != 0 && r != -Errno.ENOENT && r != -Errno.EBADF) rebuildNeeded = true;
            }
            if ((ev & want) != 0) host.fdEvent(fd, ev);
        }
    }

    private void reportAlwaysReady() {
        for (int i = epermCount - 1; i >= 0; i--) {
            int fd = eperms[i];
            int want = host.fdWanted(fd);
            if (want != 0) {
                host.fdEvent(fd, want);
            } else {
                emask[fd] = 0;
                eperms[i] = eperms[--epermCount];
            }
        }
    }

    /**
     * Replaces the epoll set by a fresh one holding exactly what the loop wants, with new generations: the only way
     * to get rid of a registration whose fd number now belongs to another file.
     */
    private void rebuild() {
        rebuildNeeded = false;
        int fresh = Errno.check(SysEpoll.epollCreate1(callState, SysEpoll.EPOLL_CLOEXEC), "epoll_create1(EPOLL_CLOEXEC)");
        dev.evring.linux.Unistd.close(callState, epfd);
        epfd = fresh;
        addWakeup();
        for (int fd = 0; fd < emask.length; fd++) {
            if (emask[fd] == 0 || (emask[fd] & EMASK_EPERM) != 0) continue;
            int want = host.fdWanted(fd);
            emask[fd] = 0;
            if (want == 0) continue;
            int r = ctl(EPOLL_CTL_ADD, fd, want, egen[fd] = FdPayload.next(egen[fd]));
            if (r == 0) emask[fd] = want;
            else host.fdKill(fd);
        }
    }

    @Override
    public void wakeup() {
        wakeup.signal();
    }

    @Override
    protected void addCounters(long[] into) {
        into[BackendCounters.EPOLL_WAITS] += waits;
        into[BackendCounters.EPOLL_EVENTS] += eventsReturned;
        into[BackendCounters.WAKEUPS_RECEIVED] += wakeupsReceived;
        // a shared wakeup channel (the io_uring backend's, after a move) is counted by its owner
        if (ownsWakeup) into[BackendCounters.WAKEUPS_SENT] += wakeup.signals();
    }

    @Override
    public void close() {
        if (ownsWakeup) wakeup.close(callState);
        dev.evring.linux.Unistd.close(callState, epfd);
    }
}
