package dev.evring.examples;

import javax.net.ServerSocketFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread-per-connection server on virtual threads, written as most Java servers are written today: a
 * {@link ServerSocket} whose {@code accept()} runs in a loop, a virtual thread started per connection, blocking
 * {@code InputStream}/{@code OutputStream} in it. The listener comes from a {@link ServerSocketFactory}, which is the
 * only thing that differs between the JDK's sockets and evring's ({@link SocketFactories}); nothing here knows which.
 *
 * <p>Subclasses say what a connection does ({@link #handle}); the loop here gives it a thread and closes its socket
 * when it returns or throws. What a connection throws ({@code SocketException: Connection reset}, a broken pipe) ends
 * that connection only. The listener is closed by {@link #close()}, from any thread, which ends {@link #serve()};
 * connections already accepted go on until they end.
 */
public abstract class VirtualThreadServer implements AutoCloseable {
    /** The accept queue asked for (the kernel caps it at net.core.somaxconn): wrk opens 1,000 connections at once. */
    static final int BACKLOG = 4096;
    /** How long accepting pauses after a failure other than the listener's close (out of fds: EMFILE). */
    static final long ACCEPT_PAUSE_MS = 100;

    private final ServerSocket listener;
    private final AtomicInteger open = new AtomicInteger();
    private long lastComplaint;

    /** Listens on {@code address} (port 0: any free one) with a server socket made by {@code sockets}. */
    protected VirtualThreadServer(ServerSocketFactory sockets, InetSocketAddress address) throws IOException {
        this.listener = sockets.createServerSocket(address.getPort(), BACKLOG, address.getAddress());
    }

    /** What one connection does, on its own virtual thread; its socket is closed when this returns or throws. */
    protected abstract void handle(Socket connection) throws IOException;

    /**
     * Accepts connections until {@link #close()}, each served by {@link #handle} on a virtual thread of its own.
     * Out of file descriptors (or any other failure of {@code accept} while the listener is open), it pauses
     * {@value #ACCEPT_PAUSE_MS} ms, the waiting connection left in the accept queue, and goes on.
     */
    public void serve() {
        while (true) {
            Socket connection;
            try {
                connection = listener.accept();
            } catch (IOException e) {
                if (listener.isClosed()) return;
                pauseAccepting(e);
                continue;
            }
            open.incrementAndGet();
            Thread.ofVirtual().start(() -> {
                try (connection) {
                    handle(connection);
                } catch (IOException e) {
                    // the peer reset the connection or went away: this connection ends, the others go on
                } finally {
                    open.decrementAndGet();
                }
            });
        }
    }

    private void pauseAccepting(IOException e) {
        long now = System.nanoTime();
        if (now - lastComplaint > 1_000_000_000L) { // at most a line a second
            lastComplaint = now;
            System.err.println("accept failed (" + e.getMessage() + "); pausing " + ACCEPT_PAUSE_MS + " ms");
        }
        try {
            Thread.sleep(ACCEPT_PAUSE_MS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException("interrupted while accepting", e);
        }
    }

    /** The port the listener is bound to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted whose thread has not finished yet. */
    public int openConnections() {
        return open.get();
    }

    /** Closes the listener (from any thread): {@link #serve()} returns; open connections go on until they end. */
    @Override
    public void close() throws IOException {
        listener.close();
    }

    /** The options every virtual-thread server's command has: where it listens, and on which sockets. */
    record Options(CommandLine.Option<Integer> port, CommandLine.Option<String> sockets, CommandLine.Option<Integer> loops) {
        /**
         * Declares {@code --port} (default {@code defaultPort}), {@code --sockets} ({@link SocketFactories#option}) and
         * {@code --loops} (evring's sockets' loops, default 1).
         */
        static Options declare(CommandLine commandLine, int defaultPort) {
            return new Options(commandLine.integer("--port", "P", defaultPort, 0, 65_535,
                    "the port to listen on (default " + defaultPort + "; 0: any free one)"), SocketFactories.option(commandLine),
                    commandLine.integer("--loops", "N", 1, 1, 1_024,
                            "with --sockets evring: the loops (threads) the sockets' I/O runs on, connections spread over"
                                    + " them (default 1); the JDK's sockets have none (-Djdk.virtualThreadScheduler.parallelism"
                                    + " sets their carrier threads), so it changes nothing for them"));
        }
    }

    /** A server of the kind {@link #runCommand} starts. */
    @FunctionalInterface
    interface Maker {
        VirtualThreadServer make(ServerSocketFactory sockets, InetSocketAddress address) throws IOException;
    }

    /**
     * The body of a server's command ({@code ./evring vt-echo-server}, {@code vt-http-server}): listens on every
     * local address at {@code --port} with the sockets {@code --sockets} names, says so in one line, and serves until
     * the process ends (Ctrl-C).
     */
    static int runCommand(CommandLine.Parsed parsed, Options options, String what, Maker maker) throws IOException {
        String name = parsed.get(options.sockets());
        int loops = parsed.get(options.loops());
        try (VirtualThreadServer server = maker.make(SocketFactories.get(name, loops), new InetSocketAddress(parsed.get(options.port())))) {
            System.out.println(what + " on port " + server.port() + ", " + name + " sockets"
                    + (name.equals(SocketFactories.EVRING) ? " on " + loops + (loops == 1 ? " loop" : " loops") : "")
                    + ", a virtual thread per connection; Ctrl-C stops it");
            server.serve();
        }
        return 0;
    }
}
