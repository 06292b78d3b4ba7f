package dev.evring;

import dev.evring.backend.LoopBackend;
import dev.evring.linux.Resource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The loop's fds (libev's {@code anfds} and {@code fdchanges}): the io watchers of each fd in a list, the interest
 * last handed to the backend, and the fds whose watchers changed since (collected on start and stop, handed to the
 * backend once per iteration by {@link #reify}). Loop thread only; arrays indexed by fd, grown on demand.
 */
final class FdTable {
    // change flags, as libev's EV_ANFD_REIFY and EV__IOFDSET
    private static final byte REIFY = 1;
    private static final byte FDSET = 2;
    /**
     * A set() whose refresh reached the backend only with an empty interest, which a backend may take as "nothing to
     * do" (epoll removes lazily): the next non-empty interest carries the refresh again, so the backend never trusts
     * a registration of the file the number named before.
     */
    private static final byte REFRESH_OWED = 4;

    private final EventLoop loop;
    private final PendingQueue pending;
    /** The first io watcher of each fd; the others follow through {@link IoWatcher#next}. */
    private IoWatcher[] heads = new IoWatcher[64];
    /** The interest last handed to the backend. */
    private int[] wanted = new int[64];
    private byte[] changeFlags = new byte[64];
    private int[] changes = new int[16];
    private int changeCount;
    /**
     * No fd at or above this can name a file (RLIMIT_NOFILE's hard limit, cached): such an fd is refused up front
     * instead of growing the tables to its size. Read again whenever an fd at or above it shows up.
     */
    private long fdLimit;
    private MemorySegment rlimit;

    FdTable(EventLoop loop, PendingQueue pending) {
        this.loop = loop;
        this.pending = pending;
    }

    /**
     * Refuses an fd no file can have: negative, or at or above the process's hard RLIMIT_NOFILE (the soft one may have
     * been lowered after files were opened under a higher one). One getrlimit only when an fd at or above the cached
     * limit shows up.
     *
     * @throws IllegalArgumentException naming the fd and the limit
     */
    void check(int fd) {
        if (fd < 0) throw new IllegalArgumentException("fd " + fd + " is negative");
        if (fd < fdLimit) return;
        fdLimit = readLimit();
        if (fd >= fdLimit) {
            throw new IllegalArgumentException("fd " + fd + " cannot name a file: this process may open fds below "
                    + fdLimit + " only (RLIMIT_NOFILE)");
        }
    }

    private long readLimit() {
        if (rlimit == null) rlimit = loop.arenaUnchecked().allocate(Resource.RLIMIT);
        if (Resource.getrlimit(loop.callStateUnchecked(), Resource.RLIMIT_NOFILE, rlimit) != 0) return Integer.MAX_VALUE;
        long max = rlimit.get(JAVA_LONG, Resource.OFF_RLIM_MAX);
        return max < 0 || max > Integer.MAX_VALUE ? Integer.MAX_VALUE : max; // RLIM_INFINITY is -1 as a long
    }

    private void ensure(int fd) {
        if (fd >= heads.length) {
            // doubling, at least to the next power of two above fd, never past what an array can hold
            long grown = Math.max(heads.length * 2L, Long.highestOneBit(fd) * 2L);
            int n = (int) Math.min(grown, Integer.MAX_VALUE - 8);
            if (n <= fd) n = fd + 1;
            heads = Arrays.copyOf(heads, n);
            wanted = Arrays.copyOf(wanted, n);
            changeFlags = Arrays.copyOf(changeFlags, n);
        }
    }

    void start(IoWatcher w) {
        int fd = w.fd;
        ensure(fd);
        w.active = 1;
        loop.activeDelta(1);
        w.next = heads[fd];
        heads[fd] = w;
        change(fd, w.fdSet ? (byte) (REIFY | FDSET) : REIFY);
        w.fdSet = false;
    }

    void stop(IoWatcher w) {
        int fd = w.fd;
        IoWatcher prev = null;
        for (IoWatcher x = heads[fd]; x != null; prev = x, x = x.next) {
            if (x == w) {
                if (prev == null) heads[fd] = w.next;
                else prev.next = w.next;
                break;
            }
        }
        w.next = null;
        w.active = 0;
        loop.activeDelta(-1);
        change(fd, REIFY);
    }

    private void change(int fd, byte flags) {
        byte old = changeFlags[fd];
        changeFlags[fd] = (byte) (old | flags);
        if ((old & (REIFY | FDSET)) == 0) {
            if (changeCount == changes.length) changes = Arrays.copyOf(changes, changeCount * 2);
            changes[changeCount++] = fd;
        }
    }

    boolean hasChanges() {
        return changeCount > 0;
    }

    /** Hands the interest changes collected since the last call to the backend, once per fd (libev's fd_reify). */
    void reify(LoopBackend backend) {
        // kill() from inside modify may append to changes: re-read the count each time round
        for (int i = 0; i < changeCount; i++) {
            int fd = changes[i];
            int oldEvents = wanted[fd];
            boolean refresh = (changeFlags[fd] & (FDSET | REFRESH_OWED)) != 0;
            int want = 0;
            for (IoWatcher w = heads[fd]; w != null; w = w.next) want |= w.events;
            wanted[fd] = want;
            changeFlags[fd] = refresh && want == 0 ? REFRESH_OWED : 0;
            if (oldEvents != want || refresh) backend.modify(fd, oldEvents, want, refresh);
        }
        changeCount = 0;
    }

    /** The interest last handed to the backend for {@code fd}, 0 if none. */
    int wanted(int fd) {
        return fd >= 0 && fd < wanted.length ? wanted[fd] : 0;
    }

    /**
     * The backend saw {@code fd} ready: queue its watchers, unless they changed since the backend last heard of the
     * fd, which may then be a different file (libev's fd_event).
     */
    void backendEvent(int fd, int revents) {
        if (fd >= 0 && fd < heads.length && changeFlags[fd] == 0) feed(fd, revents);
    }

    /** Queues {@code revents} for the watchers of {@code fd} that want them (libev's fd_event_nocheck). */
    void feed(int fd, int revents) {
        if (fd >= heads.length) return;
        for (IoWatcher w = heads[fd]; w != null; w = w.next) {
            int ev = w.events & revents;
            if (ev != 0) pending.feed(w, ev);
        }
    }

    /** Stops every watcher of a bad fd and hands it an error event (libev's fd_kill). */
    void kill(int fd) {
        if (fd < 0 || fd >= heads.length) return;
        IoWatcher w;
        while ((w = heads[fd]) != null) {
            pending.clear(w);
            stop(w);
            pending.feed(w, Events.ERROR | Events.READ | Events.WRITE);
        }
    }
}
