package dev.evring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The tasks given to {@link EventLoop#execute}: a multi-producer, single-consumer queue of two arrays, and the watcher
 * that runs them on the loop's thread.
 *
 * <p>Submitters append to {@code incoming} under a lock (an array store; the array doubles when full, the only
 * allocation, and stays grown). The loop, when woken, takes everything queued as one batch by swapping the two arrays
 * under the same lock (so the lock is taken once per batch on the loop's side), and runs the batch in submission order,
 * clearing each slot as it goes; tasks submitted meanwhile form the next batch, run at the next iteration, so tasks that
 * keep submitting tasks cannot starve the loop's fds and timers. The batch is this watcher's callback (priority 0,
 * queued with the iteration's async events), so it is ordered among the other callbacks like any watcher's.
 *
 * <p>A nested {@code run()} inside a task continues the same batch where it is (the swap waits until the batch is
 * done), which keeps submission order.
 */
final class TaskQueue extends Watcher {
    // the two counters other threads read for stats and load (EventLoop.stats, LoopGroup.leastLoaded): written with
    // setOpaque by their one writer, read with getOpaque, so a reader sees a whole value and never a hoisted one
    private static final VarHandle SUBMITTED;
    private static final VarHandle EXECUTED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SUBMITTED = l.findVarHandle(TaskQueue.class, "submitted", long.class);
            EXECUTED = l.findVarHandle(TaskQueue.class, "executed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Object lock = new Object();
    // submitters' side, under lock
    private Runnable[] incoming = new Runnable[16];
    private int incomingCount;
    private boolean closed;
    /** {@code incomingCount}, readable without the lock. */
    private volatile int queued;
    /** Tasks accepted so far (written under lock). */
    private long submitted;
    /** Tasks run so far (written on the loop's thread). */
    private long executed;
    // the loop's side
    private Runnable[] batch = new Runnable[16];
    private int batchPos;
    private int batchEnd;

    TaskQueue(EventLoop loop) {
        super(loop);
    }

    /** Any thread: queues {@code task}; false once {@link #close()} ran. */
    boolean offer(Runnable task) {
        synchronized (lock) {
            if (closed) return false;
            if (incomingCount == incoming.length) incoming = Arrays.copyOf(incoming, incomingCount * 2);
            incoming[incomingCount++] = task;
            queued = incomingCount;
            SUBMITTED.setOpaque(this, submitted + 1);
        }
        return true;
    }

    /** Loop thread: whether a task is waiting to run (queued, or left in the batch). */
    boolean hasWork() {
        return batchPos < batchEnd || queued > 0;
    }

    /** Any thread: how many tasks have run. */
    long executed() {
        return (long) EXECUTED.getOpaque(this);
    }

    /**
     * Any thread: how many tasks were accepted and have not run yet. Read without the lock, so a moment old (the two
     * counters are read apart, hence the clamp).
     */
    long waiting() {
        long done = (long) EXECUTED.getOpaque(this);
        return Math.max(0, (long) SUBMITTED.getOpaque(this) - done);
    }

    /** Loop thread: refuses every later offer. */
    void close() {
        synchronized (lock) {
            closed = true;
        }
    }

    /** Loop thread: runs the current batch, or takes what is queued as the next one and runs it. */
    @Override
    void invoke(int revents) {
        try {
            if (batchPos == batchEnd) takeBatch();
            while (batchPos < batchEnd) {
                Runnable task = batch[batchPos];
                batch[batchPos++] = null;
                loop.runTask(task);
                EXECUTED.setOpaque(this, executed + 1);
            }
        } finally {
            // tasks submitted meanwhile, or left behind by an error the loop does not survive: look again next time
            if (hasWork()) loop.tasksPending();
        }
    }

    private void takeBatch() {
        if (queued == 0) return;
        synchronized (lock) {
            Runnable[] done = batch; // every slot cleared as it ran
            batch = incoming;
            batchEnd = incomingCount;
            batchPos = 0;
            incoming = done;
            incomingCount = 0;
            queued = 0;
        }
    }

    /** Loop thread, at close after the final runs: the tasks an escaping error kept from running, in order. */
    Runnable[] leftOver() {
        synchronized (lock) {
            Runnable[] left = new Runnable[batchEnd - batchPos + incomingCount];
            System.arraycopy(batch, batchPos, left, 0, batchEnd - batchPos);
            System.arraycopy(incoming, 0, left, batchEnd - batchPos, incomingCount);
            Arrays.fill(batch, null);
            Arrays.fill(incoming, null);
            batchPos = batchEnd = incomingCount = 0;
            queued = 0;
            SUBMITTED.setOpaque(this, submitted - left.length); // reported as refused, not waiting
            return left;
        }
    }

    /** Not a user watcher: the loop feeds it when tasks arrive. */
    @Override
    public void start() {
        throw new IllegalStateException("the task queue is not started by hand: the loop feeds it when tasks arrive");
    }

    @Override
    public void stop() {
        throw new IllegalStateException("the task queue is not stopped by hand: it ends with its loop");
    }

    @Override
    public String toString() {
        return "the task queue of " + loop;
    }
}
