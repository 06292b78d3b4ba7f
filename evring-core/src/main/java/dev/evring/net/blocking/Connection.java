package dev.evring.net.blocking;

import dev.evring.ErrnoException;
import dev.evring.net.CompletionCallback;
import dev.evring.net.Inbound;
import dev.evring.net.InboundCallback;
import dev.evring.net.Status;
import dev.evring.net.StreamSocket;
import dev.evring.net.WritabilityCallback;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection of a blocking socket: the hand-over between the threads that read and write it (virtual threads,
 * usually) and the loop that does its I/O.
 *
 * <h2>Receiving</h2>
 * From the moment it is connected, an accumulating receive ({@link StreamSocket#recvAccumulated}) runs on the loop and
 * copies every chunk that arrives into this connection's <em>inbound ring</em>, a {@code byte[]} shared with the
 * readers under this object's monitor, consuming all of it (no kernel or pool buffer is held). A read that finds bytes
 * there takes them and returns: no hand-over, no system call. A read that finds none registers itself and parks; the
 * loop unparks it with the next chunk, the end of stream or an error. Past {@link #RECV_HIGH} bytes in the ring the
 * loop pauses the receive (the data waits in the kernel, TCP slows the peer); a read that takes the ring down to
 * {@link #RECV_LOW} hands the loop one task to resume it.
 *
 * <h2>Sending</h2>
 * A write copies into this connection's <em>staging array</em> under the monitor and, if no flush is queued yet, hands
 * the loop one flush task ({@link dev.evring.EventLoop#execute}): the writes a thread makes before the loop runs that
 * task go out with it, and the loop's execute batches the flush tasks of many connections into one wakeup. The flush
 * copies the staged bytes into the socket's send queue ({@link StreamSocket#send(byte[], int, int, CompletionCallback)})
 * and the write has long returned: it waits only while the socket is above its high-water mark (until the loop
 * reports it writable again, {@link StreamSocket#onWritabilityChanged}) or the staging array is full
 * ({@link #STAGE_MAX}, until the flush took it). A failed send (EPIPE, ECONNRESET) fails the next write.
 *
 * <h2>Memory</h2>
 * The ring and the staging array are made on first use (512 and 256 bytes at least, grown by doubling as a burst needs: the ring
 * to {@link #RECV_HIGH} plus the chunks already on their way when the receive paused, the staging array to
 * {@link #STAGE_MAX}), and kept: steady state allocates nothing per read or write.
 */
final class Connection implements InboundCallback, CompletionCallback<StreamSocket>, WritabilityCallback {
    /** Bytes in the inbound ring above which the loop pauses the receive. */
    static final int RECV_HIGH = 64 * 1024;
    /** Bytes in the inbound ring at or below which a read resumes a paused receive. */
    static final int RECV_LOW = 16 * 1024;
    /** Most bytes staged for the loop at once: a write waits for the flush beyond it. */
    static final int STAGE_MAX = 64 * 1024;
    /** How long a close waits for queued bytes to go out before it closes anyway (see {@link #closeOnLoop}). */
    static final Duration CLOSE_LINGER = Duration.ofSeconds(10);
    private static final int MIN_RING = 512;
    private static final int MIN_STAGE = 256;
    private static final byte[] EMPTY = new byte[0];

    final LoopPort port;
    final BlockingSockets owner;

    /** Serialize readers and writers (as the JDK's NioSocketImpl does): one of each at a time. */
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Guarded by readLock: end of stream was returned once, so -1 is returned from then on (the JDK's legacy). */
    private boolean readEOF;

    // loop thread only
    private StreamSocket socket;
    private StreamSocket connecting;
    private boolean counted;
    // shared, guarded by this
    private byte[] in = EMPTY;
    private int inHead;
    private int inCount;
    private boolean eof;
    private int recvStatus;
    private boolean recvPaused;
    private boolean resumeQueued;
    private Thread reader;
    private byte[] out = EMPTY;
    private int outCount;
    private boolean flushQueued;
    private boolean writable = true;
    private int sendStatus;
    private Thread writer;
    private boolean closed;
    private boolean inputShut;
    private boolean outputShut;
    private boolean lingerZero;
    // connect: written by the loop before the volatile connectDone
    private int connectStatus;
    private Exception connectFailure;
    private InetSocketAddress local;
    private InetSocketAddress remote;
    private volatile boolean connectDone;
    /** A setsockopt that failed on the loop, for the next option call to throw. */
    private volatile IOException optionFailure;

    private final Runnable flushTask = this::flushOnLoop;
    private final Runnable resumeTask = this::resumeOnLoop;
    private final Runnable closeTask = this::closeOnLoop;

    Connection(LoopPort port, BlockingSockets owner) {
        this.port = port;
        this.owner = owner;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // loop side

    /** Loop thread: the connection is {@code s} from now on; its receive starts. */
    void start(StreamSocket s) {
        socket = s;
        counted = true;
        owner.opened();
        local = (InetSocketAddress) s.localAddress();
        remote = (InetSocketAddress) s.remoteAddress();
        s.onWritabilityChanged(this);
        s.recvAccumulated(this);
    }

    /** The local address once connected (set on the loop before the connection is handed to a thread). */
    InetSocketAddress localAddress() {
        return local;
    }

    /** The peer's address once connected (as {@link #localAddress()}). */
    InetSocketAddress remoteAddress() {
        return remote;
    }

    /** The receive: copies everything into the ring and consumes it. */
    @Override
    public int onInbound(StreamSocket s, Inbound data, int status) {
        int n = data.length();
        Thread t;
        synchronized (this) {
            if (status > 0) {
                if (!closed && !inputShut) {
                    append(data, n);
                    if (inCount >= RECV_HIGH && !recvPaused) {
                        recvPaused = true;
                        s.pauseRecv();
                    }
                }
            } else if (status == 0) {
                eof = true;
            } else if (recvStatus == 0) {
                recvStatus = status;
            }
            t = reader;
            reader = null;
        }
        port.unpark(t);
        return status > 0 ? n : 0;
    }

    private void append(Inbound data, int n) {
        if (inCount + n > in.length) growRing(inCount + n);
        int cap = in.length;
        int tail = (inHead + inCount) & (cap - 1);
        int first = Math.min(n, cap - tail);
        data.get(0, in, tail, first);
        if (first < n) data.get(first, in, 0, n - first);
        inCount += n;
    }

    private void growRing(int need) {
        byte[] next = new byte[powerOfTwoAtLeast(Math.max(need, MIN_RING))];
        int first = Math.min(inCount, in.length - inHead);
        System.arraycopy(in, inHead, next, 0, first);
        System.arraycopy(in, 0, next, first, inCount - first);
        in = next;
        inHead = 0;
    }

    static int powerOfTwoAtLeast(int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    /** A send ended: a failure fails the writes from now on. */
    @Override
    public void onComplete(StreamSocket s, int status) {
        if (status >= 0) return;
        Thread t;
        synchronized (this) {
            if (sendStatus == 0) sendStatus = status;
            t = writer;
            writer = null;
        }
        port.unpark(t);
    }

    @Override
    public void onWritabilityChanged(StreamSocket s, boolean nowWritable) {
        Thread t;
        synchronized (this) {
            writable = nowWritable;
            t = nowWritable ? writer : null;
            if (t != null) writer = null;
        }
        port.unpark(t);
    }

    /**
     * The flush task: what is staged goes into the socket's send queue (one copy), and a waiting writer goes on. Also
     * after a close from the thread side: a write returned once staged, so its bytes go out before the close (which is
     * the next task).
     */
    private void flushOnLoop() {
        Thread t;
        synchronized (this) {
            flushQueued = false;
            StreamSocket s = socket;
            if (outCount > 0 && s != null && s.isOpen() && sendStatus == 0) s.send(out, 0, outCount, this);
            outCount = 0;
            t = writer;
            writer = null;
        }
        port.unpark(t);
    }

    private void resumeOnLoop() {
        StreamSocket s = socket;
        synchronized (this) {
            resumeQueued = false;
            if (!recvPaused) return;
            recvPaused = false;
        }
        if (s != null && s.isOpen()) s.resumeRecv();
    }

    /**
     * The close task: with nothing queued the socket closes at once (close(2), as the JDK's close; unread data makes the
     * kernel reset the connection, as there). With bytes staged or queued it closes gracefully: they go out, then the
     * end of stream, then close, bounded by {@link #CLOSE_LINGER} (a write returned once its bytes were queued, so
     * they must not be lost to the close; the JDK's write returned once the kernel had them, and its close(2) leaves
     * the kernel to send them). SO_LINGER 0 closes at once, resetting the connection.
     */
    private void closeOnLoop() {
        StreamSocket s = socket;
        if (s == null) {
            if (connecting != null && connecting.isOpen()) connecting.close(); // its connect ends with ECANCELED
            return;
        }
        if (counted) {
            counted = false;
            owner.closed();
        }
        if (!s.isOpen()) return;
        int staged;
        synchronized (this) {
            staged = outCount;
            outCount = 0;
            if (staged > 0 && sendStatus == 0 && !lingerZero) s.send(out, 0, staged, this);
            in = EMPTY;
            inCount = 0;
            out = EMPTY;
        }
        if (!lingerZero && sendStatus == 0 && s.pendingSends() > 0) s.closeGracefully(CLOSE_LINGER, null);
        else s.close();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // connecting (client sockets)

    /**
     * Connects: on the loop, opens a socket of {@code remote}'s family, sets {@code options}, binds to {@code bindTo}
     * if given, and connects with the timeout; the calling thread parks until it is done. Cost: one execute, a park
     * and an unpark; on the loop socket(2), setsockopt(2) per option, bind(2) if asked, and the connect.
     */
    void connect(InetSocketAddress remote, InetSocketAddress bindTo, List<PendingOption> options, int timeoutMillis)
            throws IOException {
        port.checkMayBlock();
        Thread me = Thread.currentThread();
        Duration timeout = timeoutMillis > 0 ? Duration.ofMillis(timeoutMillis) : null;
        port.execute(() -> {
            try {
                StreamSocket s = port.net.openStream(remote.getAddress() instanceof java.net.Inet6Address
                        ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                connecting = s;
                for (PendingOption o : options) o.applyTo(s);
                if (bindTo != null) s.bind(bindTo);
                boolean closedMeanwhile;
                synchronized (this) {
                    closedMeanwhile = closed;
                }
                if (closedMeanwhile) s.close();
                s.connect(remote, timeout, (sock, st) -> connected(sock, st, me));
            } catch (Exception e) {
                if (connecting != null && connecting.isOpen()) connecting.close();
                connectFailure = e;
                connectDone = true;
                LockSupport.unpark(me);
            }
        });
        boolean interrupted = false;
        try {
            while (!connectDone) {
                if (me.isInterrupted()) {
                    if (me.isVirtual()) {
                        close(); // as the JDK: an interrupted virtual thread's connect closes the socket
                        throw new SocketException("Closed by interrupt");
                    }
                    Thread.interrupted(); // a platform thread's connect is not interruptible: the status is kept
                    interrupted = true;
                }
                LockSupport.park(this);
            }
        } finally {
            if (interrupted) me.interrupt();
        }
        if (connectFailure != null) throw asIOException(connectFailure);
        if (connectStatus != 0) throw connectException(connectStatus, remote);
    }

    private void connected(StreamSocket s, int status, Thread waiter) {
        connecting = null;
        boolean closedMeanwhile;
        synchronized (this) {
            closedMeanwhile = closed;
        }
        if (status == 0 && closedMeanwhile) status = Status.ECANCELED;
        if (status == 0) {
            try {
                start(s);
            } catch (RuntimeException e) {
                status = Status.ECANCELED;
                connectFailure = e;
            }
        }
        if (status != 0 && s.isOpen()) s.close();
        connectStatus = status;
        connectDone = true;
        LockSupport.unpark(waiter);
    }

    static IOException connectException(int status, InetSocketAddress remote) {
        String name = Status.name(status);
        return switch (name) {
            case "ETIMEDOUT" -> new SocketTimeoutException("Connect timed out");
            case "ECONNREFUSED" -> new ConnectException("Connection refused");
            case "ECANCELED" -> new SocketException("Socket closed");
            case "EHOSTUNREACH" -> new NoRouteToHostException("No route to host");
            default -> new ConnectException(Status.describe(status) + ": " + remote);
        };
    }

    // ----------------------------------------------------------------------------------------------------------------
    // the threads' side

    /**
     * Reads into {@code b[off, off + len)} or, when {@code bb} is not null, into its remaining space. Returns the bytes
     * read, -1 at end of stream (and from then on, even once closed, as the JDK does), 0 only for an empty request.
     * Cost: with bytes in the ring, a lock and a copy, no hand-over; with none, a park until the loop unparks this
     * thread (the resume of a paused receive costs one execute).
     *
     * @throws SocketTimeoutException after {@code timeoutMillis} (when positive) without data; the socket stays usable
     * @throws InterruptedIOException when a virtual thread is interrupted while it would wait (the JDK's Socket then
     *                                closes the socket and throws "Closed by interrupt")
     */
    int read(byte[] b, int off, int len, ByteBuffer bb, int timeoutMillis) throws IOException {
        if (len == 0) return 0;
        long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
        if (deadline == 0) {
            readLock.lock();
        } else {
            try {
                if (!readLock.tryLock(timeoutMillis, TimeUnit.MILLISECONDS)) throw new SocketTimeoutException("Read timed out");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            }
        }
        boolean interrupted = false;
        Thread me = Thread.currentThread();
        try {
            if (readEOF) return -1;
            while (true) {
                int n;
                boolean resume = false;
                synchronized (this) {
                    if (closed) throw new SocketException("Socket closed");
                    if (inCount > 0) {
                        n = bb == null ? take(b, off, len) : take(bb);
                        if (recvPaused && !resumeQueued && inCount <= RECV_LOW) {
                            resumeQueued = true;
                            resume = true;
                        }
                    } else if (inputShut || eof) {
                        n = -1;
                    } else if (recvStatus != 0) {
                        throw failure(recvStatus);
                    } else {
                        n = 0;
                        reader = me;
                    }
                }
                if (n != 0) {
                    if (resume) port.executeQuietly(resumeTask);
                    if (n < 0) readEOF = true;
                    return n;
                }
                port.checkMayBlock();
                interrupted |= Parking.parkOnce(this, me, deadline, readerGiveUp, "Read timed out");
            }
        } finally {
            readLock.unlock();
            if (interrupted) me.interrupt();
        }
    }

    /** What a blocked read or write gives up before it throws (made once: a park allocates nothing). */
    private final Parking.GiveUp readerGiveUp = this::clearReader;
    private final Parking.GiveUp writerGiveUp = this::clearWriter;

    private synchronized void clearReader(Thread me) {
        if (reader == me) reader = null;
    }

    private synchronized void clearWriter(Thread me) {
        if (writer == me) writer = null;
    }

    /** Under the monitor, with bytes in the ring. */
    private int take(byte[] b, int off, int len) {
        int n = Math.min(len, inCount);
        int first = Math.min(n, in.length - inHead);
        System.arraycopy(in, inHead, b, off, first);
        if (first < n) System.arraycopy(in, 0, b, off + first, n - first);
        consumed(n);
        return n;
    }

    private int take(ByteBuffer bb) {
        int n = Math.min(bb.remaining(), inCount);
        int first = Math.min(n, in.length - inHead);
        bb.put(in, inHead, first);
        if (first < n) bb.put(in, 0, n - first);
        consumed(n);
        return n;
    }

    private void consumed(int n) {
        inCount -= n;
        inHead = inCount == 0 ? 0 : (inHead + n) & (in.length - 1);
    }

    /** Bytes that a read would return without waiting. No hand-over. */
    synchronized int available() throws SocketException {
        if (closed) throw new SocketException("Socket closed");
        return inputShut ? 0 : inCount;
    }

    /**
     * Writes {@code b[off, off + len)}, or when {@code bb} is not null its remaining bytes (its position moves to its
     * limit). Returns once every byte is staged for the loop, not once written. Cost: a lock and a copy; the first
     * write since the loop last flushed this connection hands it one task ({@code execute}: a wakeup system call only
     * if the loop sleeps). Waits (parked) only while the socket is above its high-water mark or
     * {@link #STAGE_MAX} bytes are staged.
     *
     * @throws SocketException "Connection reset" / "Broken pipe" once a send failed; "Socket closed"
     * @throws InterruptedIOException when a virtual thread is interrupted while it would wait
     */
    void write(byte[] b, int off, int len, ByteBuffer bb) throws IOException {
        int remaining = bb == null ? len : bb.remaining();
        if (remaining == 0) return;
        writeLock.lock();
        boolean interrupted = false;
        Thread me = Thread.currentThread();
        try {
            while (remaining > 0) {
                int n = 0;
                boolean schedule = false;
                synchronized (this) {
                    if (closed) throw new SocketException("Socket closed");
                    if (sendStatus != 0) throw failure(sendStatus);
                    if (outputShut) throw new SocketException("Broken pipe");
                    if (writable && outCount < STAGE_MAX) {
                        n = Math.min(remaining, STAGE_MAX - outCount);
                        if (outCount + n > out.length) growStage(outCount + n);
                        if (bb == null) System.arraycopy(b, off, out, outCount, n);
                        else bb.get(out, outCount, n);
                        outCount += n;
                        if (!flushQueued) {
                            flushQueued = true;
                            schedule = true;
                        }
                    } else {
                        writer = me;
                    }
                }
                if (n > 0) {
                    off += n;
                    remaining -= n;
                    if (schedule) port.execute(flushTask);
                    continue;
                }
                port.checkMayBlock();
                interrupted |= Parking.parkOnce(this, me, 0, writerGiveUp, null);
            }
        } finally {
            writeLock.unlock();
            if (interrupted) me.interrupt();
        }
    }

    private void growStage(int need) {
        byte[] next = new byte[powerOfTwoAtLeast(Math.max(need, MIN_STAGE))];
        System.arraycopy(out, 0, next, 0, outCount);
        out = next;
    }

    /**
     * Closes: marks the connection closed (a read or write blocked in another thread wakes with "Socket closed") and
     * hands the loop the close ({@link #closeOnLoop}). Cost: one execute. Idempotent.
     */
    void close() {
        Thread r;
        Thread w;
        synchronized (this) {
            if (closed) return;
            closed = true;
            r = reader;
            w = writer;
            reader = null;
            writer = null;
        }
        if (r != null) LockSupport.unpark(r);
        if (w != null) LockSupport.unpark(w);
        port.executeQuietly(closeTask);
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /**
     * shutdownInput: reads return -1 from now on (what was received is dropped, a blocked reader wakes with -1); the
     * loop stops the receive and shuts the socket's read side (shutdown(2) SHUT_RD). Cost: one execute.
     */
    void shutdownInput() throws SocketException {
        Thread r;
        synchronized (this) {
            if (closed) throw new SocketException("Socket closed");
            if (inputShut) return;
            inputShut = true;
            inCount = 0;
            inHead = 0;
            r = reader;
            reader = null;
        }
        if (r != null) LockSupport.unpark(r);
        port.execute(() -> {
            StreamSocket s = socket;
            if (s == null || !s.isOpen()) return;
            s.stopRecv();
            try {
                s.shutdownInput();
            } catch (ErrnoException e) {
                // ENOTCONN: the peer already reset it; reads return -1 all the same
            }
        });
    }

    /**
     * shutdownOutput: what is staged and queued goes out, then the end of stream (the socket's ordered
     * {@link StreamSocket#shutdown}); writes fail from now on. Returns at once. Cost: one execute.
     */
    void shutdownOutput() throws SocketException {
        synchronized (this) {
            if (closed) throw new SocketException("Socket closed");
            if (outputShut) return;
            outputShut = true;
        }
        port.execute(() -> {
            flushOnLoop();
            StreamSocket s = socket;
            if (s != null && s.isOpen() && sendStatus == 0) s.shutdown(null);
        });
    }

    synchronized boolean isInputShutdown() {
        return inputShut;
    }

    synchronized boolean isOutputShutdown() {
        return outputShut;
    }

    /** SO_LINGER with a time of 0: close resets the connection at once, dropping what is queued. */
    synchronized void lingerZero(boolean on) {
        lingerZero = on;
    }

    /**
     * Sets a socket option: handed to the loop (one execute, no wait; setsockopt(2) there), so a server that sets
     * TCP_NODELAY on every accepted connection does not wait a loop round trip per connection. Tasks run in order, so
     * the option is set before anything written after this call goes out, and a later {@link #getOption} sees it. A
     * setsockopt(2) that fails (rare on a connected socket: the socket broke meanwhile) is thrown by the next
     * setOption or getOption of this connection.
     */
    <T> void setOption(SocketOption<T> option, T value) throws IOException {
        throwOptionFailure();
        port.execute(() -> {
            StreamSocket s = socket;
            if (s == null || !s.isOpen()) return;
            try {
                s.setOption(option, value);
            } catch (RuntimeException e) {
                optionFailure = asIOException(e);
            }
        });
    }

    /** Reads a socket option on the loop: one execute, a park and an unpark; getsockopt(2) there. */
    <T> T getOption(SocketOption<T> option) throws IOException {
        throwOptionFailure();
        return port.call(() -> liveSocket().getOption(option));
    }

    private void throwOptionFailure() throws IOException {
        IOException e = optionFailure;
        if (e != null) {
            optionFailure = null;
            throw e;
        }
    }

    private StreamSocket liveSocket() throws SocketException {
        StreamSocket s = socket;
        if (s == null || !s.isOpen() || isClosed()) throw new SocketException("Socket closed");
        return s;
    }

    /** The exception of a receive or send status, with the JDK's messages. */
    static SocketException failure(int status) {
        return switch (Status.name(status)) {
            case "ECONNRESET" -> new SocketException("Connection reset");
            case "EPIPE" -> new SocketException("Broken pipe");
            case "ECANCELED" -> new SocketException("Socket closed");
            case "ETIMEDOUT" -> new SocketException("Connection timed out");
            default -> new SocketException(Status.describe(status));
        };
    }

    /** An exception from the loop as the IOException a socket call throws. */
    static IOException asIOException(Throwable e) {
        if (e instanceof IOException io) return io;
        if (e instanceof ErrnoException ee) {
            SocketException se = "EADDRINUSE".equals(ee.errnoName()) ? new BindException("Address already in use")
                    : new SocketException(ee.getMessage());
            se.initCause(ee);
            return se;
        }
        if (e instanceof IllegalStateException ise) {
            SocketException se = new SocketException("Socket closed");
            se.initCause(ise);
            return se;
        }
        if (e instanceof RuntimeException re) throw re;
        return new IOException(e);
    }
}
