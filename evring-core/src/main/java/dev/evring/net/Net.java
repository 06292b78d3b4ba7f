package dev.evring.net;

import dev.evring.CleanupWatcher;
import dev.evring.ErrnoException;
import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IdleWatcher;
import dev.evring.backend.BackendOptions;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Errno;
import dev.evring.linux.Fcntl;
import dev.evring.linux.SysSocket;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.file.OpenOption;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;

/**
 * Sockets and completion I/O on one {@link EventLoop}: the factory of its sockets and files, the owner of their buffer
 * pools and of the operations running on them.
 *
 * <h2>Two models on one loop</h2>
 * <b>Readiness</b> (libev's): take a socket's {@link IoHandle#fd() fd}, put an {@link dev.evring.IoWatcher} on it, and
 * when it is ready call the socket's non-blocking methods ({@link StreamListener#tryAccept()},
 * {@link StreamSocket#read(byte[], int, int)}, {@link StreamSocket#write(byte[], int, int)}): one system call each.
 * <br><b>Completion</b> (io_uring's): start an operation ({@code accept}, {@code connect}, {@code recv}, {@code send},
 * {@code recvFrom}, {@code sendTo}, file {@code read}/{@code write}, {@code close}) and get a callback when it is done.
 * On the io_uring backend the kernel does the I/O: operations ride in the loop's one {@code io_uring_enter} per
 * iteration, accept and recv are multishot (one submission serves every connection and every chunk), and received data
 * lands in buffers the kernel picks from a shared ring, so idle connections hold none. On epoll and poll the same API is
 * emulated with readiness and the plain system calls; code written against it runs everywhere, with the same callbacks
 * in the same order and the same error codes.
 *
 * <h2>Completion rules</h2>
 * <ul>
 * <li>Every operation returns an id (for {@link #cancel(long)}) and ends with exactly one final callback. Continuous
 * operations (accept, recv, recvFrom) call back once per connection, chunk or datagram before that.</li>
 * <li>Callbacks run on the loop thread, from the loop (as watcher callbacks do), never inside the call that started the
 * operation. One that throws is reported to the loop's exception handler; the loop and every other operation go on.</li>
 * <li>Failures arrive as a negative errno status ({@link Status}); nothing is thrown from the loop. Cancelled operations
 * report {@link Status#ECANCELED}; expired timeouts {@link Status#ETIMEDOUT}; end of stream is a recv status of 0.</li>
 * <li>A running operation keeps the loop's {@code run()} going (it holds a {@link EventLoop#ref()}).</li>
 * <li>Timeouts: the {@code Duration} overloads bound each wait of the operation (for a continuous operation: the wait for
 * each next connection, chunk or datagram). On io_uring they are linked timeouts (IORING_OP_LINK_TIMEOUT) riding with
 * the operation; on epoll/poll, loop timers.</li>
 * </ul>
 *
 * <h2>Buffers</h2>
 * Two pools of off-heap buffers, carved once from the loop's arena: the <em>receive pool</em> feeds stream receives
 * (on io_uring: the kernel's provided-buffer ring), the <em>general pool</em> serves {@link #allocate()}, datagram
 * receives and file reads. See {@link Buffer} for who may touch a buffer when. When the receive pool runs dry, receiving
 * waits until buffers come back (counted in {@link NetStats#recvBufferWaits()}); no connection is dropped and no byte
 * lost.
 *
 * <h2>Thread contract and costs</h2>
 * A Net belongs to its loop's thread; every method of it, its sockets and its buffers throws
 * {@link IllegalStateException} on another thread. Starting an operation makes no system call on io_uring (the loop
 * submits them in its next batch) and at most one on epoll/poll; nothing allocates per operation in steady state.
 * Closing the loop closes the Net (its cleanup watcher), which closes every socket and file still open.
 */
public final class Net implements AutoCloseable {
    static final int DEFAULT_RECV_BUFFERS = 256;
    static final int DEFAULT_RECV_BUFFER_SIZE = 16384;
    static final int DEFAULT_BUFFERS = 256;
    static final int DEFAULT_BUFFER_SIZE = 16384;
    static final long DEFAULT_ACCEPT_BACKOFF_NANOS = 100_000_000L;

    /** Opens a Net on {@code loop} with the default pools (or the {@code net.*} options of the loop). Loop thread only. */
    public static Net open(EventLoop loop) {
        return builder(loop).open();
    }

    public static Builder builder(EventLoop loop) {
        return new Builder(loop);
    }

