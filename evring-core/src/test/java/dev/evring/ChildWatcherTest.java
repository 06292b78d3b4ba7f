package dev.evring;

import dev.evring.linux.Errno;
import dev.evring.linux.Libc;
import dev.evring.linux.PidFd;
import dev.evring.linux.SysSignal;
import dev.evring.linux.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Child watchers on every backend: exit codes and signals reach the callback, and the JDK still reaps its children. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class ChildWatcherTest extends LoopTestBase {

    record Seen(int pid, int status, boolean exited, int exitCode, boolean signaled, int termSignal, boolean active) {}

    static Seen seen(ChildWatcher w) {
        return new Seen(w.pid(), w.status(), w.exited(), w.exitCode(), w.signaled(), w.termSignal(), w.isActive());
    }

    @Test
    void exitCodeReachesTheCallbackAndWaitForStillWorks() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "sleep 0.05; exit 7").start();
        List<Seen> seen = new ArrayList<>();
        ChildWatcher w = loop.child(p, (x, ev) -> {
            assertEquals(Events.CHILD, ev);
            seen.add(seen(x));
        });
        w.start();
        assertTrue(w.isActive());
        runUntil(loop, () -> !seen.isEmpty(), "the exit reported");
        assertEquals(new Seen((int) p.pid(), 7 << 8, true, 7, false, 0, false), seen.get(0),
                "exit 7, and the watcher stopped itself");
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the JDK still reaps its child");
        assertEquals(7, p.exitValue());
    }

    @Test
    void aChildKilledByASignalReportsTheSignal() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        List<Seen> seen = new ArrayList<>();
        loop.child(p, (x, ev) -> seen.add(seen(x))).start();
        loop.runNoWait();
        assertTrue(seen.isEmpty(), "still running");
        p.destroyForcibly();
        runUntil(loop, () -> !seen.isEmpty(), "the exit reported");
        Seen s = seen.get(0);
        assertTrue(s.signaled(), s.toString());
        assertEquals(SysSignal.SIGKILL, s.termSignal());
        assertEquals(-1, s.exitCode());
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(128 + 9, p.exitValue(), "the JDK's own view is intact");
    }

    @Test
    void theStatusIsKnownWhenTheJdkReapedTheChildFirst() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "exit 42").start();
        List<Seen> seen = new ArrayList<>();
        loop.child(p, (x, ev) -> seen.add(seen(x))).start(); // the pidfd is open before the exit...
        assertTrue(p.waitFor(10, TimeUnit.SECONDS)); // ...and the JDK has reaped it before the loop looks
        runUntil(loop, () -> !seen.isEmpty(), "the exit reported");
        assertEquals(42, seen.get(0).exitCode(), seen.get(0).toString());
    }

    @Test
    void aProcessThatExitedBeforeTheWatcherStartedIsReportedAtOnce() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "kill -TERM $$").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        List<Seen> seen = new ArrayList<>();
        loop.child(p, (x, ev) -> seen.add(seen(x))).start();
        loop.runNoWait();
        assertEquals(1, seen.size());
        assertTrue(seen.get(0).signaled(), seen.get(0).toString());
        assertEquals(SysSignal.SIGTERM, seen.get(0).termSignal());
    }

    @Test
    void theWatcherReadsTheStatusWithoutReapingTheChild() {
        int pid = TestProcesses.spawn("sh", "-c", "exit 3"); // a child no JDK reaper thread waits for
        try {
            List<Seen> seen = new ArrayList<>();
            loop.child(pid, (x, ev) -> seen.add(seen(x))).start();
            runUntil(loop, () -> !seen.isEmpty(), "the exit reported");
            assertEquals(new Seen(pid, 3 << 8, true, 3, false, 0, false), seen.get(0));
        } finally {
            assertEquals(3 << 8, TestProcesses.reap(pid), "still a zombie with its status: the watcher used WNOWAIT");
        }
    }

    /** The pidfds this process has open (other threads open and close other fds meanwhile). */
    static long openPidfds() throws Exception {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(f -> {
                try {
                    return Files.readSymbolicLink(f).toString().contains("pidfd");
                } catch (Exception e) {
                    return false; // the directory's own fd, gone by now
                }
            }).count();
        }
    }

    @Test
    void stoppingTheWatcherClosesItsPidfd() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        try {
            long before = openPidfds();
            ChildWatcher w = loop.child(p, (x, ev) -> {});
            w.start();
            assertEquals(before + 1, openPidfds(), "one pidfd");
            w.stop();
            assertEquals(before, openPidfds());
            w.start();
            loop.close(); // closing the loop under an active child watcher closes the pidfd too
            assertEquals(before, openPidfds());
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void aPidWithNoProcessIsRefused() {
        ChildWatcher w = loop.child(0x3fff_fff0, (x, ev) -> {});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, w::start);
        assertTrue(e.getMessage().contains(String.valueOf(0x3fff_fff0)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.child(0, (x, ev) -> {}));
        assertThrows(IllegalArgumentException.class, () -> loop.child(-1, (x, ev) -> {}));
        assertThrows(IllegalArgumentException.class, () -> loop.child((Process) null, (x, ev) -> {}));
    }

    /** struct pidfd_info is not in this machine's C headers: check our layout against the running kernel instead. */
    @Test
    void pidfdInfoLayoutMatchesTheKernel() {
        int pid = TestProcesses.spawn("sleep", "30");
        MemorySegment cs = Libc.threadCallState();
        int pidfd = Errno.check(PidFd.pidfdOpen(cs, pid, 0), "pidfd_open");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(PidFd.PIDFD_INFO_BYTES, 8);
            info.set(JAVA_LONG, PidFd.OFF_MASK, PidFd.PIDFD_INFO_PID);
            int r = PidFd.getInfo(cs, pidfd, info);
            assumeTrue(r != -Errno.ENOTTY && r != -Errno.EINVAL, "PIDFD_GET_INFO needs Linux 6.13: " + Errno.name(r));
            assertEquals(0, r);
            assertEquals(pid, info.get(JAVA_INT, PidFd.OFF_PID), "a live process: the kernel fills in its pid");

            assertEquals(0, SysSignal.kill(cs, pid, SysSignal.SIGKILL));
            assertEquals(SysSignal.SIGKILL, TestProcesses.reap(pid));
            info.fill((byte) 0);
            info.set(JAVA_LONG, PidFd.OFF_MASK, PidFd.PIDFD_INFO_EXIT);
            assertEquals(0, PidFd.getInfo(cs, pidfd, info));
            assumeTrue((info.get(JAVA_LONG, PidFd.OFF_MASK) & PidFd.PIDFD_INFO_EXIT) != 0, "PIDFD_INFO_EXIT needs Linux 6.15");
            assertEquals(SysSignal.SIGKILL, info.get(JAVA_INT, PidFd.OFF_EXIT_CODE), "reaped: the exit record keeps its status");
        } finally {
            Unistd.close(cs, pidfd);
        }
    }

    @Test
    void jdkExitValuesDecodeToWaitStatuses() {
        assertEquals(0, ChildWatcher.statusFromJdk(0));
        assertEquals(7 << 8, ChildWatcher.statusFromJdk(7));
        assertEquals(128 << 8, ChildWatcher.statusFromJdk(128));
        assertEquals(9, ChildWatcher.statusFromJdk(128 + 9), "the JDK's 128 + N for a death by signal N");
    }
}
