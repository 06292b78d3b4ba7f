package dev.evring.examples;

import javax.net.ServerSocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * {@code ./evring vt-echo-server --port P [--sockets jdk]}: TCP echo, a virtual thread per connection, blocking
 * streams, in the plain JDK style; the sockets come from the {@link javax.net.ServerSocketFactory} that
 * {@code --sockets} names (see {@link SocketFactories}), which is all that changes between the JDK's sockets and
 * evring's. A connection echoes what it reads until the peer's end of stream, then closes (so a client that
 * half-closes gets every byte back, then the end); a reset ends it.
 */
public final class VirtualThreadEchoServer extends VirtualThreadServer {
    /** What a connection reads at most at once: BufferedInputStream's default. */
    static final int BUFFER = 8192;

    /** The options of {@code ./evring vt-echo-server} (and of this class's {@code main}). */
    public static final CommandLine COMMAND_LINE = new CommandLine("./evring vt-echo-server", """
            TCP echo server, a virtual thread per connection on blocking sockets (VirtualThreadEchoServer), until Ctrl-C.
            Plain JDK code: ServerSocket.accept() in a loop, Thread.ofVirtual().start(...), InputStream and OutputStream;
            --sockets picks the ServerSocketFactory, the one thing that differs between the JDK's sockets and evring's.
            Listens on every local address.""");
    static final Options OPTIONS = Options.declare(COMMAND_LINE, 7007);

    public VirtualThreadEchoServer(ServerSocketFactory sockets, InetSocketAddress address) throws IOException {
        super(sockets, address);
    }

    @Override
    protected void handle(Socket connection) throws IOException {
        connection.setTcpNoDelay(true); // an echo goes out now, not after the peer's delayed ACK
        InputStream in = connection.getInputStream();
        OutputStream out = connection.getOutputStream();
        byte[] buffer = new byte[BUFFER];
        for (int n; (n = in.read(buffer)) != -1; ) {
            out.write(buffer, 0, n);
        }
    }

    public static void main(String[] args) throws Exception {
        System.exit(COMMAND_LINE.run(args, System.out, System.err, VirtualThreadEchoServer::run));
    }

    /** Runs the server with its parsed options until the process ends; returns the exit status. */
    public static int run(CommandLine.Parsed options) throws IOException {
        return runCommand(options, OPTIONS, "vt echo server", VirtualThreadEchoServer::new);
    }
}