    /**
     * Sizes and switches of a {@link Net}. Unset values come from the loop's options ({@code EventLoop.Builder.option}
     * or {@code -Devring.<key>}): {@code net.recv_buffers}, {@code net.recv_buffer_size}, {@code net.buffers},
     * {@code net.buffer_size}, {@code net.accept_backoff_ms}, and the io_uring switches {@code net.completion},
     * {@code net.multishot_accept}, {@code net.buffer_ring}, {@code net.multishot_recv} (see the README).
     */
    public static final class Builder {
        private final EventLoop loop;
        private int recvBuffers = -1;
        private int recvBufferSize = -1;
        private int buffers = -1;
        private int bufferSize = -1;
        private long acceptBackoffNanos = -1;

        private Builder(EventLoop loop) {
            if (loop == null) throw new IllegalArgumentException("loop is null");
            this.loop = loop;
        }

        /**
         * The receive pool: {@code count} buffers (1..32768) of {@code size} bytes. Stream receives take from it; on
         * io_uring it is the kernel's provided-buffer ring. Default 256 x 16 KiB.
         */
        public Builder recvBuffers(int count, int size) {
            this.recvBuffers = count;
            this.recvBufferSize = size;
            return this;
        }

        /**
         * The general pool: {@code count} buffers of {@code size} bytes for {@link Net#allocate()}, datagram receives
         * (the size bounds a datagram) and file reads. Default 256 x 16 KiB.
         */
        public Builder buffers(int count, int size) {
            this.buffers = count;
            this.bufferSize = size;
            return this;
        }

        /** How long accepting pauses when the process is out of fds (EMFILE/ENFILE) before it tries again. Default 100 ms. */
        public Builder acceptBackoff(Duration pause) {
            if (pause == null || pause.isNegative() || pause.isZero()) throw new IllegalArgumentException("accept backoff " + pause + " must be positive");
            this.acceptBackoffNanos = pause.toNanos();
            return this;
        }

        /** Opens the Net. Loop thread only. */
        public Net open() {
            return new Net(this);
        }
    }

    final EventLoop loop;
    final Thread owner;
    final LoopAccess access;
    final MemorySegment callState;
    final Arena arena;
    final BackendOptions options;
    final BufferPool recvPool;
    final BufferPool pool;
    final long acceptBackoffNanos;
    Driver driver;
    boolean closed;

    // scratch for the immediate calls (bind, options, addresses, copying reads and writes)
    final MemorySegment addrScratch;
    final MemorySegment addrLenScratch;
    final MemorySegment optScratch;
    final MemorySegment ioScratch;

    // operation slots: index -> Op, with a free list; scratch memory carved in chunks
    private Op[] ops = new Op[64];
    private int opCount;
    private int[] freeOps = new int[64];
    private int freeOpCount;
    private int liveOps;

    // completions waiting to be delivered from the loop: a ring of (op, status, buffer, final)
    private Op[] qOp = new Op[256];
    private int[] qRes = new int[256];
    private Buffer[] qBuf = new Buffer[256];
    private boolean[] qFinal = new boolean[256];
    private int qHead;
    private int qTail;
    /** Fed (not started) to run {@link #deliver()} in the current iteration's callback pass. */
    private final IdleWatcher deliverer;
    /** A zero-delay timer: runs {@link #deliver()} in the next iteration, for what callbacks queued. */
    private final dev.evring.TimerWatcher nextIteration;
    /** A delivery is scheduled (fed or timed), or running: pushes need not schedule another. */
    private boolean deliveryFed;
    private final CleanupWatcher cleanup;

    IoHandle handles;

    // stats
    long opsStarted;
    long callbacks;
    long acceptPauses;
    long staleCompletions;
    long recvRearms;

