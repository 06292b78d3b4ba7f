package dev.evring.net;

/**
 * The end of an operation that carries no data back: connect, send, sendTo, shutdown, file write, close.
 * {@code status} is {@code >= 0} on success (for sends and writes: the bytes written, all of them) or {@code -errno}
 * (see {@link Status}). Runs on the loop thread, never inside the call that started the operation. It may throw: the
 * exception goes to the loop's exception handler and the loop carries on.
 *
 * @param <H> the socket or file the operation ran on
 */
@FunctionalInterface
public interface CompletionCallback<H extends IoHandle> {
    void onComplete(H handle, int status) throws Exception;
}
