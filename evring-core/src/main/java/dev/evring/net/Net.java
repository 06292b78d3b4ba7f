package dev.evring.net;

import dev.evring.CleanupWatcher;
import dev.evring.ErrnoException;
import dev.evring.EventLoop;
import dev.evring.PrepareWatcher;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Errno;
import dev.evring.linux.Fcntl;
import dev.evring.linux.SysSocket;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * Sockets and completion I/O on one {@link EventLoop}: the factory of its sockets and files, the owner of their buffer
 * pools and of the operations running on them. How the two styles (readiness, completion) work, the completion rules
 * and the buffer rules are in the package documentation ({@code package-info}) and the README.
 *
 * <p>Thread contract and costs: a Net belongs to its loop's thread; every method of it, its sockets and its buffers
 * throws {@link IllegalStateException} on another thread. Starting an operation makes no system call on io_uring (the
 * loop submits them in its next batch) and at most one on epoll/poll; nothing allocates per operation in steady state
 * but the handle of each buffer handed to you. Closing the loop closes the Net (its cleanup watcher), which closes
 * every socket and file still open.
 *
 * <p>Why this class is over 800 lines: it is the net layer's public face (the {@link Builder} with each option's
 * documentation, the factories, buffers, cancel, stats, close: about 280 of its lines are Javadoc and blank lines)
 * and the one place where an operation's life is kept: its start, its completion and delivery, and its end, which
 * read and write the same handle, pool and operation-table state. Every other room is a class of its own: the
 * engines ({@code RingEngine}, {@code ReadinessEngine}), the operation table ({@code OpTable}, {@code OpId}), the
 * delivery queue, the send queue ({@code Outbound}), the receive accumulation ({@code Accumulator}), graceful close,
 * the pools ({@code BufferPool}) and the settings ({@code NetSettings}).
 */
public final class Net implements AutoCloseable {
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
     * {@code net.multishot_accept}, {@code net.buffer_ring}, {@code net.multishot_recv}, {@code net.recv_incremental}
     * (received buffers as slices of incrementally consumed ring buffers: see {@link Buffer}'s capacity; see the
     * README). Every value is checked when the Net opens, whatever the backend.
     */
    public static final class Builder {
        private final EventLoop loop;
        private int recvBuffers = -1;
        private int recvBufferSize = -1;
        private int buffers = -1;
        private int bufferSize = -1;
        private long acceptBackoffNanos = -1;
        private int recvShare = -1;
        private int lowWater = -1;
        private int highWater = -1;
        private int accumulationLimit = -1;
        private int zeroCopyMin = -1;

        private Builder(EventLoop loop) {
            if (loop == null) throw new IllegalArgumentException("loop is null");
            this.loop = loop;
        }

        /**
         * The receive pool: {@code count} buffers (1..32768) of {@code size} bytes (64..16 MiB). Stream receives take
         * from it; on io_uring it is the kernel's provided-buffer ring. Default 256 x 16 KiB.
         *
         * @throws IllegalArgumentException naming the value that is out of range
         */
        public Builder recvBuffers(int count, int size) {
            BufferPool.checkSize("receive", count, size);
            this.recvBuffers = count;
            this.recvBufferSize = size;
            return this;
        }

        /**
         * The general pool: {@code count} buffers (1..32768) of {@code size} bytes (64..16 MiB) for
         * {@link Net#allocate()}, datagram receives (the size bounds a datagram) and file reads. Default 256 x 16 KiB.
         *
         * @throws IllegalArgumentException naming the value that is out of range
         */
        public Builder buffers(int count, int size) {
            BufferPool.checkSize("general", count, size);
            this.buffers = count;
            this.bufferSize = size;
            return this;
        }

