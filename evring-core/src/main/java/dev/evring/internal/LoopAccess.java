package dev.evring.internal;

import dev.evring.EventLoop;
import dev.evring.backend.BackendOptions;
import dev.evring.backend.LoopBackend;
import dev.evring.uring.RingOps;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The loop's internals, for evring's own packages above it (net, ...) and nobody else: this package is not exported.
 * {@link EventLoop} installs the implementation when its class initialises (the JDK's SharedSecrets pattern), so
 * the public class stays free of accessors meant for the library itself.
 *
 * <p>Every method requires the caller to be on the loop's thread; each checks it as the public API does.
 */
public interface LoopAccess {
    /** The backend the loop runs on. Prefer {@link #ring}: the layers above need nothing else of it. */
    LoopBackend backend(EventLoop loop);

    /**
     * The one way in to the loop's io_uring for the layers above it: its ring operations while the loop runs on
     * io_uring and the ring exists, else null (the loop runs on epoll or poll, or its io_uring moved to epoll; ask again
     * after {@code CompletionHandler.onRingReset}, since the answer can change then, never back to non-null).
     */
    RingOps ring(EventLoop loop);

    /**
     * The value of option {@code key} the loop was opened with: the builder's ({@code EventLoop.Builder.option}), else
     * the system property {@code evring.<key>}, trimmed; null when neither gives one. The layer that owns the key
     * parses and validates it.
     */
    String option(EventLoop loop, String key);

    /** The loop's errno segment, for downcalls made on its thread. */
    MemorySegment callState(EventLoop loop);

    /** The loop's confined arena: native memory that lives until the loop closes. */
    Arena arena(EventLoop loop);

    /** The options the loop was opened with (builder options over {@code evring.*} system properties). */
    BackendOptions options(EventLoop loop);

    /** Hands what a callback threw to the loop's exception handler ({@code source} is shown in the report). */
    void reportException(EventLoop loop, Object source, Throwable error);

    /**
     * The loop's watch on slow callbacks, for callbacks run inside one of the loop's (net's completions): see
     * {@link CallbackTimer}. The same object for the loop's life; keep it.
     */
    CallbackTimer callbackTimer(EventLoop loop);

    static LoopAccess get() {
        LoopAccess a = Holder.access;
        if (a == null) {
            // initialising EventLoop installs it
            try {
                Class.forName(EventLoop.class.getName(), true, EventLoop.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = Holder.access;
        }
        return a;
    }

    /** Called once, by EventLoop's static initialiser. */
    static void install(LoopAccess access) {
        if (Holder.access != null) throw new IllegalStateException("LoopAccess already installed");
        Holder.access = access;
    }

    final class Holder {
        private Holder() {}

        private static volatile LoopAccess access;
    }
}
