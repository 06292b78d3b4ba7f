package dev.evring.net.blocking;

import dev.evring.net.AcceptCallback;
import dev.evring.net.Status;
import dev.evring.net.StreamListener;
import dev.evring.net.StreamSocket;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link SocketImpl} of an {@link EvringServerSocket}: one listening socket per loop of the {@link BlockingSockets}
 * (with SO_REUSEPORT when there are several, so the kernel spreads the connections over the loops), each accepting
 * continuously (on io_uring one multishot accept) into one queue of connections whose receive already runs;
 * {@code accept()} takes the next from the queue, parking while it is empty.
 *
 * <p>The queue holds at most the backlog (at least 16): beyond it the loops stop accepting, and the connections wait in
 * the kernel's backlog as they would for the JDK's server socket, until {@code accept()} took the queue down to half.
 */
final class ListenerImpl extends SocketImpl {
    private final BlockingSockets sockets;
    private final ReentrantLock acceptLock = new ReentrantLock();
    private final List<LoopListener> listeners = new ArrayList<>();
    // guarded by this
    private final ArrayDeque<Connection> queue = new ArrayDeque<>();
    private int queueLimit = 50;
    private boolean paused;
    private boolean closed;
    private int failure;
    private Thread acceptor;
    private volatile int timeout;
    private boolean reuseAddress = true;
    private Integer receiveBuffer;

    ListenerImpl(BlockingSockets sockets) {
        this.sockets = sockets;
    }

    @Override
    protected void create(boolean stream) throws IOException {
        if (!stream) throw new IOException("evring's blocking sockets are stream sockets only");
    }

    @Override
    protected void connect(String host, int port) throws IOException {
        throw new SocketException("a server socket does not connect");
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        throw new SocketException("a server socket does not connect");
    }

    @Override
    protected void connect(SocketAddress address, int timeout) throws IOException {
        throw new SocketException("a server socket does not connect");
    }

