package dev.evring.bench.pipes;

/**
 * An implementation of the pipes benchmark: set up once per case, then run many times. Implementations keep every
 * per-event path free of allocation, so the figures measure the loop, not the garbage collector.
 */
interface PipeChains extends AutoCloseable {
    /** Creates {@code pipes} socketpairs and whatever watches them; {@code timeouts}: a timer per pipe as well. */
    void open(int pipes, boolean timeouts) throws Exception;

    /**
     * One run: arms every watcher, sends {@code active} bytes, then processes events until {@code writes} more
     * bytes have been written and every byte read, or {@code capNanos} has passed (then no more writes are made).
     *
     * @return the events processed (bytes read) in {@code [0]} and the nanoseconds it took in {@code [1]}
     */
    long[] run(int active, long writes, long capNanos) throws Exception;

    /** Whether this implementation has timers; without, the timeouts cases are skipped. */
    default boolean hasTimers() {
        return true;
    }

    @Override
    void close() throws java.io.IOException;
}
