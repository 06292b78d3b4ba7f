package dev.evring;

import dev.evring.linux.Errno;
import dev.evring.linux.Inotify;
import dev.evring.linux.Unistd;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A loop's inotify instance, shared by its stat watchers (libev's fs_fd and fs_hash): one io watcher on the inotify
 * fd, which does not keep the loop alive by itself, and reference counts on watch descriptors, because inotify gives
 * the same descriptor for the same inode however many times it is added.
 *
 * <p>Every watch is added with the same mask, the union of what a watched path (modified, attributes, deleted, moved)
 * and a watched parent directory (entries created, deleted, moved) need, since adding an inode again replaces its
 * mask.
 */
final class InotifyHub implements EventLoop.Resource {
    private static final int MASK = Inotify.IN_MODIFY | Inotify.IN_ATTRIB | Inotify.IN_CLOSE_WRITE | Inotify.IN_CREATE
            | Inotify.IN_DELETE | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF | Inotify.IN_MOVED_FROM | Inotify.IN_MOVED_TO;

    private final EventLoop loop;
    private final MemorySegment callState;
    private int fd;
    private final IoWatcher io;
    private final MemorySegment buf;

    // watch descriptors and their reference counts
    private int[] wds = new int[8];
    private int[] refs = new int[8];
    private int wdCount;

    // stat watchers using inotify
    private StatWatcher[] watchers = new StatWatcher[4];
    private int watcherCount;

    private InotifyHub(EventLoop loop, int fd) {
        this.loop = loop;
        this.callState = loop.callStateUnchecked();
        this.fd = fd;
        this.buf = loop.arenaUnchecked().allocate(4096, 8);
        this.io = new IoWatcher(loop, fd, Events.READ, (w, revents) -> onReadable(revents));
    }

