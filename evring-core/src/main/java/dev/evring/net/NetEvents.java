package dev.evring.net;

import dev.evring.uring.FlightRecorderGate;
import dev.evring.linux.Errno;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

import java.util.List;

/**
 * The JDK Flight Recorder events of {@code dev.evring.net}, in category {@code evring}: {@link PoolExhausted} (a
 * buffer pool ran dry and receives wait) and {@link AcceptPause} (accepting paused for lack of fds). Net calls one
 * static method at each place, one line each; while JFR is off each costs an int comparison or one volatile read
 * ({@link FlightRecorderGate}), the event classes not even loaded. A slow completion callback is reported by the loop's
 * {@code dev.evring.SlowCallback}, named by its handle ({@code LoopAccess.callbackTimer}).
 */
final class NetEvents {
    private NetEvents() {}

    @Name("dev.evring.BufferPoolExhausted")
    @Label("Buffer Pool Exhausted")
    @Category({"evring", "Net"})
    @Description("A Net's buffer pool ran dry: a receive found no buffer and waits, its data left in its socket, until"
            + " one comes back (one event each time the pool runs dry, not per waiting receive)")
    @StackTrace(false)
    static final class PoolExhausted extends Event {
        @Label("Pool")
        @Description("receive (stream receives; on io_uring the kernel's buffer ring) or general")
        String pool;
        @Label("Buffers")
        int buffers;
        @Label("Buffer Size")
        int bufferSize;
        @Label("Waits")
        @Description("Times a receive of this pool waited for a buffer since the Net opened (NetStats.recvBufferWaits)")
        long waits;
    }

    @Name("dev.evring.AcceptPause")
    @Label("Accept Pause")
    @Category({"evring", "Net"})
    @Description("Accepting paused for lack of fds or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) or on a security module's"
            + " EPERM: the waiting connection stays in the backlog and accepting resumes after the backoff")
    @StackTrace(false)
    static final class AcceptPause extends Event {
        @Label("Listener")
        String listener;
        @Label("Error")
        String error;
        @Label("Backoff")
        @Timespan
        long backoff;
        @Label("Pauses")
        @Description("Accept pauses of this Net since it opened (NetStats.acceptPauses)")
        long pauses;
    }

    private static final FlightRecorderGate GATE = new FlightRecorderGate(() -> List.of(PoolExhausted.class, AcceptPause.class));
    private static final int POOL = 0;
    private static final int ACCEPT = 1;

    /** Loads this class and its gate when a Net opens, so that no hot path needs a class file later. */
    static void load() {
    }

    /** A receive of {@code pool} begins to wait for a buffer, {@code waiting} with it: the first one means dry. */
    static void bufferWait(BufferPool pool, int waiting) {
        if (waiting != 1 || !GATE.enabled(POOL)) return;
        PoolExhausted e = new PoolExhausted();
        e.pool = pool.name;
        e.buffers = pool.count();
        e.bufferSize = pool.bufferSize;
        e.waits = pool.waits + 1; // counting this one
        e.commit();
    }

    /** Accepting on {@code listener} pauses for {@code backoffNanos} after {@code status} (0: out of fds, unsaid). */
    static void acceptPaused(IoHandle listener, int status, long backoffNanos, long pauses) {
        if (!GATE.enabled(ACCEPT)) return;
        AcceptPause e = new AcceptPause();
        e.listener = listener.toString();
        e.error = status < 0 ? Errno.name(-status) : "EMFILE or ENFILE";
        e.backoff = backoffNanos;
        e.pauses = pauses;
        e.commit();
    }
}
