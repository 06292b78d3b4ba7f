package dev.evring.net.blocking;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.SocketException;

/**
 * A {@link java.net.ServerSocket} whose connections run on evring loops: made by {@link BlockingSockets} (its
 * {@link BlockingSockets#serverSocketFactory() ServerSocketFactory}, {@link BlockingSockets#serverSocket(int)}).
 * {@link #accept()} blocks until a connection is there and returns an {@link EvringSocket}.
 *
 * <p>Each loop of the {@link BlockingSockets} listens (one socket per loop, SO_REUSEPORT when there are several) and
 * accepts continuously (on io_uring one multishot accept) into a queue; an accepted connection's receive starts at
 * once, so its first bytes are waiting when its thread first reads. {@code accept()} with a connection queued is a lock
 * and a poll, no system call and no hand-over; with none it parks until a loop unparks it. SO_TIMEOUT bounds the wait
 * ({@link java.net.SocketTimeoutException} "Accept timed out"); {@code close()} from another thread wakes it with
 * {@link SocketException} "Socket closed"; an interrupted virtual thread closes the server socket ("Closed by
 * interrupt"), as the JDK's does.
 */
public final class EvringServerSocket extends ServerSocket {
    private final BlockingSockets sockets;

    EvringServerSocket(BlockingSockets sockets) {
        super(new ListenerImpl(sockets));
        this.sockets = sockets;
    }

    @Override
    public EvringSocket accept() throws IOException {
        if (isClosed()) throw new SocketException("Socket is closed");
        if (!isBound()) throw new SocketException("Socket is not bound yet");
        EvringSocket s = new EvringSocket(new ConnectionImpl(sockets));
        implAccept(s);
        return s;
    }
}