        /**
         * The most pool buffers one socket's receives may hold at a time: delivered and not yet given back (held by
         * the application, or queued in a send). At its share a socket's receive pauses, its data waiting in the
         * socket, until it gives buffers back; the other sockets go on. So a peer that does not read stalls only its
         * own connection. Default: 16, or a sixteenth of the larger pool of the two when that is more (never more
         * than the pool). 0: no bound, and on io_uring multishot receives (a little cheaper; one connection may then
         * take the whole pool).
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder recvShare(int buffers) {
            if (buffers < 0) throw new IllegalArgumentException("receive share " + buffers + " is negative");
            this.recvShare = buffers;
            return this;
        }

        /**
         * The water marks of every stream socket's send queue (each socket may set its own,
         * {@link StreamSocket#sendWaterMarks}): once more than {@code high} bytes are queued the socket is unwritable
         * ({@link StreamSocket#isWritable()} false, {@link StreamSocket#onWritabilityChanged} told), until the queue
         * drains to {@code low}. Sends are never refused for it: the mark tells a producer to stop. Default 32 KiB /
         * 64 KiB (Netty's), or the {@code net.send_low_water}, {@code net.send_high_water} options.
         *
         * @throws IllegalArgumentException when {@code low} is negative or not below {@code high}
         */
        public Builder sendWaterMarks(int low, int high) {
            checkWaterMarks(low, high);
            this.lowWater = low;
            this.highWater = high;
            return this;
        }

        /**
         * The most bytes a socket's accumulating receive ({@link StreamSocket#recvAccumulated}) keeps for a message
         * not yet complete; beyond it the receive ends with {@link Status#EMSGSIZE}. Default 1 MiB, or the
         * {@code net.recv_accumulation_limit} option.
         *
         * @throws IllegalArgumentException outside [64 bytes, 1 GiB]
         */
        public Builder recvAccumulationLimit(int bytes) {
            if (bytes < BufferPool.MIN_SIZE || bytes > NetSettings.MAX_RECV_ACCUMULATION_LIMIT) {
                throw new IllegalArgumentException("receive accumulation limit " + bytes + " outside [" + BufferPool.MIN_SIZE
                        + ", " + NetSettings.MAX_RECV_ACCUMULATION_LIMIT + "]");
            }
            this.accumulationLimit = bytes;
            return this;
        }

        /**
         * On io_uring, writes of at least {@code bytes} go out zero-copy (IORING_OP_SEND_ZC, 6.0; SENDMSG_ZC, 6.1, for
         * a gather): the kernel pins the pages instead of copying them, and the buffers go back only after its
         * notification. 0 (the default, or the {@code net.send_zc_min} option): never. Pays where a NIC sends from
         * the pages (large writes, tens of KiB and up); on loopback and Unix sockets the data is copied anyway and it
         * only costs (see the README's measurement). Ignored by the readiness emulation; a socket that refuses it
         * (EOPNOTSUPP: Unix sockets) is written the ordinary way.
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder sendZeroCopyAbove(int bytes) {
            if (bytes < 0) throw new IllegalArgumentException("zero-copy threshold " + bytes + " is negative");
            this.zeroCopyMin = bytes;
            return this;
        }

        /**
         * How long accepting pauses when the process is out of fds or memory ({@link Status#isAcceptPause}) before it
         * tries again. Default 100 ms.
         *
         * @throws IllegalArgumentException when not positive, or too long for a long of nanoseconds
         */
        public Builder acceptBackoff(Duration pause) {
            this.acceptBackoffNanos = NetSettings.positiveNanos("accept backoff", pause);
            return this;
        }

        /**
         * Opens the Net. Loop thread only. Either it opens whole or it throws having changed nothing of the loop.
         *
         * @throws IllegalArgumentException for a bad {@code net.*} option, or pools that do not fit in memory
         */
        public Net open() {
            return new Net(this);
        }
    }

    final EventLoop loop;
    final Thread owner;
    final LoopAccess access;
    final MemorySegment callState;
    final Arena arena;
    final NetSettings settings;
    final BufferPool recvPool;
    final BufferPool pool;
    final long acceptBackoffNanos;
    /** The most pool buffers one socket's receives may hold at a time; 0: no bound ({@link Builder#recvShare}). */
    final int recvShare;
    /** How operations get done: on the ring, or emulated with readiness (a ring reset may swap it). */
    Engine engine;
    private final OpTable ops;
    private final DeliveryQueue delivery;
    /** Stream sockets' queued data and the rules of their send queues. */
    final Outbound outbound;
    /** The most general-pool buffers one socket's copied sends may hold at a time (the rest spills). */
    final int sendShare;
    /** Handles whose send queue the engine must look at before the loop next waits ({@link #flushSendQueues}). */
    private IoHandle flushHead;
    /** Runs {@link #flushSendQueues} before each poll while handles wait for it; the loop's lowest priority. */
    private final PrepareWatcher flusher;
    private final CleanupWatcher cleanup;
    private boolean closing;
    boolean closed;

