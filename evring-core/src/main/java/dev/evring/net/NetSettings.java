package dev.evring.net;

import dev.evring.EventLoop;
import dev.evring.internal.LoopAccess;

import java.time.Duration;
import java.util.Locale;

/**
 * What a {@link Net} is opened with: the builder's values over the loop's {@code net.*} options (builder
 * {@code option(key, value)} or {@code -Devring.<key>}) over the defaults, every one parsed and checked when the Net
 * opens, whatever the backend: a bad value is refused by name even where the loop runs on epoll and the io_uring
 * switches have no effect. Nothing is allocated or registered before all of them passed.
 */
record NetSettings(boolean readinessOnly, boolean multishotAccept, boolean bufferRing, boolean multishotRecv,
                   int recvBuffers, int recvBufferSize, int buffers, int bufferSize, long acceptBackoffNanos,
                   int recvShare, int sendShare, int sendLowWater, int sendHighWater, int recvAccumulationLimit,
                   int sendZeroCopyMin, boolean recvBundle, boolean recvIncremental, boolean directDescriptors,
                   int directTable, boolean udpMultishot, int udpSendBatch) {
    static final int DEFAULT_RECV_BUFFERS = 256;
    static final int DEFAULT_RECV_BUFFER_SIZE = 16384;
    static final int DEFAULT_BUFFERS = 256;
    static final int DEFAULT_BUFFER_SIZE = 16384;
    static final long DEFAULT_ACCEPT_BACKOFF_MILLIS = 100;
    /** Netty's default water marks (WriteBufferWaterMark.DEFAULT). */
    static final int DEFAULT_SEND_LOW_WATER = 32 * 1024;
    static final int DEFAULT_SEND_HIGH_WATER = 64 * 1024;
    static final int DEFAULT_RECV_ACCUMULATION_LIMIT = 1 << 20;
    static final int MAX_RECV_ACCUMULATION_LIMIT = 1 << 30;
    /** Slots of the ring's file table for direct descriptors, and the kernel's most (IORING_MAX_FIXED_FILES). */
    static final int DEFAULT_DIRECT_TABLE = 4096;
    static final int MAX_DIRECT_TABLE = 1 << 20;
    /** The most datagrams of one UDP socket's send queue sent in one sendmmsg(2) (io_uring). */
    static final int DEFAULT_UDP_SEND_BATCH = 64;
    static final int MAX_UDP_SEND_BATCH = 256;

    /** Reads and checks everything; {@code b*} are the builder's values, negative when it was not given one. */
    static NetSettings of(EventLoop loop, LoopAccess access, int bRecvBuffers, int bRecvBufferSize, int bBuffers,
                          int bBufferSize, long bAcceptBackoffNanos, int bRecvShare, int bLowWater, int bHighWater,
                          int bAccumulationLimit, int bZeroCopyMin) {
        Options o = new Options(loop, access);
        String completion = o.get("net.completion", "auto");
        if (!completion.equals("auto") && !completion.equals("readiness")) {
            throw new IllegalArgumentException("option net.completion=" + completion + " is not auto or readiness");
        }
        boolean multishotAccept = o.flag("net.multishot_accept", true);
        boolean bufferRing = o.flag("net.buffer_ring", true);
        boolean multishotRecv = o.flag("net.multishot_recv", true);
        boolean recvBundle = o.flag("net.recv_bundle", true);
        boolean recvIncremental = o.flag("net.recv_incremental", false);
        boolean direct = o.flag("net.direct_descriptors", false);
        int directTable = o.integer("net.direct_descriptors_table", DEFAULT_DIRECT_TABLE, 1, MAX_DIRECT_TABLE);
        boolean udpMultishot = o.flag("net.udp_multishot", false);
        int udpSendBatch = o.integer("net.udp_send_batch", DEFAULT_UDP_SEND_BATCH, 1, MAX_UDP_SEND_BATCH);
        // every option is read and checked, also those the builder's values override
        int rc = o.integer("net.recv_buffers", DEFAULT_RECV_BUFFERS, 1, BufferPool.MAX_COUNT);
        int rs = o.integer("net.recv_buffer_size", DEFAULT_RECV_BUFFER_SIZE, BufferPool.MIN_SIZE, BufferPool.MAX_SIZE);
        int gc = o.integer("net.buffers", DEFAULT_BUFFERS, 1, BufferPool.MAX_COUNT);
        int gs = o.integer("net.buffer_size", DEFAULT_BUFFER_SIZE, BufferPool.MIN_SIZE, BufferPool.MAX_SIZE);
        long backoff = o.integer("net.accept_backoff_ms", (int) DEFAULT_ACCEPT_BACKOFF_MILLIS, 1, Integer.MAX_VALUE) * 1_000_000L;
        if (bRecvBuffers >= 0) {
            rc = bRecvBuffers;
            rs = bRecvBufferSize;
        }
        if (bBuffers >= 0) {
            gc = bBuffers;
            gs = bBufferSize;
        }
        if (bAcceptBackoffNanos > 0) backoff = bAcceptBackoffNanos;
        int share = o.integer("net.recv_share", -1, 0, BufferPool.MAX_COUNT);
        if (bRecvShare >= 0) share = bRecvShare;
        if (share < 0) share = defaultShare(Math.max(rc, gc));
        share = Math.min(share, Math.max(rc, gc));
        int low = o.integer("net.send_low_water", DEFAULT_SEND_LOW_WATER, 0, Integer.MAX_VALUE);
        int high = o.integer("net.send_high_water", DEFAULT_SEND_HIGH_WATER, 1, Integer.MAX_VALUE);
        if (bHighWater > 0) {
            low = bLowWater;
            high = bHighWater;
        }
        if (low >= high) {
            throw new IllegalArgumentException("send low-water mark " + low + " is not below the high-water mark " + high);
        }
        int accumulation = o.integer("net.recv_accumulation_limit", DEFAULT_RECV_ACCUMULATION_LIMIT, BufferPool.MIN_SIZE,
                MAX_RECV_ACCUMULATION_LIMIT);
        if (bAccumulationLimit > 0) accumulation = bAccumulationLimit;
        int zc = o.integer("net.send_zc_min", 0, 0, Integer.MAX_VALUE);
        if (bZeroCopyMin >= 0) zc = bZeroCopyMin;
        return new NetSettings(completion.equals("readiness"), multishotAccept, bufferRing, multishotRecv,
                rc, rs, gc, gs, backoff, share, defaultShare(gc), low, high, accumulation, zc, recvBundle,
                recvIncremental, direct, directTable, udpMultishot, udpSendBatch);
    }

    /**
     * The default share of a socket: 16 buffers, or a sixteenth of the pool when that is more, so that up to fifteen
     * connections whose peers stopped reading leave the rest of the pool to the others; never more than the pool.
     */
    static int defaultShare(int poolCount) {
        return Math.min(poolCount, Math.max(16, poolCount / 16));
    }

    /** Whether an io_uring fallback was forced off by an option (for the stats' description). */
    boolean fallbacksForced() {
        return !multishotAccept || !bufferRing || !multishotRecv;
    }

    /**
     * A positive {@code Duration} as nanoseconds, refused by name when it is not positive or does not fit a long of
     * nanoseconds (about 292 years).
     */
    static long positiveNanos(String what, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " " + d + " must be positive");
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + " " + d + " is too long: at most " + Duration.ofNanos(Long.MAX_VALUE));
        }
    }

    /** The loop's raw option values, parsed here: net owns the meaning of its keys. */
    private record Options(EventLoop loop, LoopAccess access) {
        String get(String key, String def) {
            String v = access.option(loop, key);
            return v == null ? def : v;
        }

        boolean flag(String key, boolean def) {
            String v = access.option(loop, key);
            if (v == null) return def;
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "on", "yes", "1" -> true;
                case "false", "off", "no", "0" -> false;
                default -> throw new IllegalArgumentException("option " + key + "=" + v + " is not a boolean (true/false)");
            };
        }

        int integer(String key, int def, int min, int max) {
            String v = access.option(loop, key);
            if (v == null) return def;
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("option " + key + "=" + v + " is not an integer");
            }
            if (n < min || n > max) throw new IllegalArgumentException("option " + key + "=" + v + " outside [" + min + ", " + max + "]");
            return n;
        }
    }
}
