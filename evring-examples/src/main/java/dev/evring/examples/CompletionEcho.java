package dev.evring.examples;

import dev.evring.net.StreamListener;
import dev.evring.net.StreamSocket;

import java.net.StandardSocketOptions;
import java.time.Duration;

/**
 * An echo server in the completion style: the loop tells you when an operation is done. On io_uring one multishot
 * accept serves every connection and the receives of each connection deliver every chunk into a buffer the
 * kernel picked; each chunk goes straight back out, in the buffer it arrived in (no copy), and that buffer returns to
 * the pool once sent. At the end of the stream (or an error) the connection closes gracefully: the echoes still
 * queued go out first (a plain close() would cancel them and lose the tail of what the client sent). TCP_NODELAY is
 * on: with Nagle's algorithm the tail of a large echo waits for the client's delayed ACK (the bulk benchmark's 64 KiB
 * echo ran at a fraction of its speed). On epoll and poll the same code runs on readiness underneath.
 */
public final class CompletionEcho {
    private CompletionEcho() {}

    /** Echoes every connection {@code listener} accepts, until the loop closes. */
    public static void serve(StreamListener listener) {
        listener.accept((l, socket, status) -> {
            if (socket == null) return;                            // EMFILE pauses by itself; ECANCELED at shutdown
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true); // echoes leave at once, not after an ACK
            socket.recv((s, data, n) -> {
                if (n > 0) s.send(data, null);                     // the received buffer goes straight back out
                else s.closeGracefully(Duration.ofSeconds(5), null); // end of stream: what is queued goes out, then close
            });
        });
    }

    /** Echoes one connection (a loop group's listener hands it over on its own loop's thread), until it ends. */
    public static void serve(StreamSocket socket) {
        socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
        socket.recv((s, data, n) -> {
            if (n > 0) s.send(data, null);
            else s.closeGracefully(Duration.ofSeconds(5), null);
        });
    }
}
