package dev.evring.net;

/**
 * Called by an accumulating receive ({@link StreamSocket#recvAccumulated}) with every byte received and not consumed
 * yet, in place ({@code in}), and returns how many of them, from the start, it consumed: the rest is kept, moved to
 * the front, and shown again, with what arrives next, in the next call. So a parser looks only at whole messages and
 * never copies a chunk first; a message split across chunks, anywhere, is seen whole once its last byte arrived.
 *
 * <p>{@code status > 0}: that many new bytes arrived (they end {@code in}). {@code status == 0}: end of stream, the
 * peer closed its side; {@code in} holds what was left unconsumed (often nothing), receiving is over.
 * {@code status < 0}: {@code -errno} ({@link Status#ECONNRESET}, {@link Status#ECANCELED} after
 * {@link StreamSocket#stopRecv()}, {@link Status#ETIMEDOUT} for an idle timeout, {@link Status#EMSGSIZE} when what
 * was kept outgrew the Net's accumulation limit), receiving is over. At the end the return value is ignored.
 *
 * <p>{@code in} is valid only during the call (every access afterwards throws {@link IllegalStateException}). A
 * callback that throws, or returns a count outside {@code [0, in.length()]} (reported as an
 * {@link IllegalStateException}), consumed nothing; the exception goes to the loop's exception handler.
 */
@FunctionalInterface
public interface InboundCallback {
    int onInbound(StreamSocket socket, Inbound in, int status) throws Exception;
}
