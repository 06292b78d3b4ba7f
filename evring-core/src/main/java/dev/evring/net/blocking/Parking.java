package dev.evring.net.blocking;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * One wait of a blocking call (a read, a write, an accept), written once: what an interrupt and a deadline do there.
 * An interrupted virtual thread gives up its claim and gets {@link InterruptedIOException}, which {@code Socket}'s
 * and {@code ServerSocket}'s own wrappers turn into the JDK's answer (the socket closed, "Closed by interrupt", the
 * interrupt status kept); a platform thread's call blocks through an interrupt as the JDK's does, its status taken here
 * and given back by the caller when the call ends; a deadline that passed gives up with {@link SocketTimeoutException}.
 */
final class Parking {
    private Parking() {}

    /** Gives up a blocked call's claim (the connection's reader or writer, the listener's acceptor) before it throws. */
    @FunctionalInterface
    interface GiveUp {
        void giveUp(Thread me);
    }

    /**
     * Parks {@code me} (the calling thread) once on {@code blocker}, until unparked or until {@code deadline}
     * ({@link System#nanoTime()}; 0: none). Returns true when it took a platform thread's interrupt status, which the
     * caller restores when its call ends.
     *
     * @throws InterruptedIOException   when {@code me} is an interrupted virtual thread (after {@code giveUp})
     * @throws SocketTimeoutException   with {@code timedOut} as its message, once the deadline passed (after {@code giveUp})
     */
    static boolean parkOnce(Object blocker, Thread me, long deadline, GiveUp giveUp, String timedOut) throws IOException {
        boolean took = false;
        if (me.isInterrupted()) {
            if (me.isVirtual()) {
                giveUp.giveUp(me);
                throw new InterruptedIOException();
            }
            Thread.interrupted();
            took = true;
        }
        if (deadline == 0) {
            LockSupport.park(blocker);
        } else {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                giveUp.giveUp(me);
                throw new SocketTimeoutException(timedOut);
            }
            LockSupport.parkNanos(blocker, left);
        }
        return took;
    }
}
