package dev.evring;

import dev.evring.backend.BackendHost;
import dev.evring.backend.BackendOptions;
import dev.evring.backend.BackendUnavailableException;
import dev.evring.backend.EpollBackend;
import dev.evring.backend.IoUringBackend;
import dev.evring.backend.LoopBackend;
import dev.evring.backend.PollBackend;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Chooses and creates a loop's backend: the builder's explicit choice, else {@code EVRING_BACKEND}, else the best that
 * opens here. A backend that refuses to open (io_uring disabled by sysctl or seccomp, an old kernel) is skipped with
 * its reason recorded, never failing the program, unless the builder asked for it by name.
 *
 * <p>Names: {@link Backend} is the public name of a multiplexer (what users choose and see); a
 * {@link LoopBackend} is its implementation behind libev's backend contract, which the loop drives; a
 * {@link BackendHost} is the loop's side of that contract, handed to the backend. This class turns the first into the
 * second.
 *
 * <p>A move away from the first choice is logged once per process, at WARNING on the {@code dev.evring} logger: where
 * a resource runs short (RLIMIT_MEMLOCK, a container's seccomp profile applied to some threads), some loops of a
 * process may come up on io_uring and others on epoll, and that should not go unnoticed.
 */
final class BackendSelector {
    private BackendSelector() {}

    static final String ENV = "EVRING_BACKEND";
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    /** Raised by a backend factory that cannot work here; the message says why in a user's words. */
    static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    /** What was chosen ({@code kind} names it, {@code backend} is the opened implementation) and why the others before it were not. */
    record Selection(Backend kind, LoopBackend backend, List<String> refusals) {}

    static Selection select(Backend explicit, BackendOptions options, BackendHost host, Arena arena) {
        options.validate(); // every backend option, whatever backend the loop ends up on
        List<String> refusals = new ArrayList<>();
        Backend requested = explicit;
        boolean strict = explicit != null;
        if (requested == null) {
            String env = System.getenv(ENV);
            if (env != null && !env.isBlank()) requested = Backend.parse(env);
        }
        if (requested != null) {
            try {
                return new Selection(requested, create(requested, options, host, arena), refusals); // the first choice
            } catch (Unavailable e) {
                if (strict) {
                    throw new IllegalStateException("backend " + requested.id() + " is unavailable: " + e.getMessage(), e);
                }
                refusals.add(requested.id() + " (from " + ENV + ") unavailable: " + e.getMessage());
            }
        }
        for (Backend b : Backend.values()) {
            if (b == requested) continue;
            try {
                Selection s = new Selection(b, create(b, options, host, arena), refusals);
                if (!refusals.isEmpty()) logFallbackOnce(s);
                return s;
            } catch (Unavailable e) {
                refusals.add(b.id() + " unavailable: " + e.getMessage());
            }
        }
        throw new IllegalStateException("no backend available: " + String.join("; ", refusals));
    }

    private static void logFallbackOnce(Selection s) {
        if (FALLBACK_LOGGED.get() || !FALLBACK_LOGGED.compareAndSet(false, true)) return;
        System.getLogger("dev.evring").log(System.Logger.Level.WARNING, "an event loop opened on " + s.kind().id()
                + " instead of its first choice: " + String.join("; ", s.refusals()) + ". Other loops of this process may"
                + " still open on the first choice; this is logged once per process (loop.backendRefusals() says why"
                + " for each loop)");
    }

    static LoopBackend create(Backend b, BackendOptions options, BackendHost host, Arena arena) {
        try {
            return switch (b) {
                case IO_URING -> new IoUringBackend(host, arena, options);
                case EPOLL -> new EpollBackend(host, arena);
                case POLL -> new PollBackend(host, arena);
            };
        } catch (BackendUnavailableException e) {
            throw new Unavailable(e.getMessage(), e);
        } catch (ErrnoException e) {
            throw new Unavailable(e.getMessage(), e);
        }
    }

    static Backend.Availability probe(Backend b) {
        try (EventLoop loop = EventLoop.builder().backend(b).open()) {
            return new Backend.Availability(b, loop.backend() == b, "");
        } catch (IllegalStateException e) {
            Throwable cause = e.getCause() instanceof Unavailable u ? u : e;
            return new Backend.Availability(b, false, cause.getMessage());
        }
    }
}
