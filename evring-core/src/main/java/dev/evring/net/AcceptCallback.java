package dev.evring.net;

/**
 * Called for each connection a listener accepts: {@code socket} is the new connection (yours to use and close) and
 * {@code status} is 0; or {@code socket} is null and {@code status} is {@code -errno}. An error ends the accepting,
 * except a shortage ({@link Status#isAcceptPause}: out of fds, {@link Status#EMFILE}/{@link Status#ENFILE}, or
 * memory, or EPERM): accepting pauses and resumes by itself (the callback is told so it can shed load; see
 * {@link StreamListener#accept}). {@link Status#ECANCELED} ends it after {@link StreamListener#stopAccept()} or a
 * close.
 */
@FunctionalInterface
public interface AcceptCallback {
    void onAccept(StreamListener listener, StreamSocket socket, int status) throws Exception;
}
