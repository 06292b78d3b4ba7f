package dev.evring;

import dev.evring.linux.Libc;
import dev.evring.linux.Unistd;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.ZoneId;
import java.time.ZonedDateTime;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Where a loop's failures go: what a callback (a watcher's, a completion callback of the layers above, a task given to
 * {@code execute}) threw is handed to the loop's {@link EventLoop.ExceptionHandler} with its source, and the loop goes
 * on. The one owner of two policies:
 *
 * <p><b>Which errors the loop survives.</b> Every exception and every {@link Error} a callback throws is reported and the
 * loop carries on, {@link StackOverflowError} included (the stack has unwound by the time the loop sees it; the callback
 * that overflowed did not finish, the others are untouched). The other {@link VirtualMachineError}s,
 * {@link OutOfMemoryError}, {@link InternalError} and {@link UnknownError}, say the JVM itself may no longer work: they
 * propagate out of {@code run()} unreported (reporting could need the memory that is missing). The loop stays
 * consistent: the callback that threw is no longer pending, every other pending callback still is, and the next
 * {@code run()} goes on with them.
 *
 * <p><b>A handler that fails.</b> The report must not need what the failure may have exhausted. A handler that throws
 * is reported through the {@code dev.evring} {@link System.Logger}; if that throws too (or the default handler, which is
 * that logger, threw), a last-resort line goes to fd 2 with one {@code write(2)} from memory allocated in advance, with
 * no class to load and nothing to open. What the JDK's loggers load lazily (their backend, the time-zone rules, which
 * live in a file) is loaded when the first loop opens, so the default handler works at EMFILE too.
 */
final class ExceptionReporter {
    private static final System.Logger LOG = System.getLogger("dev.evring");
    private static final int LINE_BYTES = 512;

    /** The default handler: {@code dev.evring} at ERROR. */
    static final EventLoop.ExceptionHandler LOG_HANDLER = (source, error) ->
            LOG.log(System.Logger.Level.ERROR, "callback of " + source + " threw; the loop carries on", error);

    static {
        preloadLogging();
    }

    private final EventLoop.ExceptionHandler handler;
    /** The last resort's line, native and allocated now: writing it allocates nothing and loads nothing. */
    private final MemorySegment line = Arena.ofAuto().allocate(LINE_BYTES);
    private final MemorySegment callState = Libc.allocateCallState(Arena.ofAuto());

    ExceptionReporter(EventLoop.ExceptionHandler handler) {
        this.handler = handler;
        Unistd.write(callState, 2, line, 0); // links the downcall now, so the last resort needs nothing later
    }

    /** Whether the loop lets {@code t} propagate instead of reporting it (see the class comment). */
    static boolean escapes(Throwable t) {
        return t instanceof VirtualMachineError && !(t instanceof StackOverflowError);
    }

    /**
     * Hands {@code error}, thrown by {@code source}, to the handler. Never throws, except {@code error} itself when it
     * {@link #escapes}, or an error of that kind thrown while reporting.
     */
    void report(Object source, Throwable error) {
        if (escapes(error)) throw (Error) error;
        try {
            handler.onException(source, error);
            return;
        } catch (Throwable handlerFailure) {
            if (escapes(handlerFailure)) throw (Error) handlerFailure;
            if (handler != LOG_HANDLER && logHandlerFailure(source, error, handlerFailure)) return;
            lastResort(error, handlerFailure);
        }
    }

    private static boolean logHandlerFailure(Object source, Throwable error, Throwable handlerFailure) {
        try {
            handlerFailure.addSuppressed(error);
            LOG.log(System.Logger.Level.ERROR, "the exception handler threw while handling an exception of " + source, handlerFailure);
            return true;
        } catch (Throwable logFailure) {
            if (escapes(logFailure)) throw (Error) logFailure;
            return false;
        }
    }

    /**
     * One line to fd 2, built without allocating: "evring: a callback threw X; reporting it failed with Y; the loop
     * carries on". Class names only (a message is the thrower's code, which may fail again).
     */
    private void lastResort(Throwable error, Throwable reportFailure) {
        int n = put(0, "evring: a callback threw ");
        n = put(n, error.getClass().getName());
        n = put(n, "; reporting it failed with ");
        n = put(n, reportFailure.getClass().getName());
        n = put(n, "; the loop carries on\n");
        Unistd.write(callState, 2, line, n); // nothing to do if even this fails
    }

    /** Copies {@code s} at {@code at} as ASCII ('?' for the rest), keeping room for the final newline. */
    private int put(int at, String s) {
        int n = at;
        for (int i = 0, len = s.length(); i < len && n < LINE_BYTES - 1; i++) {
            char c = s.charAt(i);
            line.set(JAVA_BYTE, n++, c < 0x80 ? (byte) c : (byte) '?');
        }
        return n;
    }

    /**
     * Makes the JDK's loggers load now what they would load on their first record: their backend
     * ({@code java.util.logging} where present, read from its configuration file), the time-zone rules the record's
     * time is formatted with ({@code tzdb.dat}, a file: at EMFILE its first use fails with NoClassDefFoundError), the
     * formatting of dates and stack traces. A logger configured otherwise may still need more; the last resort covers
     * that.
     */
    private static void preloadLogging() {
        try {
            LOG.isLoggable(System.Logger.Level.ERROR);
            ZonedDateTime now = ZonedDateTime.now(ZoneId.systemDefault());
            String.format("%1$tb %1$td, %1$tY %1$tl:%1$tM:%1$tS %1$Tp %2$s%n%4$s: %5$s%6$s%n", now, "", "", "", "", "");
            new Throwable().printStackTrace(new PrintWriter(new StringWriter()));
        } catch (RuntimeException | LinkageError e) {
            // nothing preloaded: the last resort still works
        }
    }
}
