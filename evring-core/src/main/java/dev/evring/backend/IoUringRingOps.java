package dev.evring.backend;

import dev.evring.uring.CompletionHandler;
import dev.evring.uring.Ring;
import dev.evring.uring.RingOps;
import dev.evring.uring.UserData;

import java.lang.foreign.MemorySegment;

/**
 * The io_uring backend's ring as {@link RingOps} offers it to the layers above the loop, and the table of their
 * {@link CompletionHandler}s by user_data tag. The backend hands it out ({@link LoopBackend#ringOps()}) only while it
 * has a ring, points it at each new ring after a rebuild ({@link #reset}), and passes it every CQE whose tag is a
 * handler's ({@link #dispatch}).
 */
final class IoUringRingOps implements RingOps {
    private final BackendHost host;
    private final CompletionHandler[] handlers = new CompletionHandler[UserData.MAX_TAG + 1];
    private int nextTag = UserData.FIRST_HANDLER_TAG;
    /** The ring in use; null once the loop moved to epoll. */
    private Ring ring;
    /** Why the ring is gone, once it is. */
    private String goneReason;

    IoUringRingOps(BackendHost host, Ring ring) {
        this.host = host;
        this.ring = ring;
    }

    private Ring ring() {
        Ring r = ring;
        if (r == null) throw new IllegalStateException("the loop's io_uring is gone: " + goneReason);
        return r;
    }

    boolean ringAvailable() {
        return ring != null;
    }

    /**
     * Delivers one CQE to the handler of its tag; false when no handler has that tag (a stray CQE). A handler that
     * throws is handed to the loop, which reports it or lets it propagate (ExceptionReporter decides).
     */
    boolean dispatch(int tag, long userData, int res, int flags) {
        CompletionHandler h = handlers[tag];
        if (h == null) return false;
        try {
            h.onCompletion(userData, res, flags);
        } catch (Throwable t) { // the loop decides what it survives (ExceptionReporter)
            host.reportException(h, t);
        }
        return true;
    }

    /**
     * The backend replaced its ring by {@code fresh}, or gave it up ({@code fresh} null, {@code why} says why): every
     * operation of every handler that was in flight is gone without a CQE; tell each handler.
     */
    void reset(Ring fresh, String why) {
        ring = fresh;
        goneReason = why;
        for (int t = UserData.FIRST_HANDLER_TAG; t < nextTag; t++) {
            CompletionHandler h = handlers[t];
            try {
                h.onRingReset(fresh != null);
            } catch (Throwable e) { // the loop decides what it survives (ExceptionReporter)
                host.reportException(h, e);
            }
        }
    }

    @Override
    public int registerHandler(CompletionHandler handler) {
        if (handler == null) throw new IllegalArgumentException("completion handler is null");
        if (nextTag > UserData.MAX_TAG) {
            throw new IllegalStateException("all " + (UserData.MAX_TAG + 1 - UserData.FIRST_HANDLER_TAG)
                    + " completion handler tags of this loop are taken");
        }
        handlers[nextTag] = handler;
        return nextTag++;
    }

    @Override
    public MemorySegment sqes() {
        return ring().sqes();
    }

    @Override
    public long nextSqe() {
        return ring().nextSqe();
    }

    @Override
    public boolean revokeSqe(long sqe, long userData) {
        return ring().revoke(sqe, userData);
    }

    @Override
    public void reserveSqes(int n) {
        ring().reserve(n);
    }

    @Override
    public int submit() {
        return ring().submit(false);
    }

    @Override
    public int features() {
        return ring().features();
    }

    @Override
    public boolean opcodeSupported(int opcode) {
        return ring().opcodeSupported(opcode);
    }

    @Override
    public String opcodeProbeFailure() {
        return ring().probeFailure();
    }

    @Override
    public int register(int opcode, MemorySegment arg, int nrArgs) {
        return ring().register(opcode, arg, nrArgs);
    }

    @Override
    public int setupFlags() {
        return ring().setupFlags();
    }
}
