package dev.evring.net.blocking;

import dev.evring.EventLoop;
import dev.evring.net.Net;

import java.io.IOException;
import java.net.SocketException;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * One loop as blocking sockets see it: the loop, the {@link Net} opened on it for them, and its thread. Every call into
 * the Net happens on that thread, as a task handed over with {@link EventLoop#execute}; a blocked thread parks and the
 * loop unparks it.
 */
final class LoopPort {
    final EventLoop loop;
    final Net net;
    final Thread thread;

    private LoopPort(EventLoop loop, Net net, Thread thread) {
        this.loop = loop;
        this.net = net;
        this.thread = thread;
    }

    /** Opens a Net on {@code loop} (on its thread, which must be running it) and waits for it. */
    static LoopPort open(EventLoop loop, Function<EventLoop, Net> nets) throws IOException {
        return call(loop, null, () -> new LoopPort(loop, nets.apply(loop), Thread.currentThread()));
    }

    /**
     * Wakes {@code t} (a reader, writer or acceptor parked for news from this loop), at once. (Holding the loop's
     * unparks until it was about to wait, to signal the scheduler once a batch, was tried: CPU per message did not
     * change measurably, and at 5,000 mostly idle connections some round trips took seconds; see issue 12's note.)
     */
    void unpark(Thread t) {
        if (t != null) LockSupport.unpark(t);
    }

    /** Whether the calling thread is this loop's, where blocking would wait for itself. */
    boolean onLoopThread() {
        return Thread.currentThread() == thread;
    }

    /** Refuses a blocking wait on the loop's own thread: nothing would ever wake it. */
    void checkMayBlock() {
        if (onLoopThread()) {
            throw new IllegalStateException("a blocking socket call on the thread of " + loop
                    + ", which would wait for itself: call it from another thread (a virtual thread)");
        }
    }

    /**
     * Hands {@code task} to the loop. A loop that closed refuses it: the socket went with it, as the exception says.
     */
    void execute(Runnable task) throws SocketException {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            throw new SocketException("Socket closed (its event loop closed)");
        }
    }

    /** As {@link #execute}, for a task that may be dropped when the loop is gone (a close: the loop closed the socket). */
    void executeQuietly(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // the loop closed, and every socket of its Net with it
        }
    }

    /** Runs {@code task} on the loop's thread and waits for its result; see {@link #call(EventLoop, Thread, Callable)}. */
    <T> T call(Callable<T> task) throws IOException {
        return call(loop, thread, task);
    }

    /**
     * Runs {@code task} on {@code loop}'s thread and waits (parked, not interruptibly: these are short steps on the loop,
     * an interrupt is kept for the caller) for its result. On the loop's own thread it runs at once. An exception of
     * the task is rethrown: an IOException as it is, an {@code ErrnoException} as a SocketException naming the call.
     * Cost: one {@code execute} (a wakeup of the loop if it sleeps), a park and an unpark; allocates the hand-over.
     */
    static <T> T call(EventLoop loop, Thread loopThread, Callable<T> task) throws IOException {
        if (Thread.currentThread() == loopThread) return run(task);
        Handover<T> h = new Handover<>(task, Thread.currentThread());
        try {
            loop.execute(h);
        } catch (RejectedExecutionException e) {
            throw new SocketException("Socket closed (its event loop closed)");
        }
        boolean interrupted = false;
        while (!h.done) {
            LockSupport.park(h);
            if (Thread.interrupted()) interrupted = true;
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (h.failure != null) throw Connection.asIOException(h.failure);
        return h.result;
    }

    private static <T> T run(Callable<T> task) throws IOException {
        try {
            return task.call();
        } catch (Exception e) {
            throw Connection.asIOException(e);
        }
    }

    /** A task whose result one thread waits for. */
    private static final class Handover<T> implements Runnable {
        private final Callable<T> task;
        private final Thread waiter;
        private T result;
        private Exception failure;
        private volatile boolean done;

        Handover(Callable<T> task, Thread waiter) {
            this.task = task;
            this.waiter = waiter;
        }

        @Override
        public void run() {
            try {
                result = task.call();
            } catch (Exception e) {
                failure = e;
            } finally {
                done = true; // publishes result and failure (volatile write after them)
                LockSupport.unpark(waiter);
            }
        }
    }
}
