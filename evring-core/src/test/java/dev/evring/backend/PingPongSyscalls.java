package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.TestFds;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Libc;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The figure of the io_uring brief: system calls per event in a ping-pong of 100 socketpairs with 10 tokens going round
 * (each read triggers a write to the next pair). Prints events, loop iterations and the backend's own counters; run it
 * under {@code strace -f -c} to count the system calls from outside:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... dev.evring.backend.PingPongSyscalls [backend] [events] [key=value ...]
 * </pre>
 * backend is io_uring (default), epoll or poll; options are backend options such as {@code io_uring.poll=oneshot}.
 */
public final class PingPongSyscalls {
    private PingPongSyscalls() {}

    static final int PAIRS = 100;
    static final int CHAINS = 10;

    /** What one run measured. */
    record Result(long events, long iterations, long nanos, IoUringBackend.Stats stats) {}

    public static void main(String[] args) {
        Backend backend = args.length > 0 ? Backend.parse(args[0]) : Backend.IO_URING;
        long events = args.length > 1 ? Long.parseLong(args[1]) : 200_000;
        EventLoop.Builder b = EventLoop.builder().backend(backend);
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            b.option(kv[0], kv[1]);
        }
        Result r = run(b, 20_000, events);
        System.out.printf("%s %s: %d events in %d iterations (%.2f events/iteration), %.0f ns per event%n", backend.id(),
                String.join(" ", java.util.Arrays.copyOfRange(args, Math.min(2, args.length), args.length)),
                r.events(), r.iterations(), r.events() / (double) r.iterations(), r.nanos() / (double) r.events());
        if (r.stats() != null) {
            IoUringBackend.Stats s = r.stats();
            System.out.printf("  io_uring_enter %d (%.3f per event), SQEs %d (%.3f per event), CQEs %d (%.3f per event)%n",
                    s.enters(), s.enters() / (double) r.events(), s.sqesSubmitted(), s.sqesSubmitted() / (double) r.events(),
                    s.cqesReaped(), s.cqesReaped() / (double) r.events());
            System.out.printf("  POLL_ADD %d (%.3f per event), level re-checks %d (%.3f per event), mask updates %d, removes %d%n",
                    s.pollAdds(), s.pollAdds() / (double) r.events(), s.levelChecks(), s.levelChecks() / (double) r.events(),
                    s.pollUpdates(), s.pollRemoves());
        }
    }

    /** Warms up for {@code warmup} events, then measures {@code events} more; counters cover the measured part only. */
    static Result run(EventLoop.Builder builder, long warmup, long events) {
        try (EventLoop loop = builder.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Libc.allocateCallState(arena);
            MemorySegment buf = arena.allocate(64);
            int[][] pairs = new int[PAIRS][];
            for (int i = 0; i < PAIRS; i++) pairs[i] = TestFds.socketpair();
            long[] count = new long[1];
            IoWatcher[] ws = new IoWatcher[PAIRS];
            for (int i = 0; i < PAIRS; i++) {
                int next = (i + 1) % PAIRS;
                int fd = pairs[i][0];
                ws[i] = loop.io(fd, Events.READ, (w, ev) -> {
                    long n = Unistd.read(cs, fd, buf, 64);
                    for (long k = 0; k < n; k++) Unistd.write(cs, pairs[next][1], buf, 1);
                    count[0] += Math.max(n, 0);
                });
                ws[i].start();
            }
            for (int c = 0; c < CHAINS; c++) {
                buf.set(JAVA_BYTE, 0, (byte) c);
                Unistd.write(cs, pairs[c * (PAIRS / CHAINS)][1], buf, 1);
            }
            while (count[0] < warmup) loop.runOnce();
            IoUringBackend.Stats before = stats(loop);
            long it0 = loop.iteration();
            long start = count[0];
            long t0 = System.nanoTime();
            while (count[0] < start + events) loop.runOnce();
            long nanos = System.nanoTime() - t0;
            long measured = count[0] - start;
            long iterations = loop.iteration() - it0;
            IoUringBackend.Stats after = stats(loop);
            for (IoWatcher w : ws) w.stop();
            for (int[] p : pairs) TestFds.close(p);
            return new Result(measured, iterations, nanos, after == null ? null : minus(after, before));
        }
    }

    private static IoUringBackend.Stats stats(EventLoop loop) {
        return LoopAccess.get().backend(loop) instanceof IoUringBackend u ? u.stats() : null;
    }

    private static IoUringBackend.Stats minus(IoUringBackend.Stats a, IoUringBackend.Stats b) {
        return new IoUringBackend.Stats(a.enters() - b.enters(), a.sqesSubmitted() - b.sqesSubmitted(),
                a.cqesReaped() - b.cqesReaped(), a.pollAdds() - b.pollAdds(), a.pollUpdates() - b.pollUpdates(),
                a.levelChecks() - b.levelChecks(), a.pollRemoves() - b.pollRemoves(), a.staleCqes() - b.staleCqes(), a.strayCqes() - b.strayCqes(),
                a.overflowFlushes() - b.overflowFlushes(), a.ringResets() - b.ringResets(), a.epollSetFds());
    }
}
