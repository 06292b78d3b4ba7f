package dev.evring;

import java.util.List;

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
        long n = 0;
        for (LoopStats s : loops) n += s.iterations();
        return n;
    }

    /** Active watchers plus refs of all loops. */
    public long active() {
        long n = 0;
        for (LoopStats s : loops) n += s.active();
        return n;
    }

    /** Tasks run on all loops. */
    public long tasksExecuted() {
        long n = 0;
        for (LoopStats s : loops) n += s.tasksExecuted();
        return n;
    }

    /** Tasks accepted and not run yet, on all loops. */
    public long tasksQueued() {
        long n = 0;
        for (LoopStats s : loops) n += s.tasksQueued();
        return n;
    }

    /** Wakeups the loops received. */
    public long wakeups() {
        long n = 0;
        for (LoopStats s : loops) n += s.wakeups();
        return n;
    }

    /** Wakeup system calls made to reach the loops. */
    public long wakeupCalls() {
        long n = 0;
        for (LoopStats s : loops) n += s.wakeupCalls();
        return n;
    }
}
