package dev.evring.net;

/**
 * Told when a stream socket's writability changes ({@link StreamSocket#onWritabilityChanged}): {@code writable} is
 * false once the bytes queued for sending rose above the socket's high-water mark, true once they fell to its
 * low-water mark. Called from the loop, never inside a {@code send}; only real changes are reported (a socket that
 * went above and below its marks within one pass of callbacks is not told). It may throw: the exception goes to the
 * loop's exception handler with the socket as its source.
 */
@FunctionalInterface
public interface WritabilityCallback {
    void onWritabilityChanged(StreamSocket socket, boolean writable) throws Exception;
}
