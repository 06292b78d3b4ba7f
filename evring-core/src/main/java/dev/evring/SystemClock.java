package dev.evring;

import dev.evring.linux.Time;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The wall clock read without allocating: {@code clock_gettime(CLOCK_REALTIME)} into a timespec each thread keeps
 * for itself ({@link java.time.Instant#now()} allocates, and loops with periodic watchers read the wall clock on every
 * iteration). A vDSO call, no system call; and a downcall without errno capture, whose call-state slice the JIT does
 * not always manage to eliminate.
 */
final class SystemClock {
    private SystemClock() {}

    /** A timespec per thread, allocated once and freed with the thread. */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(() -> {
        Arena arena = Arena.ofAuto();
        return arena.allocate(Time.TIMESPEC);
    });

    static long realtimeNanos() {
        MemorySegment ts = SCRATCH.get();
        int r = Time.clockGettimeNoErrno(Time.CLOCK_REALTIME, ts);
        if (r != 0) return System.currentTimeMillis() * 1_000_000L; // cannot happen for CLOCK_REALTIME; stay correct anyway
        return ts.get(JAVA_LONG, Time.OFF_TV_SEC) * Time.NANOS_PER_SECOND + ts.get(JAVA_LONG, Time.OFF_TV_NSEC);
    }
}
