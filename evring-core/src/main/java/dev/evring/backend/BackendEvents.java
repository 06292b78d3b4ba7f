package dev.evring.backend;

import dev.evring.uring.FlightRecorderGate;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;
import jdk.jfr.Timespan;

import java.util.List;

/**
 * The io_uring backend's JDK Flight Recorder events. They cost nothing while JFR is off: each gate is one volatile
 * read ({@link FlightRecorder#isInitialized()}, false until a recording has ever started in this JVM), and the event
 * classes are neither loaded nor registered before that. Once JFR runs, a gate reads its event type's enabled flag
 * (no allocation); an event object is made only for an enabled event.
 *
 * <p>They are enabled by default, so any recording has them ({@code jcmd <pid> JFR.start}, or
 * {@code -XX:StartFlightRecording}); the per-poll {@link RingBatch} is throttled to 100 a second unless a setting says
 * otherwise ({@code +dev.evring.RingBatch#throttle=off}).
 */
final class BackendEvents {
    private BackendEvents() {}

    static final String CATEGORY = "evring";

    @Name("dev.evring.RingBatch")
    @Label("Ring Batch")
    @Category({CATEGORY, "io_uring"})
    @Description("One poll of the io_uring backend: the SQEs its io_uring_enter calls submitted, the CQEs it reaped,"
            + " the calls it took and the wait it asked for; its duration includes the wait")
    @StackTrace(false)
    @Throttle("100/s")
    static final class RingBatch extends Event {
        @Label("SQEs Submitted")
        long sqes;
        @Label("CQEs Reaped")
        long cqes;
        @Label("io_uring_enter Calls")
        long enters;
        @Label("Wait Asked")
        @Description("The longest wait the loop allowed (0: do not block)")
        @Timespan
        long waitNanos;
    }

    @Name("dev.evring.CqOverflow")
    @Label("CQ Overflow")
    @Category({CATEGORY, "io_uring"})
    @Description("The completion queue overflowed: the kernel held CQEs that did not fit (flushed in) or dropped"
            + " some (the ring is rebuilt)")
    @StackTrace(false)
    static final class CqOverflow extends Event {
        @Label("CQ Entries")
        int cqEntries;
        @Label("Flush Rounds")
        @Description("io_uring_enter(GETEVENTS) calls it took to move the held CQEs in")
        int flushRounds;
        @Label("Dropped")
        @Description("Completions were lost (a kernel without IORING_FEAT_NODROP, or out of memory)")
        boolean dropped;
    }

    @Name("dev.evring.RingRebuild")
    @Label("Ring Rebuild")
    @Category({CATEGORY, "io_uring"})
    @Description("The io_uring backend replaced its ring after lost completions, or moved to epoll for good")
    @StackTrace(false)
    static final class RingRebuild extends Event {
        @Label("Reason")
        String reason;
        @Label("Old SQ Entries")
        int oldSqEntries;
        @Label("Old CQ Entries")
        int oldCqEntries;
        @Label("New SQ Entries")
        @Description("0 after a move to epoll")
        int newSqEntries;
        @Label("New CQ Entries")
        int newCqEntries;
        @Label("Moved To Epoll")
        boolean movedToEpoll;
    }

    /** The events' gate: their classes are loaded only once JFR runs (see {@link FlightRecorderGate}). */
    private static final FlightRecorderGate GATE =
            new FlightRecorderGate(() -> List.of(RingBatch.class, CqOverflow.class, RingRebuild.class));

    private static final int BATCH = 0;
    private static final int OVERFLOW = 1;
    private static final int REBUILD = 2;

    /** Whether a {@link RingBatch} would be recorded now; one volatile read while JFR has never run. */
    static boolean batchEnabled() {
        return GATE.enabled(BATCH);
    }

    /** A batch event, begun (its duration starts now). Only when {@link #batchEnabled()}. */
    static RingBatch beginBatch() {
        RingBatch e = new RingBatch();
        e.begin();
        return e;
    }

    static void commitBatch(RingBatch e, long sqes, long cqes, long enters, long waitNanos) {
        e.end();
        if (!e.shouldCommit()) return; // the throttle, or a threshold a setting asked for
        e.sqes = sqes;
        e.cqes = cqes;
        e.enters = enters;
        e.waitNanos = waitNanos;
        e.commit();
    }

    static void cqOverflow(int cqEntries, int flushRounds, boolean dropped) {
        if (!GATE.enabled(OVERFLOW)) return;
        CqOverflow e = new CqOverflow();
        e.cqEntries = cqEntries;
        e.flushRounds = flushRounds;
        e.dropped = dropped;
        e.commit();
    }

    static void ringRebuild(String reason, int oldSq, int oldCq, int newSq, int newCq, boolean movedToEpoll) {
        if (!GATE.enabled(REBUILD)) return;
        RingRebuild e = new RingRebuild();
        e.reason = reason;
        e.oldSqEntries = oldSq;
        e.oldCqEntries = oldCq;
        e.newSqEntries = newSq;
        e.newCqEntries = newCq;
        e.movedToEpoll = movedToEpoll;
        e.commit();
    }
}