    /** Opens the loop's inotify instance, or returns null if the kernel refuses one (stat watchers then poll only). */
    static InotifyHub open(EventLoop loop) {
        int fd = Inotify.inotifyInit1(loop.callStateUnchecked(), Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
        if (fd < 0) return null; // EMFILE (fs.inotify.max_user_instances), ENOSYS: polling still works
        return new InotifyHub(loop, fd);
    }

    void add(StatWatcher w) {
        if (watcherCount == watchers.length) watchers = Arrays.copyOf(watchers, watcherCount * 2);
        watchers[watcherCount++] = w;
        w.hubSlot = watcherCount;
        w.hub = this;
        if (watcherCount == 1) {
            io.start();
            loop.activeDelta(-1); // libev's ev_unref: the stat watchers' own timers keep the loop alive
        }
        arm(w);
    }

    void remove(StatWatcher w) {
        disarm(w);
        int i = w.hubSlot - 1;
        int last = --watcherCount;
        watchers[i] = watchers[last];
        watchers[i].hubSlot = i + 1;
        watchers[last] = null;
        w.hubSlot = 0;
        w.hub = null;
        if (watcherCount == 0) {
            loop.activeDelta(1);
            io.stop();
        }
    }

    /** Adds the watches a watcher needs now: its parent directory, and the path itself if it exists. */
    private void arm(StatWatcher w) {
        if (w.parentWd < 0 && w.cParent != null) w.parentWd = addWatch(w.cParent);
        if (w.selfWd < 0 && w.current.exists()) {
            w.selfWd = addWatch(w.cPath());
            w.watchedDev = w.current.dev();
            w.watchedIno = w.current.ino();
        }
    }

    private void disarm(StatWatcher w) {
        if (w.selfWd >= 0) release(w.selfWd);
        if (w.parentWd >= 0) release(w.parentWd);
        w.selfWd = -1;
        w.parentWd = -1;
    }

    /** After a change: the path may now be another inode (replaced), or gone, or back; watch what is there now. */
    void rearm(StatWatcher w) {
        boolean sameFile = w.current.exists() && w.current.dev() == w.watchedDev && w.current.ino() == w.watchedIno;
        if (w.selfWd >= 0 && !sameFile) {
            release(w.selfWd);
            w.selfWd = -1;
        }
        arm(w);
    }

    /** inotify_add_watch with the shared mask; returns the wd (counted) or -1 if the path cannot be watched now. */
    private int addWatch(MemorySegment cPath) {
        int wd = Inotify.inotifyAddWatch(callState, fd, cPath, MASK);
        if (wd < 0) return -1; // ENOENT (gone meanwhile), EACCES, ENOSPC (max_user_watches): polling covers it
        for (int i = 0; i < wdCount; i++) {
            if (wds[i] == wd) {
                refs[i]++;
                return wd;
            }
        }
        if (wdCount == wds.length) {
            wds = Arrays.copyOf(wds, wdCount * 2);
            refs = Arrays.copyOf(refs, wdCount * 2);
        }
        wds[wdCount] = wd;
        refs[wdCount] = 1;
        wdCount++;
        return wd;
    }

    private void release(int wd) {
        for (int i = 0; i < wdCount; i++) {
            if (wds[i] == wd) {
                if (--refs[i] == 0) {
                    Inotify.inotifyRmWatch(callState, fd, wd); // EINVAL if the kernel dropped it already: fine
                    forget(i);
                }
                return;
            }
        }
    }

    private void forget(int i) {
        wdCount--;
        wds[i] = wds[wdCount];
        refs[i] = refs[wdCount];
    }

    /** The kernel removed a watch (its inode is gone, IN_IGNORED): nobody may remove it again. */
    private void dropped(int wd) {
        for (int i = 0; i < wdCount; i++) {
            if (wds[i] == wd) {
                forget(i);
                break;
            }
        }
        for (int i = 0; i < watcherCount; i++) {
            StatWatcher w = watchers[i];
            if (w.selfWd == wd) {
                w.selfWd = -1;
                w.checkWanted = true;
            }
            if (w.parentWd == wd) {
                w.parentWd = -1;
                w.checkWanted = true;
            }
        }
    }

    private void onReadable(int revents) {
        if ((revents & Events.ERROR) != 0) return; // the fd went bad: cannot happen while we own it; polling goes on
        for (;;) {
            long n = Unistd.read(callState, fd, buf, buf.byteSize());
            if (n == -Errno.EINTR) continue;
            if (n <= 0) break; // EAGAIN: drained
            parse(n);
        }
        for (int i = 0; i < watcherCount; i++) {
            StatWatcher w = watchers[i];
            if (w.checkWanted) {
                w.checkWanted = false;
                w.check(); // may stop w (the callback runs later, but check() may rearm): re-read watchers[i] next round
            }
        }
    }

    /** Walks the events in {@code buf[0, n)}, checking every length against the bytes read before using it. */
    private void parse(long n) {
        long off = 0;
        while (off + Inotify.INOTIFY_EVENT_SIZE <= n) {
            int wd = buf.get(JAVA_INT, off + Inotify.OFF_WD);
            int mask = buf.get(JAVA_INT, off + Inotify.OFF_MASK);
            long len = Integer.toUnsignedLong(buf.get(JAVA_INT, off + Inotify.OFF_LEN));
            long nameOff = off + Inotify.INOTIFY_EVENT_SIZE;
            if (nameOff + len > n) break; // malformed: never from a sane kernel
            if ((mask & Inotify.IN_Q_OVERFLOW) != 0) {
                for (int i = 0; i < watcherCount; i++) watchers[i].checkWanted = true; // events were lost: look at all
            } else {
                for (int i = 0; i < watcherCount; i++) {
                    StatWatcher w = watchers[i];
                    if (wd == w.selfWd || (wd == w.parentWd && nameIs(nameOff, len, w.nameBytes))) w.checkWanted = true;
                }
                if ((mask & Inotify.IN_IGNORED) != 0) dropped(wd);
            }
            off = nameOff + len;
        }
    }

    /** Whether the NUL-padded name at {@code buf[off, off + len)} is {@code name}. */
    private boolean nameIs(long off, long len, byte[] name) {
        if (name.length > len) return false;
        for (int i = 0; i < name.length; i++) if (buf.get(JAVA_BYTE, off + i) != name[i]) return false;
        return name.length == len || buf.get(JAVA_BYTE, off + name.length) == 0;
    }

    /** The loop is closing: close the inotify fd (its watches go with it). */
    @Override
    public void release() {
        if (fd >= 0) {
            Unistd.close(callState, fd);
            fd = -1;
        }
    }
}
