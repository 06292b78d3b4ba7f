package dev.evring;

import dev.evring.linux.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stat watchers on every backend: inotify and polling, previous and current attributes, missing versus error. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class StatWatcherTest extends LoopTestBase {

    @TempDir
    Path dir;

    /** Polling so rare that only inotify can explain a callback within the test. */
    static final Duration NO_POLLING = Duration.ofMinutes(10);

    record Change(StatWatcher.Attributes previous, StatWatcher.Attributes current) {}

    static Watcher.Callback<StatWatcher> recordInto(List<Change> changes) {
        return (w, ev) -> {
            assertEquals(Events.STAT, ev);
            changes.add(new Change(w.previous(), w.current()));
        };
    }

    @Test
    void inotifyReportsAModificationWithPreviousAndCurrentAttributes() throws Exception {
        Path f = Files.writeString(dir.resolve("config"), "a=1\n");
        List<Change> changes = new ArrayList<>();
        StatWatcher w = loop.stat(f, NO_POLLING, recordInto(changes));
        w.start();
        assertTrue(w.usesInotify(), "inotify works here");
        assertEquals(w.previous(), w.current(), "at start both are the file as it is");
        assertEquals(4, w.current().size());
        assertTrue(w.current().isRegularFile());
        Files.writeString(f, "a=12345\n");
        runUntil(loop, () -> !changes.isEmpty(), "a change reported");
        Change c = changes.get(changes.size() - 1);
        assertEquals(4, changes.get(0).previous().size());
        assertEquals(8, c.current().size());
        assertEquals(c.previous().ino(), c.current().ino(), "same file");
        w.stop();
    }

    @Test
    void pollingAloneFindsAChange() throws Exception {
        Path f = Files.writeString(dir.resolve("data"), "x");
        List<Change> changes = new ArrayList<>();
        StatWatcher w = loop.stat(f, Duration.ofMillis(20), recordInto(changes)).inotify(false);
        w.start();
        assertFalse(w.usesInotify());
        assertEquals(StatWatcher.MIN_INTERVAL_NANOS, w.intervalNanos(), "raised to libev's minimum");
        Files.writeString(f, "xyz");
        long t0 = System.nanoTime();
        runUntil(loop, () -> !changes.isEmpty(), "the poll saw the change");
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L);
        assertEquals(3, changes.get(0).current().size());
        w.stop();
    }

    @Test
    void aDeletedPathIsMissingNotAnError() throws Exception {
        Path f = Files.writeString(dir.resolve("gone"), "x");
        List<Change> changes = new ArrayList<>();
        StatWatcher w = loop.stat(f, NO_POLLING, recordInto(changes));
        w.start();
        Files.delete(f);
        runUntil(loop, () -> !changes.isEmpty() && !changes.getLast().current().exists(), "the deletion reported");
        StatWatcher.Attributes now = changes.getLast().current();
        assertFalse(now.isError());
        assertEquals(0, now.errno());
        assertEquals(StatWatcher.Attributes.MISSING, now);
        assertTrue(changes.getLast().previous().exists());
        w.stop();
    }

    @Test
    void aPathThatAppearsIsReportedThenWatchedAsAFile() throws Exception {
        Path f = dir.resolve("later");
        List<Change> changes = new ArrayList<>();
        StatWatcher w = loop.stat(f, NO_POLLING, recordInto(changes));
        w.start();
        assertFalse(w.current().exists());
        Files.writeString(f, "hello");
        runUntil(loop, () -> !changes.isEmpty() && changes.getLast().current().size() == 5, "the creation reported");
        assertFalse(changes.get(0).previous().exists());
        int seen = changes.size();
        Files.writeString(f, "hello world"); // now the file itself is watched: its modification is seen
        runUntil(loop, () -> changes.size() > seen && changes.getLast().current().size() == 11, "the later write reported");
        w.stop();
    }

    @Test
    void aFileReplacedByRenameIsFollowed() throws Exception {
        Path f = Files.writeString(dir.resolve("app.conf"), "v1");
        Path tmp = Files.writeString(dir.resolve("app.conf.tmp"), "version 2");
        List<Change> changes = new ArrayList<>();
        StatWatcher w = loop.stat(f, NO_POLLING, recordInto(changes));
        w.start();
        long oldIno = w.current().ino();
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        runUntil(loop, () -> !changes.isEmpty() && changes.getLast().current().ino() != oldIno, "the replacement reported");
        assertEquals(9, changes.getLast().current().size());
        int seen = changes.size();
        Files.writeString(f, "version 3!"); // the new inode is watched now
        runUntil(loop, () -> changes.size() > seen && changes.getLast().current().size() == 10, "a write to the new file reported");
        w.stop();
    }

    @Test
    void aPathThatCannotBeExaminedIsAnErrorNotMissing() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a); // a loop: stat fails with ELOOP whoever runs the test (root ignores modes)
        StatWatcher w = loop.stat(a, NO_POLLING, (x, ev) -> {});
        w.start();
        StatWatcher.Attributes at = w.current();
        assertFalse(at.exists());
        assertTrue(at.isError());
        assertEquals(Errno.ELOOP, at.errno());
        assertEquals("ELOOP", at.errnoName());
        assertNotEquals(StatWatcher.Attributes.MISSING, at);
        w.stop();
    }

    @Test
    void statUpdatesTheAttributesWithoutACallback() throws Exception {
        Path f = Files.writeString(dir.resolve("self"), "1");
        List<Change> changes = new ArrayList<>();
        StatWatcher w = loop.stat(f, Duration.ofMillis(120), recordInto(changes)).inotify(false);
        w.start();
        Files.writeString(f, "22"); // our own change...
        assertEquals(2, w.stat().size()); // ...taken in, so the watcher will not report it
        long end = System.nanoTime() + 400_000_000L;
        TimerWatcher t = loop.timer(Duration.ofMillis(400), Duration.ZERO, (x, ev) -> {});
        t.start();
        while (System.nanoTime() < end && t.isActive()) loop.runOnce();
        assertEquals(List.of(), changes);
        w.stop();
    }

    @Test
    void stoppedWatchersAndClosedLoopsGiveBackTheInotifyFd() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "1");
        int before = countInotifyFds();
        EventLoop loop = open(builder()); // closed by the test itself
        StatWatcher w1 = loop.stat(f, NO_POLLING, (x, ev) -> {});
        StatWatcher w2 = loop.stat(f, NO_POLLING, (x, ev) -> {});
        w1.start();
        w2.start();
        assertEquals(before + 1, countInotifyFds(), "one inotify fd per loop");
        w1.stop();
        assertTrue(loop.runNoWait(), "w2 still keeps the loop alive");
        w2.stop();
        assertFalse(loop.runNoWait(), "the shared inotify watcher does not keep the loop alive");
        w1.start();
        loop.close();
        assertEquals(before, countInotifyFds());
    }

    @Test
    void twoWatchersOfOnePathShareTheWatchAndBothHear() throws Exception {
        Path f = Files.writeString(dir.resolve("shared"), "1");
        List<Change> a = new ArrayList<>();
        List<Change> b = new ArrayList<>();
        StatWatcher w1 = loop.stat(f, NO_POLLING, recordInto(a));
        StatWatcher w2 = loop.stat(f, NO_POLLING, recordInto(b));
        w1.start();
        w2.start();
        w1.stop(); // must not remove the inotify watch w2 still needs
        Files.writeString(f, "1234");
        runUntil(loop, () -> !b.isEmpty(), "w2 still hears");
        assertEquals(List.of(), a);
        w2.stop();
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> loop.stat(null, Duration.ZERO, (x, ev) -> {}));
        assertThrows(IllegalArgumentException.class, () -> loop.stat(dir, Duration.ofSeconds(-1), (x, ev) -> {}));
        StatWatcher w = loop.stat(dir, Duration.ZERO, (x, ev) -> {});
        assertEquals(StatWatcher.DEFAULT_INTERVAL_NANOS, w.intervalNanos());
    }

    static int countInotifyFds() throws Exception {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().contains("inotify");
                } catch (Exception e) {
                    return false;
                }
            }).count();
        }
    }
}