    // scratch for the immediate calls (bind, options, addresses, copying reads and writes)
    final MemorySegment addrScratch;
    final MemorySegment addrLenScratch;
    final MemorySegment optScratch;
    final MemorySegment ioScratch;

    /** The open handles, for close. */
    IoHandle handles;
    /**
     * Open stream sockets (connections): written on the loop's thread with {@code setOpaque}, read from any thread
     * ({@link #connections()}, a group's stats).
     */
    private int connections;
    private static final VarHandle CONNECTIONS;

    static {
        try {
            CONNECTIONS = MethodHandles.lookup().findVarHandle(Net.class, "connections", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // stats
    long opsStarted;
    /** Operations started and not finished. */
    int running;
    long callbacks;
    long acceptPauses;
    long staleCompletions;
    long recvRearms;
    long recvSharePauses;
    /** The loop's watch on slow callbacks: a slow completion callback is reported under its handle (JFR). */
    private final dev.evring.internal.CallbackTimer callbackTimer;
    /** io_uring: writes that went out zero-copy. */
    long zeroCopyWrites;
    /** Bytes kept by accumulating receives for messages not complete yet. */
    long accumulatedBytes;

    private Net(Builder b) {
        EventLoop loop = b.loop;
        this.access = LoopAccess.get();
        this.callState = access.callState(loop); // checks we are on the loop's thread
        this.loop = loop;
        this.owner = Thread.currentThread();
        this.callbackTimer = access.callbackTimer(loop);
        NetEvents.load(); // the JFR events' gate, now: no hot path may need a class file later (a process out of fds)
        this.arena = access.arena(loop);
        // everything that can be refused is checked before anything is allocated or registered
        this.settings = NetSettings.of(loop, access, b.recvBuffers, b.recvBufferSize, b.buffers, b.bufferSize,
                b.acceptBackoffNanos, b.recvShare, b.lowWater, b.highWater, b.accumulationLimit, b.zeroCopyMin);
        this.acceptBackoffNanos = settings.acceptBackoffNanos();
        this.recvShare = settings.recvShare();
        this.recvPool = newPool("receive", settings.recvBuffers(), settings.recvBufferSize());
        this.pool = newPool("general", settings.buffers(), settings.bufferSize());
        this.addrScratch = arena.allocate(SysSocket.SOCKADDR_STORAGE_SIZE, 8);
        this.addrLenScratch = arena.allocate(8, 8);
        this.optScratch = arena.allocate(16, 8);
        this.ioScratch = arena.allocate(65536, 64);
        this.ops = new OpTable(arena);
        this.delivery = new DeliveryQueue(loop, this::deliver, this::passEnded);
        this.outbound = new Outbound(this, arena);
        this.sendShare = settings.sendShare();
        // after every other prepare watcher: sends they queue still go out before the loop waits
        this.flusher = (PrepareWatcher) loop.prepare((w, ev) -> flushSendQueues()).priority(Watcher.MIN_PRIORITY);
        // the engine may take a ring handler tag and register a buffer ring: the last step that can fail
        this.engine = Engine.create(this);
        this.cleanup = loop.cleanup((w, ev) -> close());
        cleanup.start();
    }

    private BufferPool newPool(String name, int count, int size) {
        try {
            return new BufferPool(this, name, count, size, arena);
        } catch (OutOfMemoryError e) {
            // the arena's native memory is bounded (MaxDirectMemorySize): a pool beyond it is a bad size, not a crash
            throw new IllegalArgumentException("the " + name + " pool of " + count + " buffers of " + size + " bytes ("
                    + bytes((long) count * size) + ") does not fit in the memory this JVM may allocate: " + e.getMessage());
        }
    }

    private static String bytes(long n) {
        if (n >= 1L << 30) return (n >> 30) + " GiB";
        if (n >= 1L << 20) return (n >> 20) + " MiB";
        return n + " bytes";
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

    /**
     * Takes a connected stream socket made elsewhere (inherited, passed over a Unix socket, made by another library,
     * handed from another loop) into this Net: the socket is made non-blocking and is this Net's from now on, to use
     * in either style and to close. Nobody else may use or close {@code fd} afterwards. Two or three system calls
     * (what the fd is, then O_NONBLOCK).
     *
     * @throws IllegalArgumentException naming {@code fd} when it is negative, no socket, not a stream socket, a
     *                                  listening socket, or of a family other than INET, INET6 and UNIX
     */
    public StreamSocket adoptStream(int fd) {
        checkOwner();
        return Adoption.stream(this, fd);
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
        if (path == null) throw new IllegalArgumentException("path is null");
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
            else if (o == LinkOption.NOFOLLOW_LINKS) flags |= Fcntl.O_NOFOLLOW;
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

    // ------------------------------------------------------------------------------------------------------------
    // buffers

    /**
     * A buffer of the general pool, empty and yours: fill it and send it, or read a file into it; release it if you do
     * neither. Allocates its handle (16 bytes).
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
        return pool.allocate();
    }

    /** The general pool's buffer size: the most one buffer, a datagram or a file read holds. */
    public int bufferSize() {
        return pool.bufferSize;
    }

    /** Checks that {@code b} is the caller's and belongs to this Net, and takes it for an operation. */
    BufferSlot lend(Buffer b) {
        return BufferPool.lend(b, this);
    }

    BufferPool bufferPoolOf(Op op) {
        return op.kind == Op.RECV || op.recvRing ? recvPool : pool;
    }

    /** The receive share of the README's fairness rule: whether {@code h}'s receives hold all they may. */
    boolean shareFull(IoHandle h) {
        return recvShare > 0 && h.heldBuffers >= recvShare;
    }

    /** {@code op} waits for its connection to give buffers back; the data stays in the socket meanwhile. */
    void pauseForShare(Op op) {
        if (!op.sharePaused) recvSharePauses++;
        op.sharePaused = true;
    }

    /** The per-connection share of pool buffers (see {@link Builder#recvShare}); 0 when unbounded. */
    public int recvShare() {
        return recvShare;
    }

    // ------------------------------------------------------------------------------------------------------------
    // operations

    /** A fresh slot for a {@code kind} operation on {@code h}, live and holding a loop reference. */
    Op acquire(IoHandle h, byte kind, Object callback, long timeoutNanos) {
        Op op = ops.acquire(h, kind, callback, timeoutNanos);
        h.linkLive(op);
        opsStarted++;
        running++;
        loop.ref();
        return op;
    }

    /** The operation slots, for walking every operation (a ring reset). */
    OpTable ops() {
        return ops;
    }

    /** The operation a CQE's payload names, if its generation still matches ({@link OpId}). */
    Op opAt(int index, int gen) {
        return ops.at(index, gen);
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
        Op op = ops.find(operationId);
        return op != null && cancelOp(op);
    }

    boolean cancelOp(Op op) {
        if (op.kind == Op.SEND) return op.state != Op.FINISHING && outbound.cancel(op);
        if (op.kind == Op.RECV && op.handle.readOp == op && (op.handle.parkedHead != null || op.handle.parkedFin)) {
            // paused with results kept: they come first (the stop rule: what arrived before it is delivered), and a
            // receive that had already ended is not cancelled
            if (releaseParked(op.handle)) return false;
        }
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
            engine.ended(op.handle);
            return true;
        }
        engine.cancel(op);
        return true;
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
        op.recvRing = kind == Op.RECVFROM && engine.datagramsFromRecvRing();
        h.readOp = op;
        engine.submit(op);
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
        engine.submit(op);
        return op.id();
    }

    /** Queues a send-side operation (sendTo, shutdown) behind the ones before it. */
    long enqueue(IoHandle h, byte kind, BufferSlot data, Object callback, long timeoutNanos, int report) {
        return enqueue(h, kind, data, callback, timeoutNanos, report, null, 0);
    }

    /** As above, with a destination address (sendTo) copied into the operation's own scratch. */
    long enqueue(IoHandle h, byte kind, BufferSlot data, Object callback, long timeoutNanos, int report,
                 MemorySegment addr, int addrLength) {
        Op op = acquire(h, kind, callback, timeoutNanos);
        op.buffer = data;
        op.report = report;
        if (addr != null) {
            MemorySegment.copy(addr, 0, op.scratch, Op.SCRATCH_ADDR, addrLength);
            op.addrLength = addrLength;
        }
        enqueueOp(op);
        return op.id();
    }

    /**
     * Puts {@code op} at the end of its handle's send queue. Nothing goes to the engine now: the queue is looked at
     * before the loop next waits ({@link #flushSendQueues}), so the sends of one pass of callbacks leave together.
     */
    void enqueueOp(Op op) {
        IoHandle h = op.handle;
        op.state = Op.QUEUED;
        h.sendQueued++;
        if (h.sendTail == null) {
            h.sendHead = h.sendTail = op;
        } else {
            h.sendTail.next = op;
            h.sendTail = op;
        }
        sendQueueChanged(h);
    }

    /** {@code h}'s send queue has work the engine may start: before the loop next waits, it gets the chance. */
    void sendQueueChanged(IoHandle h) {
        if (h.flushQueued || h.closed) return;
        h.flushQueued = true;
        h.flushNext = flushHead;
        flushHead = h;
        if (!flusher.isActive()) flusher.start();
    }

    /** Before the loop waits: each handle whose queue changed gets its next request started (if none is running). */
    private void flushSendQueues() {
        while (flushHead != null) {
            IoHandle h = flushHead;
            flushHead = h.flushNext;
            h.flushNext = null;
            h.flushQueued = false;
            if (!h.closed && h.sendHead != null && h.sendCarrier == null) engine.flushSends(h);
        }
        flusher.stop();
    }

    /** Takes {@code op} out of its handle's send queue. */
    void removeQueued(Op op) {
        IoHandle h = op.handle;
        Op prev = null;
        for (Op o = h.sendHead; o != null; prev = o, o = o.next) {
            if (o == op) {
                if (prev == null) h.sendHead = o.next;
                else prev.next = o.next;
                if (h.sendTail == o) h.sendTail = prev;
                h.sendQueued--;
                break;
            }
        }
        op.next = null;
    }

    /** A single operation not in any queue (file read/write). */
    long startSingle(IoHandle h, byte kind, BufferSlot buffer, long position, Object callback, long timeoutNanos, int report) {
        Op op = acquire(h, kind, callback, timeoutNanos);
        op.buffer = buffer;
        op.position = position;
        op.report = report;
        engine.submit(op);
        return op.id();
    }

    long closeHandle(IoHandle h, CompletionCallback<IoHandle> callback) {
        h.closed = true;
        // end everything still running on it: queued sends first (not in the kernel), then the rest
        for (Op o = h.sendHead; o != null; ) {
            Op next = o.next;
            if (o.state == Op.QUEUED && !o.inFlight && o.done == 0) {
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
        engine.handleClosing(h);
        if (h instanceof StreamListener l) l.closing();
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
     * The close of {@code h} goes to the engine once every other operation of the handle has ended (on io_uring the
     * cancellations take a round trip): the close callback is the handle's last, and the fd is closed after the
     * kernel let go of it.
     */
    private void submitCloseWhenAlone(IoHandle h) {
        Op c = h.closeOp;
        if (c != null && h.liveHead == c && c.liveNext == null) {
            h.closeOp = null;
            engine.submit(c);
        }
    }

    static void checkWaterMarks(int low, int high) {
        if (low < 0 || low >= high) {
            throw new IllegalArgumentException("send water marks: low " + low + " must be at least 0 and below high " + high);
        }
    }

    static void requireCallback(Object callback) {
        if (callback == null) throw new IllegalArgumentException("callback is null");
    }

    // ------------------------------------------------------------------------------------------------------------
    // completion

    /**
     * An engine reports a result. {@code fin}: the operation is over (its slot is freed once the callback ran);
     * otherwise a continuous operation produced one more result. The callback runs from the loop, after the current
     * backend poll or callback returns.
     */
    void complete(Op op, int res, BufferSlot buf, boolean fin) {
        IoHandle ph = op.handle;
        if (ph.recvPaused && op.kind == Op.RECV && ph.readOp == op && !op.cancelRequested && !ph.closed) {
            park(ph, res, buf, fin); // receiving is paused: kept until resumeRecv, nothing reaches the callback
            return;
        }
        if (fin) {
            op.state = Op.FINISHING;
            IoHandle h = op.handle;
            h.unlinkLive(op);
            running--;
            if (op.bufferGranted) bufferPoolOf(op).dropGrant(op);
            if (op.bufferWoken) bufferPoolOf(op).wokenEnded(op);
            if (op.timer != null) op.timer.stop();
            if (h.readOp == op) {
                h.readOp = null;
                if (h instanceof StreamSocket s && s.graceful != null) s.graceful.readSideEnded();
            }
            if (h.connectOp == op) h.connectOp = null;
            if (op.consumesBuffer() && op.buffer != null) {
                op.buffer.pool.recycle(op.buffer);
                op.buffer = null;
            }
            if (op.piece >= 0) outbound.dropPieces(op);
            if (h.sendCarrier == op) h.sendCarrier = null;
        }
        delivery.push(op, res, buf, fin);
        if (fin) {
            IoHandle h = op.handle;
            if (h.sendHead == op) sendDone(op);
            if (h.closeOp != null) submitCloseWhenAlone(h);
        }
    }

    /**
     * A result of {@code h}'s receive while it is paused (a request that was in the kernel when the pause came):
     * kept, in order, for {@link #resumeRecv}. Chunks still count toward the socket's share.
     */
    private void park(IoHandle h, int res, BufferSlot buf, boolean fin) {
        if (buf != null) {
            buf.parkedNext = null;
            if (h.parkedTail == null) h.parkedHead = buf;
            else h.parkedTail.parkedNext = buf;
            h.parkedTail = buf;
        }
        if (fin) {
            h.parkedFin = true;
            h.parkedStatus = res;
        }
    }

    /**
     * What {@code h}'s paused receive kept goes to its callback now (through the delivery queue, in order): the
     * chunks, then its end if it ended. Returns whether it had ended.
     */
    private boolean releaseParked(IoHandle h) {
        Op op = h.readOp;
        BufferSlot s = h.parkedHead;
        h.parkedHead = h.parkedTail = null;
        while (s != null) {
            BufferSlot next = s.parkedNext;
            s.parkedNext = null;
            delivery.push(op, s.length, s, false);
            s = next;
        }
        if (!h.parkedFin) return false;
        h.parkedFin = false;
        boolean paused = h.recvPaused;
        h.recvPaused = false; // (so that complete() lets it through)
        complete(op, h.parkedStatus, null, true);
        h.recvPaused = paused;
        return true;
    }

    /** {@link StreamSocket#pauseRecv()}: no receive callback until {@link #resumeRecv}; the receive keeps running. */
    void pauseRecv(IoHandle h) {
        if (h.recvPaused) return;
        h.recvPaused = true;
        engine.recvPauseChanged(h);
    }

    /** {@link StreamSocket#resumeRecv()}: what was kept is delivered (from the loop), and receiving goes on. */
    void resumeRecv(IoHandle h) {
        if (!h.recvPaused) return;
        h.recvPaused = false;
        Op op = h.readOp;
        if (op != null && op.kind == Op.RECV && releaseParked(h)) return;
        engine.recvPauseChanged(h);
    }

    /** The head of a send queue finished: the next one's turn (the engine starts it before the loop waits). */
    private void sendDone(Op op) {
        IoHandle h = op.handle;
        h.sendHead = op.next;
        if (h.sendTail == op) h.sendTail = null;
        op.next = null;
        h.sendQueued--;
        if (h.sendHead != null) sendQueueChanged(h);
    }

    /** The delivery pass ended: what it changed in the sockets' writability is told now. */
    private void passEnded() {
        outbound.deliverWritability();
    }

    /**
     * Starts {@code t} (an operation's timeout on the readiness engines, a graceful close's deadline) counting from now.
     * A loop timer counts from the loop's time, read when the iteration began (libev's rule), so it would end early by
     * what this pass of callbacks took; net's timeouts promise what io_uring's linked timeouts give: from the call.
     * One clock read.
     */
    void startFromNow(TimerWatcher t) {
        loop.updateNow();
        t.start();
    }

    /** Makes sure a delivery pass runs soon (for news that is not an operation's result: writability). */
    void scheduleDelivery() {
        delivery.schedule();
    }

    /** A result's turn came ({@link DeliveryQueue}): frees a finished slot, hands the buffer over, runs the callback. */
    private void deliver(Op op, int res, BufferSlot slot, boolean fin) {
        IoHandle h = op.handle;
        Object cb = op.callback;
        byte kind = op.kind;
        int report = op.report;
        if (fin) {
            ops.free(op);
            loop.unref();
        }
        Buffer buf = null;
        Accumulator acc = kind == Op.RECV && cb instanceof Accumulator a ? a : null;
        if (slot != null) {
            if (h.closed) { // closed by an earlier callback: the data has no taker
                slot.pool.recycle(slot);
                slot = null;
                if (!fin) return;
            } else if (acc == null) {
                buf = slot.pool.handOut(slot);
            }
        }
        if (kind == Op.ACCEPT && res >= 0 && (closing || closed || cb == null)) {
            // A connection the kernel accepted is the application's even when its listener closed or stopped
            // accepting in between (it was accepted before that took effect): it is delivered, never closed behind the
            // application's back, where its client would see a clean end of a connection no server code ever saw.
            // Only a Net that is closing has no taker for it.
            Unistd.close(callState, res);
            return;
        }
        if (cb == null) return;
        callbacks++;
        long t0 = callbackTimer.start(); // 0 and no clock read unless a recording wants slow callbacks
        try {
            switch (kind) {
                case Op.ACCEPT -> {
                    StreamListener l = (StreamListener) h;
                    ((AcceptCallback) cb).onAccept(l, res >= 0 ? new StreamSocket(this, res, l.family) : null, res >= 0 ? 0 : res);
                }
                case Op.RECV -> {
                    if (acc == null) ((RecvCallback) cb).onRecv((StreamSocket) h, buf, res);
                    else if (slot != null) acc.chunk(slot, res); // no handle: the accumulator shows it in place
                    else acc.end(res);
                }
                case Op.RECVFROM -> ((DatagramCallback) cb).onDatagram((UdpSocket) h, buf, res);
                case Op.READ -> ((ReadCallback) cb).onRead((AsyncFile) h, buf, res);
                case Op.SEND, Op.SENDTO, Op.WRITE -> callComplete(cb, h, res >= 0 ? report : res);
                default -> callComplete(cb, h, res);
            }
        } catch (Throwable t) { // the loop decides what it survives (ExceptionReporter); the handle is the source
            access.reportException(loop, h, t);
        }
        callbackTimer.end(t0, h, cb);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void callComplete(Object cb, IoHandle h, int status) throws Exception {
        ((CompletionCallback) cb).onComplete(h, status);
    }

    // ------------------------------------------------------------------------------------------------------------
    // handles

    void addHandle(IoHandle h) {
        if (h instanceof StreamSocket) CONNECTIONS.setOpaque(this, connections + 1);
        h.nextHandle = handles;
        if (handles != null) handles.prevHandle = h;
        handles = h;
    }

    /** Takes {@code h} off the list of open handles (its close, or its hand-over to another Net: {@link Adoption}). */
    void removeHandle(IoHandle h) {
        if (h instanceof StreamSocket) CONNECTIONS.setOpaque(this, connections - 1);
        if (h.prevHandle != null) h.prevHandle.nextHandle = h.nextHandle;
        else if (handles == h) handles = h.nextHandle;
        if (h.nextHandle != null) h.nextHandle.prevHandle = h.prevHandle;
        h.prevHandle = null;
        h.nextHandle = null;
    }

    // ------------------------------------------------------------------------------------------------------------
    // stats and close

    /**
     * Stream sockets (connections) open in this Net now: accepted, connected, adopted or made by {@link #socketPair()}
     * and not closed yet. Any thread (one opaque read; from another thread, as of the loop's latest change).
     */
    public int connections() {
        return (int) CONNECTIONS.getOpaque(this);
    }

    /** A snapshot of the counters and pool levels (allocates the record; not for every event). */
    public NetStats stats() {
        checkOwner();
        int[] r = recvPool.census();
        int[] g = pool.census();
        return new NetStats(engine.name(), engine.features(), opsStarted, running, callbacks,
                recvPool.count(), r[0], r[1], r[2], recvPool.waits, recvPool.waiting(),
                pool.count(), g[0], g[1], g[2], pool.waits,
                acceptPauses, recvRearms, staleCompletions, recvShare, recvSharePauses,
                outbound.queuedBytes, outbound.unwritable, outbound.spills, outbound.spillBytes, accumulatedBytes,
                zeroCopyWrites);
    }

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
            for (int k = 0; k < ops.size(); k++) {
                Op op = ops.get(k);
                if (op.state == Op.ACTIVE || op.state == Op.QUEUED) {
                    if (op.waitingForBuffer) bufferPoolOf(op).cancelWait(op);
                    op.buffer = null;
                    op.inFlight = false;
                    if (op.handle.sendHead != null) removeQueued(op); // (a no-op for an operation of no queue)
                    complete(op, Status.ECANCELED, null, true);
                }
            }
            engine.close();
            delivery.drain(); // the cancellations, now: the loop may never run again
            recvPool.closeAllViews();
            pool.closeAllViews();
        } finally {
            closed = true;
            delivery.stop();
            cleanup.stop();
            flusher.stop();
        }
    }

    /** Whether {@link #close()} ran. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Net[" + engine.name() + (closed ? ", closed" : "") + "]";
    }
}
