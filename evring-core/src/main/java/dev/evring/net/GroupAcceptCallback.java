package dev.evring.net;

/**
 * What a {@link GroupListener} calls for each connection: on the thread of the loop the connection belongs to, with a
 * socket of that loop's {@link Net} (so everything done with it in the callback runs on its own loop).
 */
@FunctionalInterface
public interface GroupAcceptCallback {
    /**
     * A connection, or a failure of accepting.
     *
     * @param socket the new connection, yours (serve it, or close it); null when {@code status} is a failure
     * @param status 0, or {@code -errno}: a shortage, {@link Status#isAcceptPause} ({@link Status#EMFILE},
     *               {@code ENFILE}, ...: accepting pauses and resumes by itself, the connection waits in the backlog),
     *               {@link Status#ECANCELED} (the listener closed), or an error that ended that loop's accepting
     */
    void onAccept(StreamSocket socket, int status) throws Exception;
}
