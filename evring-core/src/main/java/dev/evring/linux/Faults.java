package dev.evring.linux;

import java.util.Arrays;

/**
 * Fault injection at the system-call seam, for tests only: makes chosen calls return chosen results, so that every
 * errno branch above this layer can be run on purpose (EINTR, EAGAIN, ENOMEM, EBADF, ECONNRESET, ...) and short reads,
 * writes and submissions happen when a test wants them. Not public API (the package is not exported) and not a user
 * option.
 *
 * <p><b>Off, and free, unless the JVM was started with {@code -Devring.test.faults=true}</b>, which only evring-core's
 * test configuration (surefire's argLine) sets. Each wrapper that can fail tests {@link #ENABLED}, a static final that
 * the JIT folds away when false; when true but no rule is installed it costs one volatile read.
 *
 * <p>A test installs a rule and removes it when done (a rule is {@link AutoCloseable}):
 * <pre>{@code
 * try (Faults.Rule r = Faults.on(Faults.Call.RECV).fd(fd).fail(Errno.ECONNRESET)) {
 *     loop.runOnce();                      // the next recv on fd returns -ECONNRESET without reaching the kernel
 *     assertEquals(1, r.hits());           // prove the fault was met, so the test cannot pass vacuously
 * }
 * Faults.on(Faults.Call.WRITE).fd(fd).times(3).limit(1);       // the next 3 writes on fd move at most 1 byte each
 * Faults.on(Faults.Call.IO_URING_ENTER).limit(1);              // the kernel is offered at most 1 SQE: a partial submit
 * Faults.on(Faults.Call.EPOLL_WAIT).skip(2).fail(Errno.EINTR); // the third epoll_wait fails with EINTR
 * Faults.clear();                                              // removes every rule (an @AfterEach)
 * }</pre>
 * A rule applies to the thread that installed it unless {@link Rule#anyThread()} says otherwise (a test's client
 * threads and other tests' loops are left alone), to one fd or any ({@link Rule#fd}), for the next {@link Rule#times}
 * matching calls (1 by default) after {@link Rule#skip skipping} some. {@code fail(errno)}: the wrapper returns
 * {@code -errno} without making the call, as a kernel that refused it at once would. {@code limit(n)}: the call is made
 * with its count cut to {@code n} (bytes for read/write/pread/pwrite/recv/send, SQEs offered for io_uring_enter,
 * events for epoll_wait), as a kernel that moved less would. Where the first rule that matches is met, later ones wait.
 * Ring-level faults (injected CQEs, a CQ overflow, SQEs the kernel rejects) are in {@code dev.evring.uring.RingFaults}.
 */
public final class Faults {
    private Faults() {}

    /** True only in a JVM started with {@code -Devring.test.faults=true}. */
    public static final boolean ENABLED = Boolean.getBoolean("evring.test.faults");

    /** Any fd, for {@link Rule#fd}. */
    public static final int ANY_FD = Integer.MIN_VALUE;

    /** The calls that can be made to fail, by the wrapper that makes them. */
    public enum Call {
        READ, WRITE, PREAD, PWRITE,
        /** recv and recvfrom. */
        RECV,
        /** send and sendto. */
        SEND,
        RECVMSG, SENDMSG, ACCEPT4, CONNECT, SHUTDOWN, CLOSE,
        EVENTFD, TIMERFD_CREATE, TIMERFD_SETTIME,
        EPOLL_CREATE1, EPOLL_CTL, EPOLL_WAIT, POLL,
        IO_URING_SETUP, IO_URING_ENTER, IO_URING_REGISTER, MMAP
    }

    /** One planned fault. Install it with {@link #fail} or {@link #limit}; remove it with {@link #close}. */
    public static final class Rule implements AutoCloseable {
        private final Call call;
        private int fd = ANY_FD;
        private Thread thread = Thread.currentThread();
        private int skip;
        private int times = 1;
        private int errno;
        private long limit = -1;
        private volatile int hits;
        private volatile boolean installed;

        private Rule(Call call) {
            this.call = call;
        }

