package dev.evring.net;

import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IdleWatcher;
import dev.evring.TimerWatcher;

/**
 * Results waiting to reach their callbacks: a ring of (operation, status, buffer, final) in arrival order, delivered
 * from the loop's callback pass, never inside the call that produced them. Only what was queued when a pass began is
 * delivered in it; what the callbacks cause (an emulated send that completed at once) waits for the next iteration,
 * as libuv does, so a callback that keeps starting operations cannot starve the loop. No allocation once the arrays
 * have grown to the burst size.
 */
final class DeliveryQueue {
    /** Where entries go when their turn comes. */
    interface Sink {
        void deliver(Op op, int status, BufferSlot buffer, boolean fin);
    }

    private final Sink sink;
    /** Runs at the end of every pass (news that is no operation's result: writability changes). */
    private final Runnable passEnded;
    private Op[] ops = new Op[256];
    private int[] statuses = new int[256];
    private BufferSlot[] buffers = new BufferSlot[256];
    private boolean[] finals = new boolean[256];
    /** Absolute positions: an entry's index is {@code position & (length - 1)}; they wrap as ints. */
    private int head;
    private int tail;
    /** Fed (not started) to deliver in the current iteration's callback pass. */
    private final IdleWatcher thisIteration;
    /** A zero-delay timer: delivers in the next iteration what callbacks queued. */
    private final TimerWatcher nextIteration;
    /** A delivery is scheduled (fed or timed), or running: pushes need not schedule another. */
    private boolean scheduled;
    /** No more scheduling: the Net is closing and delivers the rest itself. */
    private boolean stopped;

    DeliveryQueue(EventLoop loop, Sink sink, Runnable passEnded) {
        this.sink = sink;
        this.passEnded = passEnded;
        this.thisIteration = loop.idle((w, ev) -> deliverPass());
        this.nextIteration = loop.timer(0L, 0L, (w, ev) -> deliverPass());
    }

    void push(Op op, int status, BufferSlot buffer, boolean fin) {
        if (tail - head == ops.length) grow();
        int i = tail & (ops.length - 1);
        ops[i] = op;
        statuses[i] = status;
        buffers[i] = buffer;
        finals[i] = fin;
        tail++;
        schedule();
    }

    /** Makes sure a pass runs: in this iteration's callback pass if the loop is before it, else the next. */
    void schedule() {
        if (!scheduled && !stopped) {
            scheduled = true;
            thisIteration.feed(Events.CUSTOM);
        }
    }

    boolean isEmpty() {
        return head == tail;
    }

    /**
     * Doubles the arrays. Positions are absolute, so entries move to their index in the larger arrays and
     * {@code head}/{@code tail} stay valid: a pass that remembered where to stop is not disturbed by a callback that
     * made the queue grow.
     */
    private void grow() {
        int n = ops.length;
        Op[] o = new Op[n * 2];
        int[] r = new int[n * 2];
        BufferSlot[] b = new BufferSlot[n * 2];
        boolean[] f = new boolean[n * 2];
        for (int k = head; k != tail; k++) {
            int from = k & (n - 1);
            int to = k & (2 * n - 1);
            o[to] = ops[from];
            r[to] = statuses[from];
            b[to] = buffers[from];
            f[to] = finals[from];
        }
        ops = o;
        statuses = r;
        buffers = b;
        finals = f;
    }

    private void deliverPass() {
        deliverUpTo(tail);
        passEnded.run();
        scheduled = false;
        if (head != tail && !stopped) {
            scheduled = true;
            nextIteration.start();
        }
    }

    /**
     * Delivers the entries before position {@code end}. A callback that closes the Net delivers the rest itself, so
     * the head may pass {@code end} (positions wrap: compare by difference).
     */
    private void deliverUpTo(int end) {
        while (end - head > 0) {
            int i = head & (ops.length - 1);
            Op op = ops[i];
            int status = statuses[i];
            BufferSlot buffer = buffers[i];
            boolean fin = finals[i];
            ops[i] = null;
            buffers[i] = null;
            head++;
            sink.deliver(op, status, buffer, fin);
        }
    }

    /** Stops scheduling (the Net is closing) and delivers everything queued now, to the last entry. */
    void drain() {
        stopped = true;
        while (head != tail) deliverUpTo(tail);
    }

    /** Stops the watchers for good (the Net closed). */
    void stop() {
        stopped = true;
        thisIteration.stop();
        nextIteration.stop();
    }
}
