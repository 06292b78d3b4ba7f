package dev.evring.net;

import dev.evring.GroupStats;

import java.util.List;

/**
 * A {@link NetGroup}'s figures at a moment ({@link NetGroup#stats()}, any thread): its loops' {@link GroupStats} and,
 * per loop, the connections it holds and the ones its group listeners gave it, so an uneven spread shows. Each figure
 * is read on its own without a lock: figures of running loops may be a few events apart from each other.
 *
 * @param loops       each loop's {@code LoopStats} (iterations, load, tasks, wakeups) and their sums
 * @param connections per loop (index {@code i} for loop {@code i}): stream sockets open in its Net now
 * @param accepted    per loop: connections group listeners handed to it so far (accepted by its own listener under
 *                    {@link GroupListener.Mode#REUSE_PORT}, or handed to it by the accepting loop)
 * @param handedOff   per loop: connections its listener accepted and handed to another loop (only the accepting loop
 *                    of a hand-off listener has any)
 */
public record NetGroupStats(GroupStats loops, List<Integer> connections, List<Long> accepted, List<Long> handedOff) {
    public NetGroupStats {
        connections = List.copyOf(connections);
        accepted = List.copyOf(accepted);
        handedOff = List.copyOf(handedOff);
    }

    /** Connections open on all loops. */
    public long totalConnections() {
        long n = 0;
        for (int c : connections) n += c;
        return n;
    }

    /** Connections group listeners gave all loops so far. */
    public long totalAccepted() {
        long n = 0;
        for (long c : accepted) n += c;
        return n;
    }
}
