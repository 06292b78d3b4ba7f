package dev.evring;

import dev.evring.linux.Errno;
import dev.evring.linux.PidFd;
import dev.evring.linux.SysWait;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Runs its callback when a child process exits (libev's {@code ev_child}), with the pid and how it ended:
 * {@link #exitCode()} or {@link #termSignal()}.
 *
 * <p>It never takes the child from the JDK: the loop opens a pidfd for the process ({@code pidfd_open(2)}), watches
 * it like any fd, and when it turns readable reads the status with {@code waitid(P_PIDFD, ..., WEXITED | WNOWAIT)},
 * which leaves the child for whoever reaps it, so {@link Process#waitFor()} and {@link Process#onExit()} keep working.
 * If the JDK's own reaper thread was quicker (it waits for every {@link Process} it started), the status comes from
 * the pidfd's exit record ({@code PIDFD_GET_INFO}, Linux 6.15), else from {@link Process#exitValue()} (which reports a
 * death by signal N as 128 + N; evring decodes it back), else it is unknown ({@link #status()} -1).
 *
 * <p>Unlike libev, a child watcher stops by itself once it has reported the exit (a process exits once), and it
 * watches one process: libev's "any child" (pid 0) and stop/continue tracing would need SIGCHLD and waitpid, which
 * would steal children from the JDK. A process that evring does not know as a {@link Process} and that nobody reaps
 * stays a zombie, as with libev when nobody waits for it.
 *
 * <p>Costs: starting opens one fd (the pidfd, closed when the watcher stops); the exit costs a waitid call.
 */
public final class ChildWatcher extends Watcher {
    private final int pid;
    private final Process process;
    private final IoWatcher pidfdWatcher;
    private final Callback<ChildWatcher> callback;
    /** Closes the pidfd if the loop closes while the watcher is active. */
    private final EventLoop.Resource pidfdResource = this::closePidfd;
    private int pidfd = -1;
    private int status = -1;
    private boolean reported;
    /** siginfo_t, then pidfd_info: native scratch of this watcher, freed by the GC with it. */
    private MemorySegment scratch;

    ChildWatcher(EventLoop loop, int pid, Process process, Callback<ChildWatcher> callback) {
        super(loop);
        if (pid <= 0) {
            throw new IllegalArgumentException("pid " + pid + " is not a process id: a child watcher watches one process (libev's pid 0, any child, is not supported)");
        }
        this.callback = EventLoop.requireCallback(callback);
        this.pid = pid;
        this.process = process;
        this.pidfdWatcher = new IoWatcher(loop, 0, Events.READ, (w, revents) -> onExit());
    }

    static int pidOf(Process process) {
        if (process == null) throw new IllegalArgumentException("process is null");
        long pid = process.pid();
        if (pid <= 0 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("process " + process + " has pid " + pid);
        return (int) pid;
    }

    /** The watched process id. */
    public int pid() {
        loop.checkOwner();
        return pid;
    }

    /** The process this watcher was made for, or null if it was made for a bare pid. */
    public Process process() {
        loop.checkOwner();
        return process;
    }

    /**
     * The raw wait status ({@code waitpid}'s, libev's {@code rstatus}), valid in the callback and after; -1 before the
     * exit was seen, or if it could not be learned.
     */
    public int status() {
        loop.checkOwner();
        return status;
    }

    /** Whether the process exited by itself (then {@link #exitCode()} says how). */
    public boolean exited() {
        loop.checkOwner();
        return status >= 0 && SysWait.WIFEXITED(status);
    }

    /** The exit code if it {@link #exited()}, else -1. */
    public int exitCode() {
        loop.checkOwner();
        return status >= 0 && SysWait.WIFEXITED(status) ? SysWait.WEXITSTATUS(status) : -1;
    }

    /** Whether a signal killed the process. */
    public boolean signaled() {
        loop.checkOwner();
        return status >= 0 && SysWait.WIFSIGNALED(status);
    }

    /** The signal that killed the process if it was {@link #signaled()}, else 0. */
    public int termSignal() {
        loop.checkOwner();
        return status >= 0 && SysWait.WIFSIGNALED(status) ? SysWait.WTERMSIG(status) : 0;
    }

    /** Whether the process left a core dump when a signal killed it. */
    public boolean coreDumped() {
        loop.checkOwner();
        return status >= 0 && SysWait.WIFSIGNALED(status) && SysWait.WCOREDUMP(status);
    }

    /**
     * Starts watching. A {@link Process} that has exited already is reported at the next iteration; a bare pid that
     * names no process is refused.
     *
     * @throws IllegalArgumentException if no process has this pid (it exited and was reaped, or never was)
     * @throws ErrnoException           if pidfd_open fails otherwise (EMFILE, ENOSYS before Linux 5.3)
     */
    @Override
    public void start() {
        loop.checkOwner();
        if (active != 0) return;
        reported = false;
        status = -1;
        if (process != null && !process.isAlive()) {
            reportFromJdk(); // exited and reaped by the JDK already: its pid may belong to another process by now
            return;
        }
        MemorySegment cs = loop.callStateUnchecked();
        int fd = PidFd.pidfdOpen(cs, pid, 0);
        if (fd == -Errno.ESRCH) {
            if (process != null) {
                reportFromJdk();
                return;
            }
            throw new IllegalArgumentException("no process has pid " + pid + " (it exited and was reaped already, or never existed)");
        }
        Errno.check(fd, "pidfd_open(" + pid + ")");
        pidfd = fd;
        if (scratch == null) scratch = Arena.ofAuto().allocate(SysWait.SIGINFO_SIZE + PidFd.PIDFD_INFO_BYTES, 8);
        pidfdWatcher.set(fd, Events.READ);
        pidfdWatcher.priority = priority;
        pidfdWatcher.start();
        active = 1;
        loop.addResource(pidfdResource);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) release();
    }

    private void release() {
        pidfdWatcher.stop();
        loop.removeResource(pidfdResource);
        closePidfd();
        active = 0;
    }

    private void closePidfd() {
        if (pidfd >= 0) {
            Unistd.close(loop.callStateUnchecked(), pidfd);
            pidfd = -1;
        }
    }

    /** The pidfd is readable: the process has exited. Learn how, without reaping it. */
    private void onExit() {
        MemorySegment cs = loop.callStateUnchecked();
        MemorySegment siginfo = scratch.asSlice(0, SysWait.SIGINFO_SIZE);
        siginfo.fill((byte) 0);
        int r = SysWait.waitid(cs, SysWait.P_PIDFD, pidfd, siginfo, SysWait.WEXITED | SysWait.WNOWAIT | SysWait.WNOHANG);
        if (r == 0) {
            if (siginfo.get(JAVA_INT, SysWait.OFF_SI_PID) != pid) return; // not exited after all (WNOHANG): look again later
            finish(SysWait.waitStatus(siginfo.get(JAVA_INT, SysWait.OFF_SI_CODE), siginfo.get(JAVA_INT, SysWait.OFF_SI_STATUS)), 0);
            return;
        }
        if (r != -Errno.ECHILD) {
            finish(-1, r); // waitid refused the pidfd: report it as an error, with the status unknown
            return;
        }
        // Reaped already (by the JDK's reaper thread), or not our child. The pidfd may still know the status.
        int exitRecord = exitCodeFromPidfd(cs);
        if (exitRecord >= 0) {
            finish(exitRecord, 0);
        } else if (process != null) {
            finish(statusFromJdk(), 0);
        } else {
            finish(-1, 0);
        }
    }

    /** The wait status from {@code PIDFD_GET_INFO}'s exit record (Linux 6.15+), or -1. */
    private int exitCodeFromPidfd(MemorySegment cs) {
        MemorySegment info = scratch.asSlice(SysWait.SIGINFO_SIZE, PidFd.PIDFD_INFO_BYTES);
        info.fill((byte) 0);
        info.set(JAVA_LONG, PidFd.OFF_MASK, PidFd.PIDFD_INFO_EXIT);
        if (PidFd.getInfo(cs, pidfd, info) != 0) return -1;
        if ((info.get(JAVA_LONG, PidFd.OFF_MASK) & PidFd.PIDFD_INFO_EXIT) == 0) return -1;
        // the pid fields stay 0 for a reaped process; the pidfd itself names it, so the record is its own
        return info.get(JAVA_INT, PidFd.OFF_EXIT_CODE) & 0xffff;
    }

    /**
     * The JDK reports an exit code N as N and a death by signal N as 0x80 + N (ProcessImpl, like a shell's {@code $?});
     * turn that back into a wait status.
     */
    static int statusFromJdk(int exitValue) {
        if (exitValue > 0x80 && exitValue < 0x80 + 65) return exitValue - 0x80;
        return (exitValue & 0xff) << 8;
    }

    private void reportFromJdk() {
        reported = true;
        status = statusFromJdk();
        loop.feed(this, Events.CHILD);
    }

    /**
     * The status the JDK recorded for our {@link Process}, once the process is known to be gone (its pid no longer
     * names it, or waitid says it was reaped): only the JDK's reaper thread reaps it, and it stores the value right
     * after, so this waits microseconds at most (bounded, in case someone else reaped it); -1 if it never comes.
     */
    private int statusFromJdk() {
        try {
            if (process.waitFor(1, java.util.concurrent.TimeUnit.SECONDS)) return statusFromJdk(process.exitValue());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }

    private void finish(int waitStatus, int negErrno) {
        release();
        reported = true;
        status = waitStatus;
        if (negErrno != 0) {
            loop.reportExceptionUnchecked(this, Errno.exception("waitid(P_PIDFD, pid " + pid + ")", negErrno));
        }
        loop.feed(this, Events.CHILD);
    }

    @Override
    void invoke(int revents) throws Exception {
        callback.onEvent(this, revents);
    }

    @Override
    public String toString() {
        return "ChildWatcher[pid " + pid + (active != 0 ? ", active" : "") + (reported ? ", status " + status : "")
                + (pending != 0 ? ", pending" : "") + "]";
    }

    @Override
    Object callback() {
        return callback;
    }
}
