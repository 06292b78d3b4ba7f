package dev.evring.examples;

import javax.net.ServerSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A virtual-thread server of the tests: on the sockets named, a loopback port, accepting on a thread of its own. */
final class ServingOnLoopback<S extends VirtualThreadServer> implements AutoCloseable {
    /** A server's constructor. */
    interface Maker<S> {
        S make(ServerSocketFactory sockets, InetSocketAddress address) throws IOException;
    }

    final S server;
    private final Thread acceptor;

    private ServingOnLoopback(S server) {
        this.server = server;
        this.acceptor = Thread.ofVirtual().start(server::serve);
    }

    static <S extends VirtualThreadServer> ServingOnLoopback<S> start(String sockets, Maker<S> maker) throws IOException {
        return new ServingOnLoopback<>(maker.make(SocketFactories.get(sockets), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
    }

    /** Closes the listener; {@code serve()} must return. */
    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for serve() to return", e);
        }
        assertTrue(!acceptor.isAlive(), "serve() returns once the listener is closed");
    }
}
