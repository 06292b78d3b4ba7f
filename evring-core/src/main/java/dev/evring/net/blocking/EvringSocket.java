package dev.evring.net.blocking;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * A {@link java.net.Socket} whose I/O runs on an evring loop: made by {@link BlockingSockets} (its
 * {@link BlockingSockets#socketFactory() SocketFactory}, {@link BlockingSockets#socket()}) or by an
 * {@link EvringServerSocket}'s accept. It is a {@code Socket} in every respect (its
 * {@link java.net.SocketImpl} is evring's; {@code Socket} keeps the state and wraps the streams, so the exceptions
 * and the handling of an interrupted virtual thread are the JDK's own), and adds reads and writes of
 * {@link ByteBuffer}s, without a stream in between.
 *
 * <p>Costs (see {@link BlockingSockets} for the whole picture): a read that finds received bytes waiting is a lock and
 * a copy, with no system call and no hand-over to the loop; a read that finds none parks until the loop unparks it. A
 * write copies into the connection's staging array and returns: the first write since the loop last flushed the
 * connection hands the loop one task (an {@code execute}; one wakeup system call only if the loop sleeps). A write
 * waits only while the connection is above its high-water mark.
 *
 * <p>Thread contract: as {@code Socket}: one reader and one writer may work at once, from any threads (virtual or
 * platform), and any thread may close it; never from the thread of the socket's own loop (the call throws
 * {@link IllegalStateException} rather than wait for itself).
 */
public final class EvringSocket extends Socket {
    private final ConnectionImpl impl;

    EvringSocket(ConnectionImpl impl) throws SocketException {
        super(impl);
        this.impl = impl;
    }

    /**
     * Reads into the remaining space of {@code dst} (heap or direct), as {@code getInputStream().read}: returns the
     * bytes read (its position moves by them), -1 at end of stream, 0 when it has no space.
     *
     * @throws SocketTimeoutException after SO_TIMEOUT without data (the socket stays usable)
     * @throws SocketException "Connection reset", "Socket closed", "Closed by interrupt" (an interrupted virtual
     *                         thread closes the socket, as with the JDK's sockets)
     */
    public int read(ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) throw new IllegalArgumentException("read-only buffer");
        checkReadable();
        try {
            return impl.read(dst);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (InterruptedIOException e) {
            throw closedByInterrupt(e);
        }
    }

    /**
     * Writes the remaining bytes of {@code src} (heap or direct; its position moves to its limit), as
     * {@code getOutputStream().write}: returns once they are queued for the loop.
     *
     * @throws SocketException "Connection reset", "Broken pipe", "Socket closed", "Closed by interrupt"
     */
    public void write(ByteBuffer src) throws IOException {
        checkWritable();
        try {
            impl.write(src);
        } catch (InterruptedIOException e) {
            throw closedByInterrupt(e);
        }
    }

    private void checkReadable() throws SocketException {
        if (isClosed()) throw new SocketException("Socket is closed");
        if (!isConnected()) throw new SocketException("Socket is not connected");
        if (isInputShutdown()) throw new SocketException("Socket input is shutdown");
    }

    private void checkWritable() throws SocketException {
        if (isClosed()) throw new SocketException("Socket is closed");
        if (!isConnected()) throw new SocketException("Socket is not connected");
        if (isOutputShutdown()) throw new SocketException("Socket output is shutdown");
    }

    /** As the JDK's socket streams: an interrupted virtual thread closes the socket. */
    private IOException closedByInterrupt(InterruptedIOException e) throws IOException {
        Thread t = Thread.currentThread();
        if (t.isVirtual() && t.isInterrupted()) {
            close();
            return new SocketException("Closed by interrupt");
        }
        return e;
    }
}