        /** Only calls on {@code fd} ({@link #ANY_FD}: every fd; the default). */
        public Rule fd(int fd) {
            this.fd = fd;
            return this;
        }

        /** Calls from any thread, not only the installing one. */
        public Rule anyThread() {
            this.thread = null;
            return this;
        }

        /** Lets the first {@code n} matching calls through untouched. */
        public Rule skip(int n) {
            if (n < 0) throw new IllegalArgumentException("skip " + n + " is negative");
            this.skip = n;
            return this;
        }

        /** Applies to {@code n} matching calls (default 1; {@link Integer#MAX_VALUE}: until closed). */
        public Rule times(int n) {
            if (n < 1) throw new IllegalArgumentException("times " + n + " is not positive");
            this.times = n;
            return this;
        }

        /** Installs the rule: matching calls return {@code -errno} without reaching the kernel. */
        public Rule fail(int errno) {
            if (errno <= 0) throw new IllegalArgumentException("errno " + errno + " is not positive");
            this.errno = errno;
            install(this);
            return this;
        }

        /** Installs the rule: matching calls are made with their count cut to at most {@code n}. */
        public Rule limit(long n) {
            if (n < 0) throw new IllegalArgumentException("limit " + n + " is negative");
            this.limit = n;
            install(this);
            return this;
        }

        /** How many calls this rule changed so far. */
        public int hits() {
            return hits;
        }

        /** Whether the rule has applied as many times as it was told to. */
        public boolean spent() {
            return hits >= times;
        }

        /** Removes the rule. */
        @Override
        public void close() {
            remove(this);
        }

        @Override
        public String toString() {
            return call + (fd == ANY_FD ? "" : " fd " + fd) + (errno != 0 ? " fails with " + Errno.name(errno)
                    : " limited to " + limit) + ", " + hits + "/" + times + " applied";
        }
    }

    private static volatile Rule[] rules = new Rule[0];

    /** A rule for {@code call}, to be set up and then installed by {@link Rule#fail} or {@link Rule#limit}. */
    public static Rule on(Call call) {
        if (!ENABLED) {
            throw new IllegalStateException("fault injection is off: run the JVM with -Devring.test.faults=true");
        }
        return new Rule(call);
    }

    /** Removes every rule. */
    public static synchronized void clear() {
        for (Rule r : rules) r.installed = false;
        rules = new Rule[0];
    }

    private static synchronized void install(Rule r) {
        if (r.installed) throw new IllegalStateException("rule already installed: " + r);
        r.installed = true;
        Rule[] now = Arrays.copyOf(rules, rules.length + 1);
        now[now.length - 1] = r;
        rules = now;
    }

    private static synchronized void remove(Rule r) {
        if (!r.installed) return;
        r.installed = false;
        rules = Arrays.stream(rules).filter(x -> x != r).toArray(Rule[]::new);
    }

    /**
     * For the wrappers, under {@code if (Faults.ENABLED)}: what to do with a call of {@code call} on {@code fd} that
     * would move {@code count}. Returns {@code -errno} to return without calling, else the count to call with.
     */
    static long apply(Call call, int fd, long count) {
        Rule[] rs = rules;
        return rs.length == 0 ? count : applySlowPath(rs, call, fd, count);
    }

    /** {@link #apply} for calls without a count: 0 to go ahead, or {@code -errno}. */
    static int check(Call call, int fd) {
        return (int) apply(call, fd, 0);
    }

    private static long applySlowPath(Rule[] rs, Call call, int fd, long count) {
        Thread me = Thread.currentThread();
        for (Rule r : rs) {
            if (r.call != call || (r.fd != ANY_FD && r.fd != fd) || (r.thread != null && r.thread != me)) continue;
            synchronized (Faults.class) {
                if (!r.installed || r.hits >= r.times) continue;
                if (r.skip > 0) {
                    r.skip--;
                    return count;
                }
                r.hits++;
            }
            return r.errno != 0 ? -r.errno : Math.min(count, r.limit);
        }
        return count;
    }
}
