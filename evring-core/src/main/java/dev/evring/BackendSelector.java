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

/**
 * Chooses and creates a loop's backend: the builder's explicit choice, else {@code EVRING_BACKEND}, else the best that
 * opens here. A backend that refuses to open (io_uring disabled by sysctl or seccomp, an old kernel) is skipped with
 * its reason recorded, never failing the program, unless the builder asked for it by name.
 */
final class BackendSelector {
    private BackendSelector() {}

    static final String ENV = "EVRING_BACKEND";

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
        List<String> refusals = new ArrayList<>();
        Backend requested = explicit;
        boolean strict = explicit != null;
        if (requested == null) {
            String env = System.getenv(ENV);
            if (env != null && !env.isBlank()) requested = Backend.parse(env);
        }
        if (requested != null) {
            try {
                return new Selection(requested, create(requested, options, host, arena), refusals);
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
                return new Selection(b, create(b, options, host, arena), refusals);
            } catch (Unavailable e) {
                refusals.add(b.id() + " unavailable: " + e.getMessage());
            }
        }
        throw new IllegalStateException("no backend available: " + String.join("; ", refusals));
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
