package dev.evring.bench.pipes;

/**
 * What every Java row of the pipes benchmark shares, whatever watches the pipes: libevent's bench run (arm, one
 * untimed set-up pass, the first byte of each chain, events until every byte written has been read, disarm) and its
 * chain bookkeeping (bytes read, bytes written, writes left, the run's time cap checked every 64 events), so the rows
 * differ only in the event loop they measure.
 */
abstract class ChainedPipes implements PipeChains {
    int n;
    private long count, fired, writes, deadline, checks;

    /** Arms what watches the pipes before a run (untimed). */
    abstract void arm() throws Exception;

    /** One non-blocking pass so the registrations reach the kernel before the clock starts (untimed). */
    abstract void setUpPass() throws Exception;

    /** Puts one byte into pipe {@code pipe} to start a chain. */
    abstract void sendFirst(int pipe) throws Exception;

    /** Waits for and handles the next events, calling {@link #onBytes} for each. */
    abstract void awaitEvents() throws Exception;

    /** Disarms it after a run (untimed). */
    abstract void disarm() throws Exception;

    /** Whether the run must end now (a callback failed); checked after each wait. */
    boolean failed() {
        return false;
    }

    @Override
    public long[] run(int active, long numWrites, long capNanos) throws Exception {
        arm();
        setUpPass();
        int space = n / active;
        fired = 0;
        for (int i = 0; i < active; i++, fired++) sendFirst(i * space);
        count = 0;
        writes = numWrites;
        long t0 = System.nanoTime();
        deadline = t0 + capNanos;
        while (count != fired && !failed()) awaitEvents();
        long t1 = System.nanoTime();
        disarm();
        return new long[] {count, t1 - t0};
    }

    /**
     * Accounts for {@code bytes} read from a pipe (one event each) and returns how many bytes to write to the next
     * pipe, {@link #next(int)}. Past the run's time cap no more are written.
     */
    final long onBytes(long bytes) {
        count += bytes;
        long forward = Math.min(bytes, writes);
        writes -= forward;
        fired += forward;
        if ((++checks & 63) == 0 && System.nanoTime() > deadline) writes = 0;
        return forward;
    }

    final int next(int pipe) {
        int w = pipe + 1;
        return w >= n ? w - n : w;
    }
}
