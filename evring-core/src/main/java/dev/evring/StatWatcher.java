package dev.evring;

import dev.evring.linux.Errno;
import dev.evring.linux.Fcntl;
import dev.evring.linux.SysStat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Watches a path for changes of its attributes (libev's {@code ev_stat}): the callback runs when anything
 * {@code stat(2)} reports changed (size, times, mode, owner, link count, inode, device; or the path appearing or
 * disappearing), with {@link #previous()} and {@link #current()} attributes to compare.
 *
 * <p>How changes are found: with inotify (the default where it works), on the path itself and on its parent directory
 * (which sees the path created, deleted, renamed over or replaced); and, as libev does, also by polling with
 * {@code statx(2)} every {@link #intervalNanos() interval}, because inotify misses changes made on other machines
 * (network file systems). {@link #inotify(boolean) inotify(false)} polls only. The interval defaults to libev's
 * 5.0074891 s (a value unlikely to beat with other periodic jobs); shorter ones are raised to libev's minimum of
 * 0.1074891 s.
 *
 * <p>A path that does not exist (ENOENT, or ENOTDIR for a component that is a file) has attributes with
 * {@link Attributes#exists()} false and {@link Attributes#errno()} 0; a path that cannot be examined (EACCES, ELOOP,
 * ...) has {@code exists()} false and that errno: missing is distinct from an error. Symbolic links are followed, as
 * stat(2) does.
 *
 * <p>Costs: one statx per poll and per inotify event touching the path; attributes are allocated only when they
 * changed. One inotify fd per loop, shared by its stat watchers.
 */
public final class StatWatcher extends Watcher {
    /** libev's DEF_STAT_INTERVAL. */
    public static final long DEFAULT_INTERVAL_NANOS = 5_007_489_100L;
    /** libev's MIN_STAT_INTERVAL. */
    public static final long MIN_INTERVAL_NANOS = 107_489_100L;

    /**
     * What stat(2) says about a path (libev's {@code ev_statdata}). Times are nanoseconds since the epoch.
     *
     * @param exists whether the path names a file now
     * @param errno  0, or the error that kept the path from being examined (then {@code exists} is false)
     */
    public record Attributes(boolean exists, int errno, long dev, long ino, int mode, long nlink, int uid, int gid,
                             long rdev, long size, long atimeNanos, long mtimeNanos, long ctimeNanos) {
        /** The attributes of a path that does not exist. */
        public static final Attributes MISSING = new Attributes(false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        /** Whether stat failed for another reason than the path missing. */
        public boolean isError() {
            return errno != 0;
        }

        /** The symbolic name of {@link #errno()} ({@code "EACCES"}), or null. */
        public String errnoName() {
            return errno == 0 ? null : Errno.name(errno);
        }

        public boolean isDirectory() {
            return exists && (mode & SysStat.S_IFMT) == SysStat.S_IFDIR;
        }

        public boolean isRegularFile() {
            return exists && (mode & SysStat.S_IFMT) == SysStat.S_IFREG;
        }

        public Instant mtime() {
            return Instant.ofEpochSecond(0, mtimeNanos);
        }
    }

    final Path path;
    /** The file name as the parent directory's inotify events spell it. */
    final byte[] nameBytes;
    private final MemorySegment cPath;
    final MemorySegment cParent;
    private final MemorySegment statBuf;
    private final TimerWatcher poller;
    private final Callback<StatWatcher> callback;
    long intervalNanos;
    private boolean inotifyWanted = true;
    Attributes previous = Attributes.MISSING;
    Attributes current = Attributes.MISSING;

    // inotify state, kept by InotifyHub
    InotifyHub hub;
    int selfWd = -1;
    int parentWd = -1;
    /** Device and inode the self watch was added for: a replaced file needs a new one. */
    long watchedDev;
    long watchedIno;
    /** Index in the hub's watcher list + 1, or 0. */
    int hubSlot;
    boolean checkWanted;

    StatWatcher(EventLoop loop, Path path, long intervalNanos, Callback<StatWatcher> callback) {
        super(loop);
        if (path == null) throw new IllegalArgumentException("path is null");
        this.callback = EventLoop.requireCallback(callback);
        this.path = path.toAbsolutePath().normalize();
        this.intervalNanos = effectiveInterval(intervalNanos);
        Arena arena = Arena.ofAuto(); // cold, per watcher; freed by the GC with it
        String p = this.path.toString();
        if (p.indexOf('\0') >= 0) throw new IllegalArgumentException("path \"" + path + "\" contains a NUL character");
        this.cPath = arena.allocateFrom(p);
        Path parent = this.path.getParent();
        this.cParent = parent == null ? null : arena.allocateFrom(parent.toString());
        Path name = this.path.getFileName();
        this.nameBytes = name == null ? new byte[0] : name.toString().getBytes(StandardCharsets.UTF_8);
        this.statBuf = arena.allocate(SysStat.STATX);
        this.poller = new TimerWatcher(loop, this.intervalNanos, this.intervalNanos, (w, revents) -> check());
    }

    /** {@code nanos} is not negative: every caller converts through {@link TimerWatcher#toNanos}, which refuses that. */
    static long effectiveInterval(long nanos) {
        if (nanos == 0) return DEFAULT_INTERVAL_NANOS;
        return Math.max(nanos, MIN_INTERVAL_NANOS);
    }

    /** The watched path, absolute. */
    public Path path() {
        loop.checkOwner();
        return path;
    }

    /** The polling interval in use (after the default and the minimum were applied). */
    public long intervalNanos() {
        loop.checkOwner();
        return intervalNanos;
    }

    /** Changes the polling interval (0: the default); restarts an active watcher. */
    public StatWatcher interval(Duration interval) {
        loop.checkOwner();
        long n = effectiveInterval(TimerWatcher.toNanos("interval", interval));
        boolean wasActive = active != 0;
        if (wasActive) stop();
        intervalNanos = n;
        if (wasActive) start();
        return this;
    }

    /**
     * Whether to use inotify besides polling (true by default; libev's {@code EVFLAG_NOINOTIFY} per watcher). Takes
     * effect at the next start; restarts an active watcher.
     */
    public StatWatcher inotify(boolean use) {
        loop.checkOwner();
        boolean wasActive = active != 0;
        if (wasActive) stop();
        inotifyWanted = use;
        if (wasActive) start();
        return this;
    }

    /** Whether inotify is in use for this watcher now (false when polling only, or when inotify is unavailable). */
    public boolean usesInotify() {
        loop.checkOwner();
        return hub != null;
    }

    /** The attributes before the last change (in the callback: before this change). */
    public Attributes previous() {
        loop.checkOwner();
        return previous;
    }

    /** The attributes as last seen. */
    public Attributes current() {
        loop.checkOwner();
        return current;
    }

    /**
     * Examines the path now and makes that the current attributes, without running the callback
     * ({@code ev_stat_stat}): a callback that changed the file itself calls this so it is not told about its own
     * change. One statx.
     */
    public Attributes stat() {
        loop.checkOwner();
        statChanged();
        return current;
    }

    /** Starts watching: examines the path (previous and current are then equal), then waits for changes. */
    @Override
    public void start() {
        loop.checkOwner();
        if (active != 0) return;
        statChanged();
        previous = current;
        if (inotifyWanted) {
            InotifyHub h = loop.inotifyHub();
            if (h != null) h.add(this);
        }
        poller.setNanos(intervalNanos, intervalNanos);
        poller.priority = priority;
        poller.start(); // the one active count this watcher holds
        active = 1;
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active == 0) return;
        poller.stop();
        if (hub != null) hub.remove(this);
        checkWanted = false;
        active = 0;
    }

    /** Polled, or told by inotify: look, and report a change. */
    void check() {
        if (active == 0 || !statChanged()) return;
        if (hub != null) hub.rearm(this);
        loop.feed(this, Events.STAT);
    }

    /** statx into the buffer; on a difference, moves current to previous and builds new current attributes. */
    private boolean statChanged() {
        MemorySegment b = statBuf;
        int r = SysStat.statx(loop.callStateUnchecked(), Fcntl.AT_FDCWD, cPath, SysStat.AT_STATX_SYNC_AS_STAT,
                SysStat.STATX_BASIC_STATS, b);
        Attributes now;
        if (r == -Errno.ENOENT || r == -Errno.ENOTDIR) {
            if (current.equals(Attributes.MISSING)) return false;
            now = Attributes.MISSING;
        } else if (r < 0) {
            if (!current.exists && current.errno == -r) return false;
            now = new Attributes(false, -r, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        } else {
            long dev = SysStat.makedev(b.get(JAVA_INT, SysStat.OFF_STX_DEV_MAJOR), b.get(JAVA_INT, SysStat.OFF_STX_DEV_MINOR));
            long rdev = SysStat.makedev(b.get(JAVA_INT, SysStat.OFF_STX_RDEV_MAJOR), b.get(JAVA_INT, SysStat.OFF_STX_RDEV_MINOR));
            long ino = b.get(JAVA_LONG, SysStat.OFF_STX_INO);
            int mode = Short.toUnsignedInt(b.get(JAVA_SHORT, SysStat.OFF_STX_MODE));
            long nlink = Integer.toUnsignedLong(b.get(JAVA_INT, SysStat.OFF_STX_NLINK));
            int uid = b.get(JAVA_INT, SysStat.OFF_STX_UID);
            int gid = b.get(JAVA_INT, SysStat.OFF_STX_GID);
            long size = b.get(JAVA_LONG, SysStat.OFF_STX_SIZE);
            long atime = timestamp(b, SysStat.OFF_STX_ATIME);
            long mtime = timestamp(b, SysStat.OFF_STX_MTIME);
            long ctime = timestamp(b, SysStat.OFF_STX_CTIME);
            Attributes c = current;
            if (c.exists && c.dev == dev && c.ino == ino && c.mode == mode && c.nlink == nlink && c.uid == uid
                    && c.gid == gid && c.rdev == rdev && c.size == size && c.atimeNanos == atime
                    && c.mtimeNanos == mtime && c.ctimeNanos == ctime) {
                return false;
            }
            now = new Attributes(true, 0, dev, ino, mode, nlink, uid, gid, rdev, size, atime, mtime, ctime);
        }
        previous = current;
        current = now;
        return true;
    }

    private static long timestamp(MemorySegment b, long off) {
        return b.get(JAVA_LONG, off + SysStat.OFF_TS_SEC) * 1_000_000_000L
                + Integer.toUnsignedLong(b.get(JAVA_INT, off + SysStat.OFF_TS_NSEC));
    }

    MemorySegment cPath() {
        return cPath;
    }

    @Override
    void invoke(int revents) throws Exception {
        callback.onEvent(this, revents);
    }

    @Override
    public String toString() {
        return "StatWatcher[" + path + (active != 0 ? ", active" : "") + (pending != 0 ? ", pending" : "") + "]";
    }

    @Override
    Object callback() {
        return callback;
    }
}
