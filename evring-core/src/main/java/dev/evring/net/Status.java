package dev.evring.net;

import dev.evring.ErrnoException;
import dev.evring.linux.Errno;

/**
 * The status a completion callback receives, in the kernel's convention (io_uring's {@code cqe->res}, libuv's
 * {@code status}): zero or a positive count on success, {@code -errno} on failure. No object is made for a failure,
 * so error paths allocate nothing either; {@link #exception} makes one when the caller wants to throw.
 */
public final class Status {
    private Status() {}

    /** The operation was cancelled: by {@link Net#cancel}, a {@code stop...()} call, or the close of its socket. */
    public static final int ECANCELED = -Errno.ECANCELED;
    /** The operation's timeout expired before it completed. */
    public static final int ETIMEDOUT = -Errno.ETIMEDOUT;
    /** Nobody listens at the address connected to. */
    public static final int ECONNREFUSED = -Errno.ECONNREFUSED;
    /** The peer reset the connection. */
    public static final int ECONNRESET = -Errno.ECONNRESET;
    /** Sending on a connection the peer has closed. */
    public static final int EPIPE = -Errno.EPIPE;
    /** No buffer was free (datagram receives and file reads wait for one; stream sends never report it). */
    public static final int ENOBUFS = -Errno.ENOBUFS;
    /** What an accumulating receive keeps for an incomplete message outgrew the Net's accumulation limit. */
    public static final int EMSGSIZE = -Errno.EMSGSIZE;
    /** The process has no free fd (accepting pauses and resumes by itself: {@link #isAcceptPause}). */
    public static final int EMFILE = -Errno.EMFILE;
    /** The system has no free file (as {@link #EMFILE}). */
    public static final int ENFILE = -Errno.ENFILE;
    /** No such file or directory (for example a Unix socket path nobody bound). */
    public static final int ENOENT = -Errno.ENOENT;
    /** A readiness-style call found nothing to do now: no room to send ({@link UdpSocket#trySend}). */
    public static final int EAGAIN = -Errno.EAGAIN;

    /**
     * Whether an accept callback's {@code status} (with a null socket) says that accepting paused and resumes by
     * itself after the backoff, rather than that it ended: the process or the system is short of fds ({@link #EMFILE},
     * {@link #ENFILE}) or memory ({@link #ENOBUFS}, ENOMEM), or a security module refused (EPERM). Linux returns each
     * before it takes the connection off the backlog, so the connection waits there; they may last, so retrying at
     * once would spin on a listener that stays readable, and they may pass, so ending the accept would leave a server
     * deaf for good. Any other failure ends the accept.
     */
    public static boolean isAcceptPause(int status) {
        return status == -Errno.EMFILE || status == -Errno.ENFILE || status == -Errno.ENOBUFS || status == -Errno.ENOMEM
                || status == -Errno.EPERM;
    }

    /** Whether {@code status} reports a failure. */
    public static boolean isError(int status) {
        return status < 0;
    }

    /** The errno name of a failure status ({@code "ECONNRESET"}), or {@code "OK"} for a success. */
    public static String name(int status) {
        return status >= 0 ? "OK" : Errno.name(-status);
    }

    /** A readable rendering: {@code "ECONNRESET (Connection reset by peer)"}, or the count for a success. */
    public static String describe(int status) {
        return status >= 0 ? Integer.toString(status) : Errno.name(-status) + " (" + Errno.description(-status) + ")";
    }

    /** An exception for a failure status, naming the operation; for callers that prefer to throw. */
    public static ErrnoException exception(String operation, int status) {
        if (status >= 0) throw new IllegalArgumentException("status " + status + " is not a failure");
        return Errno.exception(operation, -status);
    }
}
