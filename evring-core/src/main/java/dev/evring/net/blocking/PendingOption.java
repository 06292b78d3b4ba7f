package dev.evring.net.blocking;

import dev.evring.net.StreamSocket;

import java.net.SocketOption;

/** A socket option set before the socket exists (a client socket before its connect), applied when it is opened. */
record PendingOption(SocketOption<?> option, Object value) {
    @SuppressWarnings("unchecked")
    void applyTo(StreamSocket s) {
        s.setOption((SocketOption<Object>) option, value);
    }
}
