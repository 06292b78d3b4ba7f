package dev.evring;

import dev.evring.linux.Errno;
import dev.evring.linux.Libc;
import dev.evring.linux.Sched;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Pins a loop's thread to one CPU ({@code sched_setaffinity(0, ...)} on the calling thread), for {@link LoopGroup}'s
 * {@code pinToCpus}: loop {@code i} takes the {@code i}-th CPU, modulo their number, of those the thread may run on
 * (its inherited affinity, so a process started under {@code taskset} or a cpuset pins inside it). Where the kernel
 * refuses (a seccomp profile, EPERM; a cpuset that changed under us, EINVAL), the thread stays unpinned and the result
 * says why.
 *
 * @param cpu     the CPU the thread is pinned to, or -1
 * @param refusal why it is not pinned, empty when it is
 */
record CpuPinning(int cpu, String refusal) {
    /** Pins the calling thread to the {@code index}-th CPU (modulo) it may run on. */
    static CpuPinning pinCallingThread(int index) {
        MemorySegment cs = Libc.threadCallState();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment allowed = arena.allocate(Sched.CPU_SET);
            int r = Sched.schedGetaffinity(cs, 0, allowed);
            if (r < 0) return refused("sched_getaffinity failed with " + Errno.name(-r));
            int n = 0;
            for (int c = 0; c < Sched.CPU_SETSIZE; c++) if (Sched.cpuIsSet(allowed, c)) n++;
            if (n == 0) return refused("sched_getaffinity reported no CPU");
            int want = index % n;
            int cpu = -1;
            for (int c = 0, seen = 0; c < Sched.CPU_SETSIZE && cpu < 0; c++) {
                if (Sched.cpuIsSet(allowed, c) && seen++ == want) cpu = c;
            }
            MemorySegment one = arena.allocate(Sched.CPU_SET);
            Sched.cpuSetOnly(one, cpu);
            r = Sched.schedSetaffinity(cs, 0, one);
            if (r < 0) return refused("sched_setaffinity to CPU " + cpu + " failed with " + Errno.name(-r));
            return new CpuPinning(cpu, "");
        }
    }

    private static CpuPinning refused(String why) {
        return new CpuPinning(-1, why);
    }
}