    private Net(Builder b) {
        EventLoop loop = b.loop;
        this.access = LoopAccess.get();
        this.callState = access.callState(loop); // checks we are on the loop's thread
        this.loop = loop;
        this.owner = Thread.currentThread();
        this.arena = access.arena(loop);
        this.options = access.options(loop);
        int rc = b.recvBuffers >= 0 ? b.recvBuffers : options.integer("net.recv_buffers", DEFAULT_RECV_BUFFERS);
        int rs = b.recvBufferSize >= 0 ? b.recvBufferSize : options.integer("net.recv_buffer_size", DEFAULT_RECV_BUFFER_SIZE);
        int gc = b.buffers >= 0 ? b.buffers : options.integer("net.buffers", DEFAULT_BUFFERS);
        int gs = b.bufferSize >= 0 ? b.bufferSize : options.integer("net.buffer_size", DEFAULT_BUFFER_SIZE);
        this.acceptBackoffNanos = b.acceptBackoffNanos > 0 ? b.acceptBackoffNanos
                : positive("net.accept_backoff_ms", options.integer("net.accept_backoff_ms", (int) (DEFAULT_ACCEPT_BACKOFF_NANOS / 1_000_000))) * 1_000_000L;
        this.recvPool = new BufferPool(this, "receive", rc, rs, arena);
        this.pool = new BufferPool(this, "general", gc, gs, arena);
        this.addrScratch = arena.allocate(SysSocket.SOCKADDR_STORAGE_SIZE, 8);
        this.addrLenScratch = arena.allocate(8, 8);
        this.optScratch = arena.allocate(16, 8);
        this.ioScratch = arena.allocate(65536, 64);
        this.deliverer = loop.idle((w, ev) -> deliver());
        this.nextIteration = loop.timer(0L, 0L, (w, ev) -> deliver());
        this.cleanup = loop.cleanup((w, ev) -> close());
        cleanup.start();
        this.driver = Driver.create(this);
    }

    private static int positive(String key, int v) {
        if (v <= 0) throw new IllegalArgumentException("option " + key + "=" + v + " must be positive");
        return v;
    }

    /** The loop this Net runs on. */
    public EventLoop loop() {
        return loop;
    }

    final void checkOwner() {
        checkThread();
        if (closed) throw new IllegalStateException("this Net is closed");
    }

    final void checkThread() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("this Net belongs to the thread of " + loop + " and was called from thread \""
                    + Thread.currentThread().getName() + "\"");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // factories

