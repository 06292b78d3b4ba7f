package dev.evring;

import dev.evring.uring.FlightRecorderGate;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;
import jdk.jfr.Timespan;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The loop's JDK Flight Recorder events, in category {@code evring}: {@link Iteration} (each iteration's wait and work
 * time and callbacks; throttled), {@link SlowCallback} (a callback that ran longer than {@code loop.slow_callback_ms})
 * and {@link Statistics} (every loop's {@link LoopStats}, once a second, for live views such as
 * {@code ./evring top}). Like the backend's ({@code dev.evring.RingBatch}, ...) they cost nothing while JFR is off:
 * one volatile read per iteration ({@link FlightRecorderGate}), the event classes not even loaded. They are enabled
 * by default, so any recording has them.
 */
final class LoopEvents {
    private LoopEvents() {}

    static final String CATEGORY = "evring";

    @Name("dev.evring.LoopIteration")
    @Label("Loop Iteration")
    @Category({CATEGORY, "Loop"})
    @Description("One iteration of an event loop, from the start of its backend wait to the start of the next: the"
            + " time it waited (in the backend's poll), the time it worked (callbacks, timers, fd changes) and the"
            + " callbacks it ran")
    @StackTrace(false)
    @Throttle("100/s")
    static final class Iteration extends Event {
        @Label("Loop")
        @Description("The loop's number in this JVM, as in dev.evring.LoopStatistics")
        int loop;
        @Label("Iteration")
        long iteration;
        @Label("Wait Time")
        @Description("Time in the backend's poll: blocked, plus its system calls and reaping")
        @Timespan
        long waitTime;
        @Label("Wait Asked")
        @Description("The longest wait the loop allowed (0: do not block)")
        @Timespan
        long waitAsked;
        @Label("Work Time")
        @Description("Time from the end of the wait to the next wait: callbacks, timers, fd changes")
        @Timespan
        long workTime;
        @Label("Callbacks")
        int callbacks;
    }

    @Name("dev.evring.SlowCallback")
    @Label("Slow Callback")
    @Category({CATEGORY, "Loop"})
    @Description("A callback ran longer than the loop's threshold (option loop.slow_callback_ms), holding up every"
            + " other watcher and connection of its loop; committed when it returned")
    @StackTrace(false)
    static final class SlowCallback extends Event {
        @Label("Loop")
        int loop;
        @Label("Source")
        @Description("Whose callback it was: the watcher, the net handle (socket, listener, file), the execute task")
        String source;
        @Label("Callback Class")
        @Description("The class of the callback object (a lambda's names the class that wrote it)")
        Class<?> callbackClass;
        @Label("Callback Time")
        @Timespan
        long callbackTime;
        @Label("Threshold")
        @Timespan
        long threshold;
    }

    @Name("dev.evring.LoopStatistics")
    @Label("Loop Statistics")
    @Category({CATEGORY, "Loop"})
    @Description("Every open loop's counters since it opened (EventLoop.stats()): rates come from two of them")
    @StackTrace(false)
    @Period("1 s")
    static final class Statistics extends Event {
        @Label("Loop")
        int loop;
        @Label("Loop Thread")
        Thread loopThread;
        @Label("Backend")
        String backend;
        @Label("Iterations")
        long iterations;
        @Label("Wait Time")
        @Timespan
        long waitTime;
        @Label("Work Time")
        @Timespan
        long workTime;
        @Label("Callbacks")
        long callbacks;
        @Label("Tasks Executed")
        long tasksExecuted;
        @Label("Tasks Queued")
        long tasksQueued;
        @Label("Active")
        int active;
        @Label("Wakeups")
        long wakeups;
        @Label("Wakeup Calls")
        long wakeupCalls;
        @Label("Wakeup Messages")
        @Description("ring messages other loops posted to wake this one, instead of a wakeup call")
        long wakeupMessages;
        @Label("System Calls")
        @Description("io_uring_enter, epoll_wait and poll calls of the loop's thread")
        long systemCalls;
        @Label("io_uring_enter That Waited")
        long enterWait;
        @Label("io_uring_enter That Submitted")
        long enterSubmit;
        @Label("epoll_wait Calls")
        long epollWaits;
        @Label("poll Calls")
        long pollCalls;
        @Label("SQEs Submitted")
        long sqesSubmitted;
        @Label("CQEs Reaped")
        long cqesReaped;
        @Label("CQEs Of Net")
        long cqesHandlers;
        @Label("CQEs Stray")
        long cqesStray;
        @Label("CQEs Stale")
        long cqesStale;
        @Label("CQ Overflows")
        long cqOverflows;
        @Label("Ring Rebuilds")
        long ringRebuilds;
        @Label("Moves To Epoll")
        long movesToEpoll;
        @Label("Messages Sent")
        long messagesSent;
        @Label("Messages Received")
        long messagesReceived;
    }

