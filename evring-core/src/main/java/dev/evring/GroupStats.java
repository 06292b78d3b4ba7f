package dev.evring;

import java.util.List;
import java.util.function.ToLongFunction;

/**
 * A {@link LoopGroup}'s counters at a moment: each loop's {@link LoopStats}, in loop order, and their sums. Imbalance
 * shows as loops whose {@code iterations}, {@code active} or {@code tasksExecuted} differ widely.
 *
 * @param loops each loop's figures, index {@code i} for {@link LoopGroup#loop(int) loop(i)}
 */
public record GroupStats(List<LoopStats> loops) {
    public GroupStats {
        loops = List.copyOf(loops);
    }

    /** Backend waits of all loops. */
    public long iterations() {
        return sum(LoopStats::iterations);
    }

    /** Active watchers plus refs of all loops. */
    public long active() {
        return sum(LoopStats::active);
    }

    /** Tasks run on all loops. */
    public long tasksExecuted() {
        return sum(LoopStats::tasksExecuted);
    }

    /** Tasks accepted and not run yet, on all loops. */
    public long tasksQueued() {
        return sum(LoopStats::tasksQueued);
    }

    /** Wakeups the loops received. */
    public long wakeups() {
        return sum(LoopStats::wakeups);
    }

    /** Wakeup system calls made to reach the loops. */
    public long wakeupCalls() {
        return sum(LoopStats::wakeupCalls);
    }

    /** Ring messages posted to wake the loops. */
    public long wakeupMessages() {
        return sum(LoopStats::wakeupMessages);
    }

    private long sum(ToLongFunction<LoopStats> figure) {
        long n = 0;
        for (LoopStats s : loops) n += figure.applyAsLong(s);
        return n;
    }
}
