package dev.evring.backend;

/**
 * A backend cannot work here: the kernel lacks it, a sysctl or seccomp filter forbids it, or an option asked for a
 * path the kernel does not offer. The message says why in words a user can act on; the loop then tries the next
 * backend (or, if this one was forced, fails with that message).
 */
public final class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String reason) {
        super(reason);
    }

    public BackendUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
