package dev.evring.bench.pipes;


import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The syscall floor from Java: the same read(2) + write(2) per event through FFM downcalls, with no loop at all, as
 * native/pipes_floor.c does in C. The gap between the two is the cost of crossing into native code from Java.
 */
final class FloorPipes implements PipeChains {
    private Arena arena;
    private MemorySegment buf;
    private Socketpairs fds;
    private int n;

    @Override
    public boolean hasTimers() {
        return false;
    }

    @Override
    public void open(int pipes, boolean timeouts) {
        n = pipes;
        arena = Arena.ofConfined();
        buf = arena.allocate(8);
        fds = new Socketpairs(pipes);
    }

    @Override
    public long[] run(int active, long numWrites, long capNanos) {
        final MemorySegment b = buf;
        final int[] rd = fds.read, wr = fds.write;
        int[] pos = new int[active];
        int space = n / active;
        long fired = 0, count = 0, writes = numWrites;
        for (int a = 0; a < active; a++, fired++) {
            pos[a] = a * space;
            check(Syscalls.write(wr[pos[a]], b, 1), "write");
        }
        long t0 = System.nanoTime(), deadline = t0 + capNanos;
        while (count != fired) {
            for (int a = 0; a < active; a++) {
                int i = pos[a];
                if (i < 0) continue;
                check(Syscalls.read(rd[i], b, 1), "read");
                count++;
                if (writes > 0) {
                    int widx = i + 1;
                    if (widx >= n) widx -= n;
                    check(Syscalls.write(wr[widx], b, 1), "write");
                    writes--;
                    fired++;
                    pos[a] = widx;
                } else {
                    pos[a] = -1;
                }
                if ((count & 63) == 0 && System.nanoTime() > deadline) writes = 0;
            }
        }
        return new long[] {count, System.nanoTime() - t0};
    }

    private static void check(long r, String call) {
        if (r != 1) throw new IllegalStateException(call + " returned " + r);
    }

    @Override
    public void close() {
        if (fds != null) fds.close();
        if (arena != null) arena.close();
    }
}