    private static final FlightRecorderGate GATE = new FlightRecorderGate(() -> List.of(Iteration.class, SlowCallback.class));
    private static final int ITERATION = 0;
    private static final int SLOW_CALLBACK = 1;

    /** The open loops, for {@link Statistics}: added when a loop opens, removed when it closes. */
    private static final Set<EventLoop> OPEN = ConcurrentHashMap.newKeySet();

    static {
        // Statistics is a periodic event: JFR's own thread asks for it. Registered when JFR starts (at once if it
        // runs already), so nothing of it is loaded or called before. Loads a few JFR classes, once, here.
        try {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recorderInitialized(FlightRecorder recorder) {
                    FlightRecorder.addPeriodicEvent(Statistics.class, LoopEvents::emitStatistics);
                }
            });
        } catch (LinkageError | RuntimeException e) {
            // no JFR in this runtime: the loop works without its statistics event
        }
    }

    /** A loop opened (any thread may now read its stats). Loads this class and JFR's gate when the first loop opens. */
    static void opened(EventLoop loop) {
        OPEN.add(loop);
    }

    static void closed(EventLoop loop) {
        OPEN.remove(loop);
    }

    /** Whether a JFR recording has ever started: one volatile read. */
    static boolean recorderStarted() {
        return FlightRecorderGate.recorderStarted();
    }

    static boolean iterationEnabled() {
        return GATE.enabled(ITERATION);
    }

    static boolean slowCallbackEnabled() {
        return GATE.enabled(SLOW_CALLBACK);
    }

    /** An iteration event, begun (its duration starts now). Only when {@link #iterationEnabled()}. */
    static Iteration beginIteration() {
        Iteration e = new Iteration();
        e.begin();
        return e;
    }

    static void commitIteration(Iteration e, int loop, long iteration, long waitNanos, long waitAsked, long workNanos,
                                long callbacks) {
        e.end();
        if (!e.shouldCommit()) return; // the throttle, or a threshold a setting asked for
        e.loop = loop;
        e.iteration = iteration;
        e.waitTime = waitNanos;
        e.waitAsked = waitAsked;
        e.workTime = workNanos;
        e.callbacks = (int) Math.min(Integer.MAX_VALUE, callbacks);
        e.commit();
    }

    static void slowCallback(int loop, Object source, Object callback, long nanos, long threshold) {
        SlowCallback e = new SlowCallback();
        e.loop = loop;
        e.source = String.valueOf(source);
        e.callbackClass = callback == null ? null : callback.getClass();
        e.callbackTime = nanos;
        e.threshold = threshold;
        e.commit();
    }

    /** JFR's periodic thread: one {@link Statistics} per open loop. */
    private static void emitStatistics() {
        for (EventLoop loop : OPEN) {
            LoopStats s = loop.stats();
            Statistics e = new Statistics();
            e.loop = loop.metrics().id;
            e.loopThread = loop.metrics().owner;
            e.backend = s.backend().id();
            e.iterations = s.iterations();
            e.waitTime = s.waitNanos();
            e.workTime = s.workNanos();
            e.callbacks = s.callbacks();
            e.tasksExecuted = s.tasksExecuted();
            e.tasksQueued = s.tasksQueued();
            e.active = s.active();
            e.wakeups = s.wakeups();
            e.wakeupCalls = s.wakeupCalls();
            e.wakeupMessages = s.wakeupMessages();
            e.systemCalls = s.systemCalls();
            e.enterWait = s.enterWait();
            e.enterSubmit = s.enterSubmit();
            e.epollWaits = s.epollWaits();
            e.pollCalls = s.pollCalls();
            e.sqesSubmitted = s.sqesSubmitted();
            e.cqesReaped = s.cqesReaped();
            e.cqesHandlers = s.cqesHandlers();
            e.cqesStray = s.cqesStray();
            e.cqesStale = s.cqesStale();
            e.cqOverflows = s.cqOverflows();
            e.ringRebuilds = s.ringRebuilds();
            e.movesToEpoll = s.movesToEpoll();
            e.messagesSent = s.messagesSent();
            e.messagesReceived = s.messagesReceived();
            e.commit();
        }
    }
}
