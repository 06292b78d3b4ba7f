package dev.evring;

/**
 * A system call failed. Carries the errno value, its symbolic name ({@code "EBADF"}) and the call that failed
 * ({@code "epoll_ctl(ADD, fd=7)"}).
 *
 * <p>Unchecked, so it travels through callbacks and lambdas; code that wants {@link java.io.IOException} can wrap it.
 */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String errnoName;
    private final String call;

    public ErrnoException(String call, int errno, String errnoName, String description) {
        super(call + " failed: " + errnoName + " (" + errno + "): " + description);
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /** The positive errno value, as in {@code errno.h}. */
    public int errno() {
        return errno;
    }

    /** The symbolic name of {@link #errno()}, such as {@code "EAGAIN"}. */
    public String errnoName() {
        return errnoName;
    }

    /** The call that failed, with the arguments that help tell one failure from another. */
    public String call() {
        return call;
    }
}
