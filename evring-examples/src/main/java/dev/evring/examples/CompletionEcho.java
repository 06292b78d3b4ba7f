package dev.evring.examples;

import dev.evring.net.StreamListener;

/**
 * An echo server in the completion style: the loop tells you when an operation is done. On io_uring one multishot
 * accept serves every connection and one multishot receive per connection delivers every chunk into a buffer the
 * kernel picked; each chunk goes straight back out, in the buffer it arrived in (no copy), and that buffer returns to
 * the pool once sent. On epoll and poll the same code runs on readiness underneath.
 */
public final class CompletionEcho {
    private CompletionEcho() {}

    /** Echoes every connection {@code listener} accepts, until the loop closes. */
    public static void serve(StreamListener listener) {
        listener.accept((l, socket, status) -> {
            if (socket == null) return;                // EMFILE pauses and resumes by itself; ECANCELED at shutdown
            socket.recv((s, data, n) -> {
                if (n > 0) s.send(data, null);         // hand the received buffer back out: it is released once sent
                else s.close();                        // 0: the peer closed; < 0: an error, or ECANCELED at shutdown
            });
        });
    }
}
