package dev.evring;

import java.util.Locale;

/**
 * The I/O multiplexers a loop can run on, in the order {@link EventLoop#open()} tries them.
 *
 * <p>The choice can be forced through {@link EventLoop.Builder#backend(Backend)} or the environment variable
 * {@code EVRING_BACKEND} (values {@code io_uring}, {@code epoll}, {@code poll}), as libev's {@code LIBEV_FLAGS}.
 */
public enum Backend {
    /** Linux io_uring: readiness through POLL_ADD on the ring, and completion-based I/O. */
    IO_URING("io_uring"),
    /** Linux epoll, level-triggered. */
    EPOLL("epoll"),
    /** poll(2): works on any fd that can be polled; O(n) per wait. */
    POLL("poll");

    private final String id;

    Backend(String id) {
        this.id = id;
    }

    /** The name used by {@code EVRING_BACKEND} and {@code ./evring info}. */
    public String id() {
        return id;
    }

    /**
     * Parses a backend name as {@code EVRING_BACKEND} spells it: {@code io_uring} (also {@code iouring},
     * {@code io-uring}, {@code uring}), {@code epoll}, {@code poll}; case-insensitive.
     *
     * @throws IllegalArgumentException naming the value when it is none of these
     */
    public static Backend parse(String name) {
        if (name == null) throw new IllegalArgumentException("backend name is null");
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "io_uring", "iouring", "io-uring", "uring" -> IO_URING;
            case "epoll" -> EPOLL;
            case "poll" -> POLL;
            default -> throw new IllegalArgumentException("unknown backend \"" + name + "\": expected io_uring, epoll or poll");
        };
    }

    /**
     * Whether a loop could use this backend here, and if not, why, in words a user can act on. Probes by opening and
     * closing the backend (a few system calls); must not be called on a hot path.
     */
    public Availability availability() {
        return BackendSelector.probe(this);
    }

    /** The result of {@link #availability()}. {@code reason} is empty when available. */
    public record Availability(Backend backend, boolean available, String reason) {}

    @Override
    public String toString() {
        return id;
    }
}
