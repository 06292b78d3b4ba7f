package dev.evring.net.blocking;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The {@link SocketImpl} of an {@link EvringSocket}: what {@link java.net.Socket} calls, turned into a
 * {@link Connection}'s calls. {@code Socket} keeps the state (created, bound, connected, closed, shut down) and its
 * stream wrappers handle an interrupted virtual thread (close, then "Closed by interrupt"), as for the JDK's own impl.
 */
final class ConnectionImpl extends SocketImpl {
    private static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.TCP_NODELAY,
            StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_RCVBUF,
            StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.SO_REUSEPORT, StandardSocketOptions.SO_LINGER,
            StandardSocketOptions.IP_TOS);

    private final BlockingSockets sockets;
    /** Null until connected or accepted. */
    private volatile Connection conn;
    private volatile int timeout;
    private boolean closed;
    private boolean oobInline;
    private InetSocketAddress bindTo;
    private List<PendingOption> pending;
    private InputStream input;
    private OutputStream output;

    ConnectionImpl(BlockingSockets sockets) {
        this.sockets = sockets;
    }

    /** An accepted connection becomes this socket's (by the listener's accept). */
    void accepted(Connection c) {
        conn = c;
        InetSocketAddress remote = c.remoteAddress();
        address = remote.getAddress();
        port = remote.getPort();
        localport = c.localAddress().getPort();
    }

    private Connection connection() throws SocketException {
        Connection c = conn;
        if (c == null) throw new SocketException("Socket is not connected");
        return c;
    }

    int read(ByteBuffer dst) throws IOException {
        return connection().read(null, 0, dst.remaining(), dst, timeout);
    }

    void write(ByteBuffer src) throws IOException {
        connection().write(null, 0, 0, src);
    }

    @Override
    protected void create(boolean stream) throws IOException {
        if (!stream) throw new IOException("evring's blocking sockets are stream sockets only");
    }

    @Override
    protected void connect(String host, int port) throws IOException {
        connect(new InetSocketAddress(host, port), 0);
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        connect(new InetSocketAddress(address, port), 0);
    }

    /**
     * Connects on a loop of the group (round-robin). Cost: see {@link Connection#connect}; the calling thread parks
     * until the connect completes, fails or times out ({@code timeout} ms, 0 for none).
     */
    @Override
    protected void connect(SocketAddress remote, int timeout) throws IOException {
        if (!(remote instanceof InetSocketAddress isa)) throw new IllegalArgumentException("Unsupported address type");
        if (isa.isUnresolved()) throw new UnknownHostException(isa.getHostName());
        InetAddress a = isa.getAddress();
        if (a.isAnyLocalAddress()) isa = new InetSocketAddress(InetAddress.getLoopbackAddress(), isa.getPort());
        LoopPort p;
        try {
            p = sockets.nextPort();
        } catch (IllegalStateException e) {
            throw (SocketException) new SocketException("Socket closed (its BlockingSockets are closed)").initCause(e);
        }
        Connection c = new Connection(p, sockets);
        List<PendingOption> options;
        synchronized (this) {
            if (closed) throw new SocketException("Socket closed");
            if (conn != null) throw new SocketException("Already connected");
            conn = c;
            options = pending == null ? List.of() : List.copyOf(pending);
        }
        c.connect(isa, bindTo, options, timeout);
        this.address = isa.getAddress();
        this.port = isa.getPort();
        this.localport = c.localAddress().getPort();
    }

    /** Remembers the local address: the socket binds to it when it connects (so a port 0 reads 0 until then). */
    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        bindTo = new InetSocketAddress(host, port);
        localport = port;
    }

    @Override
    protected void listen(int backlog) throws IOException {
        throw new SocketException("not a server socket");
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        throw new SocketException("not a server socket");
    }

    @Override
    protected synchronized InputStream getInputStream() throws IOException {
        Connection c = connection();
        if (input == null) input = new Input(c);
        return input;
    }

    @Override
    protected synchronized OutputStream getOutputStream() throws IOException {
        Connection c = connection();
        if (output == null) output = new Output(c);
        return output;
    }

    @Override
    protected int available() throws IOException {
        return connection().available();
    }

    /** Closes (see {@link Connection#close}): one execute; a blocked reader or writer wakes with "Socket closed". */
    @Override
    protected void close() throws IOException {
        Connection c;
        synchronized (this) {
            closed = true;
            c = conn;
        }
        if (c != null) c.close();
    }

    @Override
    protected void shutdownInput() throws IOException {
        connection().shutdownInput();
    }

    @Override
    protected void shutdownOutput() throws IOException {
        connection().shutdownOutput();
    }

    @Override
    protected boolean supportsUrgentData() {
        return false;
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        throw new SocketException("Urgent data not supported");
    }

    // ----------------------------------------------------------------------------------------------------------------
    // options: SO_TIMEOUT and SO_OOBINLINE are kept here, the rest is the socket's (setsockopt on the loop; before the
    // connect they are kept and set when the socket is opened)

    @Override
    public void setOption(int id, Object value) throws SocketException {
        switch (id) {
            case SO_TIMEOUT -> {
                if (!(value instanceof Integer t) || t < 0) throw new SocketException("Bad value for SO_TIMEOUT: " + value);
                timeout = t;
            }
            case SO_OOBINLINE -> oobInline = Boolean.TRUE.equals(value);
            case SO_LINGER -> setStandard(StandardSocketOptions.SO_LINGER, value instanceof Integer i ? i : -1);
            case SO_BINDADDR -> throw new SocketException("SO_BINDADDR cannot be set");
            default -> setStandard(standard(id), value);
        }
    }

    @Override
    public Object getOption(int id) throws SocketException {
        switch (id) {
            case SO_TIMEOUT:
                return timeout;
            case SO_OOBINLINE:
                return oobInline;
            case SO_BINDADDR: {
                Connection c = conn;
                if (c != null && c.localAddress() != null) return c.localAddress().getAddress();
                return bindTo != null ? bindTo.getAddress() : new InetSocketAddress(0).getAddress();
            }
            case SO_LINGER: {
                int secs = getStandard(StandardSocketOptions.SO_LINGER);
                return secs >= 0 ? (Object) secs : Boolean.FALSE;
            }
            default:
                return getStandard(standard(id));
        }
    }

    private static SocketOption<?> standard(int id) throws SocketException {
        return switch (id) {
            case TCP_NODELAY -> StandardSocketOptions.TCP_NODELAY;
            case SO_KEEPALIVE -> StandardSocketOptions.SO_KEEPALIVE;
            case SO_SNDBUF -> StandardSocketOptions.SO_SNDBUF;
            case SO_RCVBUF -> StandardSocketOptions.SO_RCVBUF;
            case SO_REUSEADDR -> StandardSocketOptions.SO_REUSEADDR;
            case SO_REUSEPORT -> StandardSocketOptions.SO_REUSEPORT;
            case IP_TOS -> StandardSocketOptions.IP_TOS;
            default -> throw new SocketException("option " + id + " is not supported by evring's blocking sockets");
        };
    }

    @SuppressWarnings("unchecked")
    private void setStandard(SocketOption<?> option, Object value) throws SocketException {
        if (value == null || !option.type().isInstance(value)) throw new SocketException("Bad value for " + option.name() + ": " + value);
        Connection c;
        synchronized (this) {
            if (closed) throw new SocketException("Socket closed");
            c = conn;
            if (c == null) {
                if (pending == null) pending = new ArrayList<>();
                pending.removeIf(p -> p.option() == option);
                pending.add(new PendingOption(option, value));
            }
        }
        if (option == StandardSocketOptions.SO_LINGER && c != null) c.lingerZero(((Integer) value) == 0);
        if (c == null) return;
        try {
            c.setOption((SocketOption<Object>) option, value);
        } catch (SocketException e) {
            throw e;
        } catch (IOException e) {
            throw (SocketException) new SocketException(e.getMessage()).initCause(e);
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T getStandard(SocketOption<T> option) throws SocketException {
        Connection c;
        synchronized (this) {
            if (closed) throw new SocketException("Socket closed");
            c = conn;
            if (c == null) {
                if (pending != null) {
                    for (PendingOption p : pending) if (p.option() == option) return (T) p.value();
                }
                if (option.type() == Boolean.class) return (T) Boolean.FALSE;
                return (T) (Integer) (option == StandardSocketOptions.SO_LINGER ? -1 : 0);
            }
        }
        try {
            return c.getOption(option);
        } catch (SocketException e) {
            throw e;
        } catch (IOException e) {
            throw (SocketException) new SocketException(e.getMessage()).initCause(e);
        }
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name);
        if (name == StandardSocketOptions.SO_LINGER) {
            setOption(SocketOptions.SO_LINGER, value);
            return;
        }
        if (OPTIONS.contains(name)) setStandard(name, value);
        else super.setOption(name, value); // the JDK's answer for an option the socket does not have
    }

    @Override
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name);
        return OPTIONS.contains(name) ? getStandard(name) : super.getOption(name); // (the JDK's answer otherwise)
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        return OPTIONS;
    }

    // ----------------------------------------------------------------------------------------------------------------

    /** The impl's input stream ({@code Socket} wraps it). */
    private final class Input extends InputStream {
        private final Connection c;
        private final byte[] one = new byte[1];

        Input(Connection c) {
            this.c = c;
        }

        @Override
        public int read() throws IOException {
            synchronized (one) {
                int n = read(one, 0, 1);
                return n > 0 ? one[0] & 0xff : -1;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            return c.read(b, off, len, null, timeout);
        }

        @Override
        public int available() throws IOException {
            return c.available();
        }

        @Override
        public void close() throws IOException {
            ConnectionImpl.this.close();
        }
    }

    /** The impl's output stream ({@code Socket} wraps it). */
    private final class Output extends OutputStream {
        private final Connection c;

        Output(Connection c) {
            this.c = c;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            c.write(b, off, len, null);
        }

        @Override
        public void close() throws IOException {
            ConnectionImpl.this.close();
        }
    }
}
