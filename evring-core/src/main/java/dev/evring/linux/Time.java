package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** {@code <time.h>} / {@code <linux/time_types.h>}: timespec and the clocks. */
public final class Time {
    private Time() {}

    public static final String HEADER = "time.h";

    public static final int CLOCK_REALTIME = 0;
    public static final int CLOCK_MONOTONIC = 1;
    public static final int CLOCK_BOOTTIME = 7;

    public static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** {@code struct timespec}, identical to {@code struct __kernel_timespec} on LP64. */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec")).withName("struct timespec");

    public static final long TIMESPEC_SIZE = TIMESPEC.byteSize();
    public static final long OFF_TV_SEC = TIMESPEC.byteOffset(groupElement("tv_sec"));
    public static final long OFF_TV_NSEC = TIMESPEC.byteOffset(groupElement("tv_nsec"));

    /** Stores {@code nanos} (not negative) into the timespec at {@code ts}. */
    public static void setTimespec(MemorySegment ts, long nanos) {
        setTimespec(ts, 0, nanos);
    }

    /** Stores {@code nanos} (not negative) into the timespec at byte {@code offset} of {@code seg} (no slice). */
    public static void setTimespec(MemorySegment seg, long offset, long nanos) {
        seg.set(JAVA_LONG, offset + OFF_TV_SEC, nanos / NANOS_PER_SECOND);
        seg.set(JAVA_LONG, offset + OFF_TV_NSEC, nanos % NANOS_PER_SECOND);
    }

    /**
     * clock_gettime without errno: for the clocks that cannot fail (CLOCK_REALTIME and CLOCK_MONOTONIC into a valid
     * timespec), read on every loop iteration. No call-state segment, so nothing the JIT must prove does not escape
     * (a capturing downcall slices its call-state segment on every call). Returns 0, or -1 on a failure that cannot
     * happen for those clocks.
     */
    public static int clockGettimeNoErrno(int clock, MemorySegment ts) {
        try {
            return (int) CLOCK_GETTIME_NO_ERRNO.invokeExact(clock, ts);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static final MethodHandle CLOCK_GETTIME_NO_ERRNO =
            Libc.plainCall("clock_gettime", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));

    /** {@code a + b}, or {@link Long#MAX_VALUE} ("never") where the sum would overflow; both not negative. */
    public static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /**
     * A wait of {@code nanos} as the millisecond timeout of poll(2) and epoll_wait(2): rounded up, so a wait never ends
     * before a timer is due; 0 for no wait; at most {@link Integer#MAX_VALUE}.
     */
    public static int toMillisRoundedUp(long nanos) {
        return nanos <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (nanos + 999_999L) / 1_000_000L);
    }
}
