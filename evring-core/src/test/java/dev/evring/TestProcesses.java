package dev.evring;

import dev.evring.linux.Errno;
import dev.evring.linux.Libc;
import dev.evring.linux.SysWait;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Child processes the JDK knows nothing about (posix_spawnp through FFM), so no JDK reaper thread races the code
 * under test, and reaping them by hand.
 */
final class TestProcesses {
    private TestProcesses() {}

    private static final Linker LINKER = Linker.nativeLinker();
    /** int posix_spawnp(pid_t *pid, const char *file, actions, attrs, char *const argv[], char *const envp[]) */
    private static final MethodHandle POSIX_SPAWNP = LINKER.downcallHandle(
            LINKER.defaultLookup().find("posix_spawnp").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

    /** Starts {@code argv} (looked up on PATH) with an empty environment; returns its pid. */
    static int spawn(String... argv) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pid = a.allocate(JAVA_INT);
            MemorySegment args = a.allocate(ADDRESS, argv.length + 1);
            for (int i = 0; i < argv.length; i++) args.setAtIndex(ADDRESS, i, a.allocateFrom(argv[i]));
            args.setAtIndex(ADDRESS, argv.length, MemorySegment.NULL);
            MemorySegment env = a.allocate(ADDRESS, 1);
            env.setAtIndex(ADDRESS, 0, MemorySegment.NULL);
            int r = (int) POSIX_SPAWNP.invokeExact(pid, a.allocateFrom(argv[0]), MemorySegment.NULL, MemorySegment.NULL, args, env);
            if (r != 0) throw Errno.exception("posix_spawnp(" + argv[0] + ")", r);
            return pid.get(JAVA_INT, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Reaps {@code pid} (blocking) and returns its wait status; fails with ECHILD if someone reaped it already.
     */
    static int reap(int pid) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment si = a.allocate(SysWait.SIGINFO);
            int r = SysWait.waitid(Libc.threadCallState(), SysWait.P_PID, pid, si, SysWait.WEXITED);
            Errno.check(r, "waitid(P_PID, " + pid + ", WEXITED)");
            return SysWait.waitStatus(si.get(JAVA_INT, SysWait.OFF_SI_CODE), si.get(JAVA_INT, SysWait.OFF_SI_STATUS));
        }
    }
}