    /**
     * Opens and binds a listening socket on every loop (the first one picks the port when {@code port} is 0, the others
     * bind the same). The wildcard address binds IPv6's {@code ::} (which takes IPv4 peers too) where the system has
     * IPv6, as the JDK does. Cost: per loop, one call on the loop (socket(2), setsockopt(2)s, bind(2)).
     */
    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        if (host == null) host = new InetSocketAddress(0).getAddress();
        List<LoopPort> ports = sockets.ports();
        boolean reusePort = ports.size() > 1;
        int bound = port;
        try {
            for (LoopPort p : ports) {
                InetAddress h = host;
                int want = bound;
                StreamListener l = p.call(() -> open(p, h, want, reusePort));
                listeners.add(new LoopListener(p, l));
                bound = ((InetSocketAddress) p.call(l::localAddress)).getPort();
            }
        } catch (IOException | RuntimeException e) {
            closeListeners();
            throw e;
        }
        this.address = host;
        this.localport = bound;
    }

    private StreamListener open(LoopPort p, InetAddress host, int port, boolean reusePort) {
        boolean wildcard = host.isAnyLocalAddress();
        StreamListener l = null;
        if (wildcard || host instanceof Inet6Address) {
            try {
                l = p.net.openListener(StandardProtocolFamily.INET6);
                if (wildcard) host = InetAddress.getByAddress(new byte[16]);
            } catch (RuntimeException | java.net.UnknownHostException e) {
                if (!wildcard) throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
        }
        if (l == null) l = p.net.openListener(StandardProtocolFamily.INET);
        try {
            l.setOption(StandardSocketOptions.SO_REUSEADDR, reuseAddress);
            if (reusePort) l.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            if (receiveBuffer != null) l.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer);
            l.bind(new InetSocketAddress(host, port));
            return l;
        } catch (RuntimeException e) {
            l.close();
            throw e;
        }
    }

    /** listen(2) on every loop's socket, and their accepting starts. Cost: per loop, one call on the loop. */
    @Override
    protected void listen(int backlog) throws IOException {
        int b = backlog < 1 ? 50 : backlog;
        synchronized (this) {
            queueLimit = Math.max(16, b);
        }
        for (LoopListener l : listeners) {
            l.port.call(() -> {
                l.listener.listen(b);
                l.start();
                return null;
            });
        }
    }

    /**
     * Takes the next accepted connection, parking while there is none. Cost: with one queued, a lock and a poll, no
     * hand-over (one execute per loop when the take lets paused loops accept again); with none, a park until a loop
     * unparks this thread.
     *
     * @throws SocketTimeoutException after SO_TIMEOUT ms (when set) without a connection
     * @throws InterruptedIOException when a virtual thread is interrupted while waiting (the JDK's ServerSocket then
     *                                closes and throws "Closed by interrupt")
     */
    @Override
    protected void accept(SocketImpl s) throws IOException {
        ConnectionImpl target = (ConnectionImpl) s;
        int t = timeout;
        long deadline = t > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(t) : 0;
        acceptLock.lock();
        boolean interrupted = false;
        Thread me = Thread.currentThread();
        try {
            while (true) {
                Connection c;
                boolean resume = false;
                synchronized (this) {
                    if (closed) throw new SocketException("Socket closed");
                    c = queue.poll();
                    if (c != null) {
                        if (paused && queue.size() <= queueLimit / 2) {
                            paused = false;
                            resume = true;
                        }
                    } else if (failure == Status.ECANCELED) {
                        throw new SocketException("Socket closed");
                    } else if (failure != 0) {
                        throw new SocketException("accept failed: " + Status.describe(failure));
                    } else {
                        acceptor = me;
                    }
                }
                if (c != null) {
                    if (resume) for (LoopListener l : listeners) l.port.executeQuietly(l::resume);
                    target.accepted(c);
                    return;
                }
                for (LoopListener l : listeners) l.port.checkMayBlock(); // a loop waiting for its own accept
                interrupted |= Parking.parkOnce(this, me, deadline, acceptorGiveUp, "Accept timed out");
            }
        } finally {
            acceptLock.unlock();
            if (interrupted) me.interrupt();
        }
    }

    /** What a blocked accept gives up before it throws (made once). */
    private final Parking.GiveUp acceptorGiveUp = this::clearAcceptor;

    private synchronized void clearAcceptor(Thread me) {
        if (acceptor == me) acceptor = null;
    }

    /** A loop accepted {@code c}: queued for accept(); true when the queue is full and that loop should pause. */
    private boolean offer(Connection c) {
        Thread t;
        boolean full;
        synchronized (this) {
            if (closed) {
                t = null;
                full = false;
                c.close();
            } else {
                queue.add(c);
                full = queue.size() >= queueLimit;
                if (full) paused = true;
                t = acceptor;
                acceptor = null;
            }
        }
        c.port.unpark(t);
        return full;
    }

    private void failed(int status) {
        Thread t;
        synchronized (this) {
            if (failure == 0) failure = status;
            t = acceptor;
            acceptor = null;
        }
        if (t != null) LockSupport.unpark(t);
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Closes: a thread blocked in accept wakes with "Socket closed"; connections accepted and not taken are closed;
     * every loop closes its listening socket. Cost: one execute per loop.
     */
    @Override
    protected void close() {
        Thread t;
        List<Connection> left;
        synchronized (this) {
            if (closed) return;
            closed = true;
            t = acceptor;
            acceptor = null;
            left = new ArrayList<>(queue);
            queue.clear();
        }
        if (t != null) LockSupport.unpark(t);
        for (Connection c : left) c.close();
        closeListeners();
    }

    private void closeListeners() {
        for (LoopListener l : listeners) l.port.executeQuietly(l::close);
    }

    @Override
    protected InputStream getInputStream() throws IOException {
        throw new SocketException("a server socket has no input stream");
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        throw new SocketException("a server socket has no output stream");
    }

    @Override
    protected int available() {
        return 0;
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        throw new SocketException("Urgent data not supported");
    }

    @Override
    public void setOption(int id, Object value) throws SocketException {
        switch (id) {
            case SO_TIMEOUT -> {
                if (!(value instanceof Integer t) || t < 0) throw new SocketException("Bad value for SO_TIMEOUT: " + value);
                timeout = t;
            }
            case SO_REUSEADDR -> {
                reuseAddress = Boolean.TRUE.equals(value);
                forEachListener(StandardSocketOptions.SO_REUSEADDR, reuseAddress);
            }
            case SO_RCVBUF -> {
                if (!(value instanceof Integer n) || n <= 0) throw new SocketException("Bad value for SO_RCVBUF: " + value);
                receiveBuffer = n;
                forEachListener(StandardSocketOptions.SO_RCVBUF, n);
            }
            default -> throw new SocketException("option " + id + " is not supported by evring's server sockets");
        }
    }

    private <T> void forEachListener(SocketOption<T> option, T value) throws SocketException {
        for (LoopListener l : listeners) {
            try {
                l.port.call(() -> {
                    l.listener.setOption(option, value);
                    return null;
                });
            } catch (SocketException e) {
                throw e;
            } catch (IOException e) {
                throw (SocketException) new SocketException(e.getMessage()).initCause(e);
            }
        }
    }

    @Override
    public Object getOption(int id) throws SocketException {
        return switch (id) {
            case SO_TIMEOUT -> timeout;
            case SO_REUSEADDR -> reuseAddress;
            case SO_RCVBUF -> receiveBuffer != null ? receiveBuffer : 65536;
            case SO_BINDADDR -> address;
            default -> throw new SocketException("option " + id + " is not supported by evring's server sockets");
        };
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name);
        if (name == StandardSocketOptions.SO_REUSEADDR) setOption(SO_REUSEADDR, value);
        else if (name == StandardSocketOptions.SO_RCVBUF) setOption(SO_RCVBUF, value);
        else super.setOption(name, value); // the JDK's answer for an option the listener does not have
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name);
        if (name == StandardSocketOptions.SO_REUSEADDR) return (T) getOption(SO_REUSEADDR);
        if (name == StandardSocketOptions.SO_RCVBUF) return (T) getOption(SO_RCVBUF);
        return super.getOption(name);
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        return Set.of(StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.SO_RCVBUF);
    }

    /**
     * One loop's listening socket and its accepting (loop thread only). Accepting pauses when the queue is full
     * ({@link StreamListener#stopAccept()}) and starts again when accept() took it down to half ({@link #resume}); a
     * resume that comes while the stop is still ending starts it once it ended.
     */
    private final class LoopListener implements AcceptCallback {
        final LoopPort port;
        final StreamListener listener;
        private boolean running;
        private boolean stopping;
        private boolean restart;

        LoopListener(LoopPort port, StreamListener listener) {
            this.port = port;
            this.listener = listener;
        }

        void start() {
            if (!listener.isOpen() || isClosed()) return;
            running = true;
            listener.accept(this);
        }

        void resume() {
            if (!running) start();
            else if (stopping) restart = true;
        }

        void close() {
            listener.close();
        }

        @Override
        public void onAccept(StreamListener l, StreamSocket s, int status) {
            if (s != null) {
                if (isClosed()) {
                    s.close();
                    return;
                }
                Connection c = new Connection(port, sockets);
                try {
                    c.start(s);
                } catch (RuntimeException e) {
                    s.close();
                    throw e;
                }
                if (offer(c) && !stopping) {
                    stopping = true;
                    listener.stopAccept();
                }
                return;
            }
            if (Status.isAcceptPause(status)) return; // paused (out of fds or memory); resumes by itself
            running = false; // the accept ended
            stopping = false;
            if (status == Status.ECANCELED && l.isOpen()) { // our own stopAccept: the queue was full
                if (restart) {
                    restart = false;
                    port.executeQuietly(this::start);
                }
                return;
            }
            // the accept failed, or the listening socket closed under it (its Net or loop closed: the blocking
            // sockets were closed): a thread blocked in accept() must wake, not wait for ever
            failed(status);
        }
    }
}
