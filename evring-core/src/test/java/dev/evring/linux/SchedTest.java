package dev.evring.linux;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** sched_getaffinity / sched_setaffinity on the calling thread: pinned to one allowed CPU, then given its set back. */
class SchedTest {
    @Test
    void aThreadPinnedToOneCpuReportsOnlyThatCpu() throws Exception {
        Throwable[] failure = new Throwable[1];
        Thread t = Thread.ofPlatform().uncaughtExceptionHandler((th, e) -> failure[0] = e).start(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment cs = Libc.allocateCallState(arena);
                MemorySegment allowed = arena.allocate(Sched.CPU_SET);
                assertEquals(0, Sched.schedGetaffinity(cs, 0, allowed));
                int first = -1;
                for (int c = 0; c < Sched.CPU_SETSIZE && first < 0; c++) if (Sched.cpuIsSet(allowed, c)) first = c;
                assertTrue(first >= 0, "the thread may run on no CPU?");
                MemorySegment one = arena.allocate(Sched.CPU_SET);
                Sched.cpuSetOnly(one, first);
                int r = Sched.schedSetaffinity(cs, 0, one);
                assumeTrue(r == 0, "sched_setaffinity refused here: " + Errno.name(-r));
                MemorySegment now = arena.allocate(Sched.CPU_SET);
                assertEquals(0, Sched.schedGetaffinity(cs, 0, now));
                for (int c = 0; c < Sched.CPU_SETSIZE; c++) assertEquals(c == first, Sched.cpuIsSet(now, c), "cpu " + c);
                assertEquals(0, Sched.schedSetaffinity(cs, 0, allowed));
                MemorySegment none = arena.allocate(Sched.CPU_SET);
                assertEquals(-Errno.EINVAL, Sched.schedSetaffinity(cs, 0, none), "an empty set is refused");
                assertFalse(Sched.cpuIsSet(none, first));
            }
        });
        t.join();
        if (failure[0] instanceof org.opentest4j.TestAbortedException a) throw a;
        if (failure[0] != null) throw new AssertionError(failure[0]);
    }
}
