package dev.evring;

import dev.evring.linux.Libc;
import dev.evring.linux.Resource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Makes room under RLIMIT_NOFILE for tests that open thousands of fds. */
public final class FdLimit {
    private FdLimit() {}

    /** Fds kept free for the JVM and the loop itself. */
    private static final int HEADROOM = 200;

    /**
     * Raises the soft limit as far as possible (the hard limit too, where the process may) and returns how many more
     * fds the test can open: {@code wanted}, or fewer when the hard limit does not allow it (the caller says so in its
     * report). Skips the test when fewer than {@code atLeast} are possible.
     */
    public static int reserve(int wanted, int atLeast) {
        MemorySegment cs = Libc.threadCallState();
        long limit;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Resource.RLIMIT);
            if (Resource.getrlimit(cs, Resource.RLIMIT_NOFILE, rl) < 0) return wanted;
            long cur = rl.get(JAVA_LONG, Resource.OFF_RLIM_CUR);
            long max = rl.get(JAVA_LONG, Resource.OFF_RLIM_MAX);
            long needed = (long) TestFds.openFdCount() + wanted + HEADROOM;
            limit = cur;
            if (Long.compareUnsigned(cur, needed) < 0) {
                // try to raise the hard limit too (needs CAP_SYS_RESOURCE), then settle for the hard limit
                rl.set(JAVA_LONG, Resource.OFF_RLIM_CUR, needed);
                rl.set(JAVA_LONG, Resource.OFF_RLIM_MAX, Long.compareUnsigned(max, needed) >= 0 ? max : needed);
                if (Resource.setrlimit(cs, Resource.RLIMIT_NOFILE, rl) == 0) {
                    limit = needed;
                } else {
                    rl.set(JAVA_LONG, Resource.OFF_RLIM_CUR, max);
                    rl.set(JAVA_LONG, Resource.OFF_RLIM_MAX, max);
                    if (Resource.setrlimit(cs, Resource.RLIMIT_NOFILE, rl) == 0) limit = max;
                }
            }
        }
        long possible = Math.min(wanted, limit - TestFds.openFdCount() - HEADROOM);
        long lim = limit;
        assumeTrue(possible >= atLeast, () -> "this test needs at least " + atLeast + " free fds; RLIMIT_NOFILE is " + lim
                + " (raise it with ulimit -n)");
        return (int) possible;
    }
}
