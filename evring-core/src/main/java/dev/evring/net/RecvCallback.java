package dev.evring.net;

/**
 * Called for each chunk a stream socket receives. {@code status > 0}: {@code data} holds that many bytes and is yours
 * until you {@link Buffer#release()} it or hand it to a send. {@code status == 0}: end of stream, the peer closed its
 * side; {@code data} is null and receiving is over. {@code status < 0}: {@code -errno} (for example
 * {@link Status#ECONNRESET}, {@link Status#ECANCELED} after {@link StreamSocket#stopRecv()}, {@link Status#ETIMEDOUT}
 * when an idle timeout expired); {@code data} is null and receiving is over.
 */
@FunctionalInterface
public interface RecvCallback {
    void onRecv(StreamSocket socket, Buffer data, int status) throws Exception;
}