    private int socket(ProtocolFamily family, int type) {
        int domain = SockAddr.domainOf(family);
        int fd = SysSocket.socket(callState, domain, type | SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC, 0);
        return Errno.check(fd, "socket(" + family + ", " + (type == SysSocket.SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM") + ")");
    }

    /** A new unbound stream listener of {@code family} (INET, INET6, UNIX); {@code bind} and {@code listen} it. One system call. */
    public StreamListener openListener(ProtocolFamily family) {
        checkOwner();
        return new StreamListener(this, socket(family, SysSocket.SOCK_STREAM), family);
    }

    /** {@link #listen(SocketAddress, int)} with the largest backlog the kernel allows (SOMAXCONN). */
    public StreamListener listen(SocketAddress local) {
        return listen(local, SysSocket.SOMAXCONN);
    }

    /**
     * A listener bound to {@code local} (an {@link InetSocketAddress}, port 0 for an ephemeral one, or a
     * {@link java.net.UnixDomainSocketAddress}) and listening with {@code backlog}. TCP listeners get SO_REUSEADDR,
     * as Java's own server sockets do, so a restarted server can bind while old connections linger in TIME_WAIT.
     * Three or four system calls.
     */
    public StreamListener listen(SocketAddress local, int backlog) {
        checkOwner();
        ProtocolFamily family = SockAddr.familyOf(local);
        StreamListener l = openListener(family);
        try {
            if (family != StandardProtocolFamily.UNIX) l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            l.bind(local);
            l.listen(backlog);
            return l;
        } catch (RuntimeException e) {
            l.close();
            throw e;
        }
    }

    /** A new unconnected stream socket of {@code family}; {@code connect} it. One system call. */
    public StreamSocket openStream(ProtocolFamily family) {
        checkOwner();
        return new StreamSocket(this, socket(family, SysSocket.SOCK_STREAM), family);
    }

    /** A stream socket connecting to {@code remote}; {@code callback} tells when it is connected or why not. */
    public StreamSocket connect(SocketAddress remote, CompletionCallback<StreamSocket> callback) {
        return connect(remote, null, callback);
    }

    /** As {@link #connect(SocketAddress, CompletionCallback)}, failing with {@link Status#ETIMEDOUT} after {@code timeout}. */
    public StreamSocket connect(SocketAddress remote, Duration timeout, CompletionCallback<StreamSocket> callback) {
        checkOwner();
        StreamSocket s = openStream(SockAddr.familyOf(remote));
        try {
            s.connect(remote, timeout, callback);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Two connected Unix-domain stream sockets (socketpair(2)), for talking to oneself or a child. One system call. */
    public StreamSocket[] socketPair() {
        checkOwner();
        MemorySegment sv = optScratch;
        Errno.check(SysSocket.socketpair(callState, SysSocket.AF_UNIX,
                SysSocket.SOCK_STREAM | SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC, 0, sv), "socketpair(AF_UNIX)");
        return new StreamSocket[] {
                new StreamSocket(this, sv.get(ValueLayout.JAVA_INT, 0), StandardProtocolFamily.UNIX),
                new StreamSocket(this, sv.get(ValueLayout.JAVA_INT, 4), StandardProtocolFamily.UNIX)};
    }

    /** A new unbound UDP socket of {@code family} (INET or INET6). One system call. */
    public UdpSocket openUdp(ProtocolFamily family) {
        checkOwner();
        if (family == StandardProtocolFamily.UNIX) throw new IllegalArgumentException("UDP needs an INET or INET6 family, not UNIX");
        return new UdpSocket(this, socket(family, SysSocket.SOCK_DGRAM), family);
    }

    /** A UDP socket bound to {@code local} (port 0: an ephemeral one). Two system calls. */
    public UdpSocket bindUdp(SocketAddress local) {
        checkOwner();
        UdpSocket u = openUdp(SockAddr.familyOf(local));
        try {
            u.bind(local);
            return u;
        } catch (RuntimeException e) {
            u.close();
            throw e;
        }
    }

    /**
     * Opens a file for positioned reads and writes ({@link AsyncFile#read}, {@link AsyncFile#write}). Options as
     * {@link java.nio.channels.FileChannel#open}: READ (the default), WRITE, APPEND, CREATE, CREATE_NEW,
     * TRUNCATE_EXISTING, NOFOLLOW_LINKS. A created file gets mode 0666 less the umask. One system call.
     */
    public AsyncFile openFile(Path path, OpenOption... openOptions) {
        checkOwner();
        boolean read = false;
        boolean write = false;
        int flags = Fcntl.O_CLOEXEC;
        for (OpenOption o : openOptions) {
            if (o == StandardOpenOption.READ) read = true;
            else if (o == StandardOpenOption.WRITE) write = true;
            else if (o == StandardOpenOption.APPEND) { write = true; flags |= Fcntl.O_APPEND; }
            else if (o == StandardOpenOption.CREATE) flags |= Fcntl.O_CREAT;
            else if (o == StandardOpenOption.CREATE_NEW) flags |= Fcntl.O_CREAT | Fcntl.O_EXCL;
            else if (o == StandardOpenOption.TRUNCATE_EXISTING) flags |= Fcntl.O_TRUNC;
            else if (o == LinkOption.NOFOLLOW_LINKS) flags |= O_NOFOLLOW;
            else throw new IllegalArgumentException("open option " + o + " is not supported");
        }
        if (!read && !write) read = true;
        flags |= read && write ? Fcntl.O_RDWR : write ? Fcntl.O_WRONLY : Fcntl.O_RDONLY;
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= ioScratch.byteSize()) throw new IllegalArgumentException("path is too long: " + path);
        MemorySegment.copy(name, 0, ioScratch, ValueLayout.JAVA_BYTE, 0, name.length);
        ioScratch.set(ValueLayout.JAVA_BYTE, name.length, (byte) 0);
        int fd = Errno.check(Fcntl.open(callState, ioScratch, flags, 0666), "open(" + path + ")");
        return new AsyncFile(this, fd, path);
    }

    private static final int O_NOFOLLOW = 0400000;

    // ------------------------------------------------------------------------------------------------------------
    // buffers

    /**
     * A buffer of the general pool, empty and yours: fill it and send it, or read a file into it; release it if you do
     * neither.
     *
     * @throws IllegalStateException when every buffer of the pool is in use (see {@link #tryAllocate()})
     */
    public Buffer allocate() {
        Buffer b = tryAllocate();
        if (b == null) {
            throw new IllegalStateException("the general buffer pool is exhausted: all " + pool.count() + " buffers of "
                    + pool.bufferSize + " bytes are in use; release buffers, or size it with Net.builder(loop).buffers(count, size)");
        }
        return b;
    }

    /** As {@link #allocate()}, but null when the pool is exhausted. */
    public Buffer tryAllocate() {
        checkOwner();
        Buffer b = pool.take();
        if (b != null) b.state = Buffer.USER;
        return b;
    }

    /** The general pool's buffer size: the most one buffer, a datagram or a file read holds. */
    public int bufferSize() {
        return pool.bufferSize;
    }

    /** Checks that {@code b} is the caller's and belongs to this Net, and takes it for an operation. */
    void lend(Buffer b) {
        if (b == null) throw new IllegalArgumentException("buffer is null");
        if (b.pool.net != this) throw new IllegalArgumentException(b + " belongs to another Net");
        if (b.state != Buffer.USER) throw new IllegalStateException(b + " is not yours to send: released or already handed to an operation");
        b.state = Buffer.LENT;
    }

    // ------------------------------------------------------------------------------------------------------------
    // operations

    /** A fresh slot for a {@code kind} operation on {@code h}, live and holding a loop reference. */
    Op acquire(IoHandle h, byte kind, Object callback, long timeoutNanos) {
        Op op = freeOpCount > 0 ? ops[freeOps[--freeOpCount]] : newOp();
        int gen = (op.gen + 1) & Op.GEN_MASK;
        op.gen = gen == 0 ? 1 : gen;
        op.kind = kind;
        op.state = Op.ACTIVE;
        op.handle = h;
        op.callback = callback;
        op.timeoutNanos = timeoutNanos;
        op.buffer = null;
        op.done = 0;
        op.report = 0;
        op.position = 0;
        op.addrLength = 0;
        op.continuous = false;
        op.cancelRequested = false;
        op.timedOut = false;
        op.waitingForBuffer = false;
        op.writeBlocked = false;
        op.next = null;
        op.ringCqes = 0;
        op.ringResult = 0;
        op.ringFlags = 0;
        op.ringMultishot = false;
        op.ringTimeoutFired = false;
        h.linkLive(op);
        liveOps++;
        opsStarted++;
        loop.ref();
        return op;
    }

    private Op newOp() {
        if (opCount == Op.INDEX_MASK) throw new IllegalStateException("too many operations in flight: " + opCount);
        if (opCount == ops.length) {
            ops = Arrays.copyOf(ops, opCount * 2);
            freeOps = Arrays.copyOf(freeOps, opCount * 2);
        }
        // scratch in chunks of 64 slots, so growing costs one arena allocation per 64 operations
        int chunk = 64;
        MemorySegment block = arena.allocate(Op.SCRATCH_SIZE * chunk, 16);
        int first = opCount;
        for (int i = 0; i < chunk && opCount < ops.length; i++) {
            ops[opCount] = new Op(opCount, block.asSlice(i * Op.SCRATCH_SIZE, Op.SCRATCH_SIZE));
            opCount++;
        }
        for (int i = opCount - 1; i > first; i--) freeOps[freeOpCount++] = i;
        return ops[first];
    }

    /** The live operation with this id, or null (finished, or never was). */
    Op find(long id) {
        int index = Op.indexOf(id);
        if (index >= opCount || id <= 0) return null;
        Op op = ops[index];
        if (op.gen != Op.genOf(id) || op.state == Op.FREE || op.state == Op.FINISHING) return null;
        return op;
    }

    /** The operation a kernel payload names, if its generation still matches (io_uring's user_data). */
    Op opAt(int index, int gen) {
        if (index < 0 || index >= opCount) return null;
        Op op = ops[index];
        return op.gen == gen && op.state != Op.FREE ? op : null;
    }

    /**
     * Cancels a running operation: its final callback reports {@link Status#ECANCELED} (unless it completed first). A
     * queued send is taken out of the queue. No system call on epoll/poll; on io_uring an IORING_OP_ASYNC_CANCEL rides
     * in the next batch.
     *
     * @return whether the operation was still running; false for an id that finished or is unknown
     */
    public boolean cancel(long operationId) {
        checkOwner();
        Op op = find(operationId);
        return op != null && cancelOp(op);
    }

    boolean cancelOp(Op op) {
        if (op.state == Op.QUEUED) {
            removeQueued(op);
            complete(op, Status.ECANCELED, null, true);
            return true;
        }
        if (op.state != Op.ACTIVE || op.cancelRequested) return false;
        op.cancelRequested = true;
        if (op.waitingForBuffer) {
            // not in the kernel: end it here
            bufferPoolOf(op).cancelWait(op);
            complete(op, Status.ECANCELED, null, true);
            driver.ended(op.handle);
            return true;
        }
        driver.cancel(op);
        return true;
    }

    BufferPool bufferPoolOf(Op op) {
        return op.kind == Op.RECV ? recvPool : pool;
    }

    /** Starts the continuous read-side operation of {@code h} (accept, recv, recvFrom). */
    long startContinuous(IoHandle h, byte kind, Object callback, long timeoutNanos) {
        h.checkOpen();
        requireCallback(callback);
        if (h.readOp != null) {
            throw new IllegalStateException(h + " is already " + (kind == Op.ACCEPT ? "accepting" : "receiving")
                    + ": stop it first (and wait for its final callback)");
        }
        Op op = acquire(h, kind, callback, timeoutNanos);
        op.continuous = true;
        h.readOp = op;
        driver.submit(op);
        return op.id();
    }

    long startConnect(StreamSocket s, SocketAddress remote, long timeoutNanos, CompletionCallback<StreamSocket> callback) {
        s.checkOpen();
        requireCallback(callback);
        if (s.connectOp != null) throw new IllegalStateException(s + " is already connecting");
        int len = SockAddr.write(remote, s.domain, addrScratch); // validate before taking a slot
        Op op = acquire(s, Op.CONNECT, callback, timeoutNanos);
        MemorySegment.copy(addrScratch, 0, op.scratch, Op.SCRATCH_ADDR, len);
        op.addrLength = len;
        s.connectOp = op;
        driver.submit(op);
        return op.id();
    }

    /** Queues a send-side operation (send, sendTo, shutdown) behind the ones before it. */
    long enqueue(IoHandle h, byte kind, Buffer data, Object callback, long timeoutNanos, int report) {
        return enqueue(h, kind, data, callback, timeoutNanos, report, null, 0);
    }

    /** As above, with a destination address (sendTo) copied into the operation's own scratch. */
    long enqueue(IoHandle h, byte kind, Buffer data, Object callback, long timeoutNanos, int report,
                 MemorySegment addr, int addrLength) {
        Op op = acquire(h, kind, callback, timeoutNanos);
        op.buffer = data;
        op.report = report;
        if (addr != null) {
            MemorySegment.copy(addr, 0, op.scratch, Op.SCRATCH_ADDR, addrLength);
            op.addrLength = addrLength;
        }
        h.sendQueued++;
        if (h.sendTail == null) {
            h.sendHead = h.sendTail = op;
            driver.submit(op);
        } else {
            op.state = Op.QUEUED;
            h.sendTail.next = op;
            h.sendTail = op;
        }
        return op.id();
    }

    private void removeQueued(Op op) {
        IoHandle h = op.handle;
        Op prev = null;
        for (Op o = h.sendHead; o != null; prev = o, o = o.next) {
            if (o == op) {
                if (prev == null) h.sendHead = o.next;
                else prev.next = o.next;
                if (h.sendTail == o) h.sendTail = prev;
                break;
            }
        }
        op.next = null;
        h.sendQueued--;
    }

    /** A single operation not in any queue (file read/write). */
    long startSingle(IoHandle h, byte kind, Buffer buffer, long position, Object callback, long timeoutNanos, int report) {
        Op op = acquire(h, kind, callback, timeoutNanos);
        op.buffer = buffer;
        op.position = position;
        op.report = report;
        driver.submit(op);
        return op.id();
    }

    long closeHandle(IoHandle h, CompletionCallback<IoHandle> callback) {
        h.closed = true;
        // end everything still running on it: queued sends first (not in the kernel), then the rest
        for (Op o = h.sendHead; o != null; ) {
            Op next = o.next;
            if (o.state == Op.QUEUED) {
                removeQueued(o);
                complete(o, Status.ECANCELED, null, true);
            }
            o = next;
        }
        for (Op o = h.liveHead; o != null; ) {
            Op next = o.liveNext;
            cancelOp(o);
            o = next;
        }
        driver.handleClosing(h);
        removeHandle(h);
        if (callback == null) {
            int r = Unistd.close(callState, h.fd);
            if (r < 0 && r != -Errno.EINTR) {
                throw Errno.exception("close(fd " + h.fd + ")", -r);
            }
            return 0;
        }
        Op op = acquire(h, Op.CLOSE, callback, 0);
        h.closeOp = op;
        submitCloseWhenAlone(h);
        return op.id();
    }

    /**
     * The close of {@code h} goes to the driver once every other operation of the handle has ended (on io_uring the
     * cancellations take a round trip): the close callback is the handle's last, and the fd is closed after the
     * kernel let go of it.
     */
    private void submitCloseWhenAlone(IoHandle h) {
        Op c = h.closeOp;
        if (c != null && h.liveHead == c && c.liveNext == null) {
            h.closeOp = null;
            driver.submit(c);
        }
    }

    static void requireCallback(Object callback) {
        if (callback == null) throw new IllegalArgumentException("callback is null");
    }

    // ------------------------------------------------------------------------------------------------------------
    // completion

    /**
     * A driver reports a result. {@code fin}: the operation is over (its slot is freed once the callback ran);
     * otherwise a continuous operation produced one more result. The callback runs from the loop, after the current
     * backend poll or callback returns.
     */
    void complete(Op op, int res, Buffer buf, boolean fin) {
        if (fin) {
            op.state = Op.FINISHING;
            IoHandle h = op.handle;
            h.unlinkLive(op);
            liveOps--;
            if (op.timer != null) op.timer.stop();
            if (h.readOp == op) h.readOp = null;
            if (h.connectOp == op) h.connectOp = null;
            if (op.consumesBuffer() && op.buffer != null) {
                op.buffer.pool.recycle(op.buffer);
                op.buffer = null;
            }
        }
        push(op, res, buf, fin);
        if (fin) {
            IoHandle h = op.handle;
            if (h.sendHead == op) sendDone(op, res);
            if (h.closeOp != null) submitCloseWhenAlone(h);
        }
    }

    /** The head of a send queue finished: start the next, or fail them all when the stream broke. */
    private void sendDone(Op op, int res) {
        IoHandle h = op.handle;
        h.sendHead = op.next;
        if (h.sendTail == op) h.sendTail = null;
        op.next = null;
        h.sendQueued--;
        if (res < 0 && res != Status.ECANCELED && res != Status.ETIMEDOUT) {
            // the connection is broken (EPIPE, ECONNRESET, ...): what was queued behind cannot be sent either
            while (h.sendHead != null) {
                Op o = h.sendHead;
                removeQueued(o);
                complete(o, res, null, true);
            }
            return;
        }
        Op next = h.sendHead;
        if (next != null && next.state == Op.QUEUED && !h.closed) {
            next.state = Op.ACTIVE;
            driver.submit(next);
        }
    }

    private void push(Op op, int res, Buffer buf, boolean fin) {
        int n = qOp.length;
        if (qTail - qHead == n) growQueue();
        int i = qTail & (qOp.length - 1);
        qOp[i] = op;
        qRes[i] = res;
        qBuf[i] = buf;
        qFinal[i] = fin;
        qTail++;
        if (!deliveryFed && !closing) {
            deliveryFed = true;
            deliverer.feed(Events.CUSTOM);
        }
    }

    /**
     * Doubles the queue. Positions are absolute counters (an entry's slot is {@code position & (length - 1)}), so
     * entries move to their slot in the larger arrays and {@code qHead}/{@code qTail} stay valid: a delivery pass that
     * remembered where to stop is not disturbed by a callback that made the queue grow.
     */
    private void growQueue() {
        int n = qOp.length;
        Op[] o = new Op[n * 2];
        int[] r = new int[n * 2];
        Buffer[] b = new Buffer[n * 2];
        boolean[] f = new boolean[n * 2];
        for (int k = qHead; k != qTail; k++) {
            int from = k & (n - 1);
            int to = k & (2 * n - 1);
            o[to] = qOp[from];
            r[to] = qRes[from];
            b[to] = qBuf[from];
            f[to] = qFinal[from];
        }
        qOp = o;
        qRes = r;
        qBuf = b;
        qFinal = f;
    }

    /**
     * Runs the queued callbacks, in the order the results came. Only those queued before it started: what the
     * callbacks cause (an emulated send that completed at once) is delivered in the next loop iteration, as libuv does,
     * so a callback that keeps starting operations cannot starve the loop.
     */
    private void deliver() {
        deliverQueued(qTail);
        deliveryFed = false;
        if (qHead != qTail && !closing && !closed) {
            deliveryFed = true;
            nextIteration.start();
        }
    }

    /**
     * Delivers the queued completions up to (not including) queue position {@code end}. A callback that closes the Net
     * delivers the rest itself, so the head may pass {@code end} (positions wrap as ints: compare by difference).
     */
    private void deliverQueued(int end) {
        while (end - qHead > 0) {
            int i = qHead & (qOp.length - 1);
            Op op = qOp[i];
            int res = qRes[i];
            Buffer buf = qBuf[i];
            boolean fin = qFinal[i];
            qOp[i] = null;
            qBuf[i] = null;
            qHead++;
            deliverOne(op, res, buf, fin);
        }
    }

    private void deliverOne(Op op, int res, Buffer buf, boolean fin) {
        IoHandle h = op.handle;
        Object cb = op.callback;
        byte kind = op.kind;
        int report = op.report;
        if (fin) free(op);
        if (buf != null) {
            if (h.closed) { // closed by an earlier callback: the data has no taker
                buf.pool.recycle(buf);
                if (!fin) return;
                buf = null;
            } else {
                buf.state = Buffer.USER;
            }
        }
        if (kind == Op.ACCEPT && res >= 0 && (h.closed || cb == null)) {
            Unistd.close(callState, res);
            return;
        }
        if (cb == null) return;
        callbacks++;
        try {
            switch (kind) {
                case Op.ACCEPT -> {
                    StreamListener l = (StreamListener) h;
                    ((AcceptCallback) cb).onAccept(l, res >= 0 ? new StreamSocket(this, res, l.family) : null, res >= 0 ? 0 : res);
                }
                case Op.RECV -> ((RecvCallback) cb).onRecv((StreamSocket) h, buf, res);
                case Op.RECVFROM -> ((DatagramCallback) cb).onDatagram((UdpSocket) h, buf, res);
                case Op.READ -> ((ReadCallback) cb).onRead((AsyncFile) h, buf, res);
                case Op.SEND, Op.SENDTO, Op.WRITE -> callComplete(cb, h, res >= 0 ? report : res);
                default -> callComplete(cb, h, res);
            }
        } catch (Throwable t) { // the loop decides what it survives (ExceptionReporter)
            access.reportException(loop, h, t);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void callComplete(Object cb, IoHandle h, int status) throws Exception {
        ((CompletionCallback) cb).onComplete(h, status);
    }

    private void free(Op op) {
        op.state = Op.FREE;
        op.handle = null;
        op.callback = null;
        op.buffer = null;
        op.next = null;
        freeOps[freeOpCount++] = op.index;
        loop.unref();
    }

    // ------------------------------------------------------------------------------------------------------------
    // handles

    void addHandle(IoHandle h) {
        h.nextHandle = handles;
        if (handles != null) handles.prevHandle = h;
        handles = h;
    }

    private void removeHandle(IoHandle h) {
        if (h.prevHandle != null) h.prevHandle.nextHandle = h.nextHandle;
        else if (handles == h) handles = h.nextHandle;
        if (h.nextHandle != null) h.nextHandle.prevHandle = h.prevHandle;
        h.prevHandle = null;
        h.nextHandle = null;
    }

    // ------------------------------------------------------------------------------------------------------------
    // stats and close

    /** A snapshot of the counters and pool levels (allocates the record; not for every event). */
    public NetStats stats() {
        checkOwner();
        int[] r = recvPool.census();
        int[] g = pool.census();
        return new NetStats(driver.name(), driver.features(), opsStarted, liveOps, callbacks,
                recvPool.count(), r[0], r[1], r[2], recvPool.waits, recvPool.waiting(),
                pool.count(), g[0], g[1], g[2], pool.waits,
                acceptPauses, recvRearms, staleCompletions);
    }

    private boolean closing;

    /**
     * Closes every socket and file of this Net (their running operations get {@link Status#ECANCELED}, delivered before
     * this returns) and releases its buffer ring. Idempotent. Runs by itself when the loop closes.
     */
    @Override
    public void close() {
        if (closed || closing) return;
        if (Thread.currentThread() != owner) throw new IllegalStateException("Net.close() called from another thread than its loop's");
        closing = true;
        try {
            while (handles != null) {
                IoHandle h = handles;
                try {
                    closeHandle(h, null);
                } catch (ErrnoException e) {
                    access.reportException(loop, h, e);
                }
            }
            // operations whose end the kernel has yet to report are abandoned: their buffers stay lent (the pools go
            // with the Net, the memory with the loop, after the ring), their callbacks get ECANCELED now
            for (int k = 0; k < opCount; k++) {
                Op op = ops[k];
                if (op.state == Op.ACTIVE || op.state == Op.QUEUED) {
                    if (op.waitingForBuffer) bufferPoolOf(op).cancelWait(op);
                    op.buffer = null;
                    if (op.state == Op.QUEUED) removeQueued(op);
                    complete(op, Status.ECANCELED, null, true);
                }
            }
            driver.close();
            while (qHead != qTail) deliverQueued(qTail); // the cancellations, now: the loop may never run again
        } finally {
            closed = true;
            deliverer.stop();
            nextIteration.stop();
            cleanup.stop();
        }
    }

    /** Whether {@link #close()} ran. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Net[" + driver.name() + (closed ? ", closed" : "") + "]";
    }
}
