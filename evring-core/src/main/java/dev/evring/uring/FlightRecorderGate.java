package dev.evring.uring;

import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;

import java.util.List;
import java.util.function.Supplier;

/**
 * Whether one of a layer's JDK Flight Recorder events would be recorded now, at the cost of one volatile read while
 * JFR has never run in this JVM ({@link FlightRecorder#isInitialized()}). The event classes are neither loaded nor
 * registered before JFR runs: the gate is given a supplier of them, called once, the first time a gate is asked
 * after JFR started. A JVM that cannot load them then (no JFR support, or a process out of fds, so the class files
 * cannot be read) keeps the events off rather than let a {@link LinkageError} out of a loop's hot path.
 *
 * <p>Each layer has one gate for its events ({@code BackendEvents}, the loop's {@code LoopEvents}, net's
 * {@code NetEvents}); the layer makes its gate's class and {@link FlightRecorder} load when a loop (or a Net) opens,
 * so that no hot path needs a class file later. Any thread.
 *
 * <p>It depends on nothing of evring and lives here, in the lowest layer that all three of those may name (see the
 * dependency rule in the README's Layout section): in {@code backend} the net layer could not use it.
 */
public final class FlightRecorderGate {
    private static final EventType[] NONE = {};

    private final Supplier<List<Class<? extends Event>>> classes;
    /** The event types, null until JFR ran and a gate was asked; {@link #NONE} if they could not be loaded. */
    private volatile EventType[] types;

    /** {@code classes} lists the layer's event classes in the order of the indices {@link #enabled} is asked for. */
    public FlightRecorderGate(Supplier<List<Class<? extends Event>>> classes) {
        this.classes = classes;
    }

    /** Whether any JFR recording has ever started in this JVM: one volatile read. */
    public static boolean recorderStarted() {
        return FlightRecorder.isInitialized();
    }

    /**
     * Whether the event at {@code index} would be recorded now: false at one volatile read while JFR has never run;
     * once it has, the event type's enabled flag (no allocation).
     */
    public boolean enabled(int index) {
        if (!FlightRecorder.isInitialized()) return false;
        EventType[] t = types;
        if (t == null) t = load();
        return index < t.length && t[index].isEnabled();
    }

    private synchronized EventType[] load() {
        EventType[] t = types;
        if (t != null) return t;
        try {
            List<Class<? extends Event>> cs = classes.get();
            t = new EventType[cs.size()];
            for (int i = 0; i < t.length; i++) {
                FlightRecorder.register(cs.get(i));
                t[i] = EventType.getEventType(cs.get(i));
            }
        } catch (LinkageError | RuntimeException e) { // ExceptionInInitializerError, NoClassDefFoundError, IllegalState
            t = NONE;
        }
        types = t;
        return t;
    }
}
