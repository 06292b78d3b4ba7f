/*
 * The load generator of the echo, bulk and memory benchmarks: TCP connections to an echo server on 127.0.0.1:PORT.
 *
 * It is built to cost less per byte and per message than the servers it measures: io_uring through raw system calls
 * (no liburing), one recv always posted per connection, the messages a recv completes answered by one send, and
 * every recv and send of a pass over the completion queue submitted by one io_uring_enter. Where io_uring cannot be
 * set up it says so and exits (the harness reports it).
 *
 *   echo_load echo <port> <conns> <inflight> <size> <warmup_ms> <window_ms> [<pause_ms>]
 *       each connection keeps INFLIGHT messages of SIZE bytes in flight; each message carries its send time, the
 *       echo's arrival time minus it is the latency (a 1 MiB message is a block echoed whole before the next).
 *       With PAUSE_MS > 0 the connections are idle most of the time: each waits PAUSE_MS after its echoes came back
 *       before it sends again (an IORING_OP_TIMEOUT of its own), and connection i first sends i * PAUSE_MS / CONNS
 *       after the start, so that the connections take their turns instead of all sending at once
 *   echo_load stream <port> <conns> <size> <warmup_ms> <window_ms>
 *       bulk transfer: each connection writes SIZE-byte writes back to back, never waiting for the echo, while its
 *       recv drains what comes back; the bytes not yet back are capped at STREAM_WRITES writes per connection, so
 *       the server is never asked to queue without bound. No latency: there is no message to time
 *   echo_load udp <port> <clients> <inflight> <size> <warmup_ms> <window_ms>
 *       UDP echo: each client (a connected UDP socket) keeps INFLIGHT datagrams of SIZE bytes in flight, each
 *       carrying its send time, its slot and the slot's sequence number; an echo of the slot's current number is a
 *       round trip (latency) and sends the slot's next datagram. A slot with no echo after UDP_LOSS_MS is counted
 *       lost and sends its next datagram (a tick every UDP_TICK_MS looks); an echo of a number given up on, or of a
 *       wrong size, is counted late and dropped. So loss lowers the rate and is reported; it never stops the load
 *   echo_load idle <port> <conns> <size>
 *       opens CONNS connections and holds them, doing nothing until told on stdin: "ping" sends one SIZE-byte message
 *       on every connection and waits for every echo; "close" (or the end of stdin) closes them all and exits
 *
 * Output (DriverProtocol-like lines the harness reads): echo and stream print "window-start", "window-end", then
 *   "stats messages=<n> bytes=<n> seconds=<s> client_cpu_seconds=<s> errors=<n>" (udp adds "lost=<n> late=<n>",
 *   counted in the window) and, for echo and udp,
 *   "hist <lower_bound_ns> <count>" lines; idle prints "connected <n> <ms>", "echoed <n> <ms>" per ping, "closed".
 *   A failure is "error <what>" and exit status 3; bad arguments exit with status 2. The window of echo and stream
 *   starts after the warm-up once every connection has had an answer (30 s more at most, then an error).
 */
#include "bench_common.h"
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <stdatomic.h>

/* ---- latency histogram: exact below 256 ns, then 128 sub-buckets per power of two (< 0.8% error) ---- */
#define HIST_BUCKETS (256 + 56 * 128)
static uint64_t hist[HIST_BUCKETS];

static inline int hist_index(uint64_t v) {
    if (v < 256) return (int)v;
    int e = 63 - __builtin_clzll(v);           /* >= 8 */
    int m = (int)(v >> (e - 7));               /* 128..255 */
    int idx = 256 + (e - 8) * 128 + (m - 128);
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static inline uint64_t hist_value(int idx) {
    if (idx < 256) return (uint64_t)idx;
    int e = (idx - 256) / 128 + 8, m = (idx - 256) % 128 + 128;
    return (uint64_t)m << (e - 7);
}

/* ---- a minimal io_uring: setup, mmap, SQE get, submit-and-wait, CQ reap ---- */
struct ring {
    int fd;
    unsigned sq_entries;
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
    unsigned sq_local_tail, to_submit;
};

static int ring_init(struct ring *r, unsigned entries) {
    struct io_uring_params p;
    unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0};
    int fd = -1;
    for (unsigned i = 0; i < sizeof flag_sets / sizeof flag_sets[0] && fd < 0; i++) {
        memset(&p, 0, sizeof p);
        p.flags = flag_sets[i] | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP; /* CLAMP: 4 x 32768 is past the CQ's limit */
        p.cq_entries = entries * 4;
        fd = (int)syscall(__NR_io_uring_setup, entries, &p);
    }
    if (fd < 0) return -errno;
    r->fd = fd;
    size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) { if (cq_sz > sq_sz) sq_sz = cq_sz; cq_sz = sq_sz; }
    char *sq = mmap(0, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    if (sq == MAP_FAILED) return -errno;
    char *cq = sq;
    if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
        cq = mmap(0, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
        if (cq == MAP_FAILED) return -errno;
    }
    r->sqes = mmap(0, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (r->sqes == MAP_FAILED) return -errno;
    r->sq_head = (unsigned *)(sq + p.sq_off.head);
    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    r->sq_entries = p.sq_entries;
    r->sq_local_tail = *r->sq_tail;
    r->to_submit = 0;
    return 0;
}

static int ring_enter(struct ring *r, unsigned min_complete) {
    /* publish the SQ tail: pairs with the kernel's acquire of it */
    atomic_store_explicit((_Atomic unsigned *)r->sq_tail, r->sq_local_tail, memory_order_release);
    int n = (int)syscall(__NR_io_uring_enter, r->fd, r->to_submit, min_complete, IORING_ENTER_GETEVENTS, NULL, 0);
    if (n < 0) return -errno;
    r->to_submit -= (unsigned)n < r->to_submit ? (unsigned)n : r->to_submit;
    return n;
}

static struct io_uring_sqe *ring_sqe(struct ring *r) {
    unsigned head = atomic_load_explicit((_Atomic unsigned *)r->sq_head, memory_order_acquire);
    if (r->sq_local_tail - head >= r->sq_entries) {
        if (ring_enter(r, 0) < 0) return NULL;
        head = atomic_load_explicit((_Atomic unsigned *)r->sq_head, memory_order_acquire);
        if (r->sq_local_tail - head >= r->sq_entries) return NULL;
    }
    unsigned idx = r->sq_local_tail & *r->sq_mask;
    r->sq_array[idx] = idx;
    r->sq_local_tail++;
    r->to_submit++;
    struct io_uring_sqe *sqe = &r->sqes[idx];
    memset(sqe, 0, sizeof *sqe);
    return sqe;
}

/* ---- the load ---- */
/* what a CQE's user_data says besides the connection: (i << 2) | kind */
enum { OP_RECV = 0, OP_SEND = 1, OP_PAUSE = 2 };

struct conn {
    int fd;
    char *rbuf;
    unsigned rlen;       /* bytes of a partial message kept at the start of rbuf */
    char *wbuf;
    unsigned wlen, woff; /* bytes of the send in flight, and how many of them went */
    unsigned owed;       /* messages to send once the send in flight completes (or, paced, once the pause ends) */
    unsigned unanswered; /* stream mode: bytes sent whose echo has not come back yet */
    int send_busy;
    int answered;        /* whether anything came back on it yet: the window waits for every connection's first */
    uint64_t *sent_at;   /* udp: each slot's send time, and the sequence number its echo must carry */
    uint32_t *seq;
};

/* stream mode: the writes a connection may have sent whose echo has not come back yet */
#define STREAM_WRITES 4

static struct ring ring;
static struct conn *conns;
static unsigned msg_size, inflight, rbuf_size, wbuf_size;
static int running = 1, measuring = 0, streaming = 0;
static uint64_t pause_ns; /* echo mode, paced: the idle time of a connection between its round trips */
static uint64_t received_in_window, bytes_in_window, errors;
static int udp = 0;
static uint64_t lost_in_window, late_in_window;
/* udp: a datagram whose echo has not come back after this long is lost; the tick that looks for them */
#define UDP_LOSS_NS (200ull * 1000000ull)
#define UDP_TICK_NS (20ull * 1000000ull)
static unsigned answered_conns;
/* how long past the warm-up the window waits for connections that never had an answer before it gives up */
#define STRAGGLER_LIMIT_NS (30ull * 1000000000ull)

static void mark_answered(struct conn *c) {
    if (!c->answered) {
        c->answered = 1;
        answered_conns++;
    }
}

static int post_recv(unsigned i) {
    struct io_uring_sqe *s = ring_sqe(&ring);
    if (!s) return -1;
    s->opcode = IORING_OP_RECV;
    s->fd = conns[i].fd;
    s->addr = (uint64_t)(uintptr_t)(conns[i].rbuf + conns[i].rlen);
    s->len = rbuf_size - conns[i].rlen;
    s->user_data = ((uint64_t)i << 2) | OP_RECV;
    return 0;
}

static int post_send(unsigned i) {
    struct conn *c = &conns[i];
    struct io_uring_sqe *s = ring_sqe(&ring);
    if (!s) return -1;
    s->opcode = IORING_OP_SEND;
    s->fd = c->fd;
    s->addr = (uint64_t)(uintptr_t)(c->wbuf + c->woff);
    s->len = c->wlen - c->woff;
    s->msg_flags = MSG_NOSIGNAL;
    s->user_data = ((uint64_t)i << 2) | OP_SEND;
    c->send_busy = 1;
    return 0;
}

/* Paced echo: the connection's next send waits `ns` (a relative IORING_OP_TIMEOUT; the kernel copies the timespec
 * when it takes the SQE in, so one per connection, written here, is never read late). */
static struct __kernel_timespec *pause_ts;

static int post_pause(unsigned i, uint64_t ns) {
    struct io_uring_sqe *s = ring_sqe(&ring);
    if (!s) return -1;
    pause_ts[i].tv_sec = (long long)(ns / 1000000000ull);
    pause_ts[i].tv_nsec = (long long)(ns % 1000000000ull);
    s->opcode = IORING_OP_TIMEOUT;
    s->fd = -1;
    s->addr = (uint64_t)(uintptr_t)&pause_ts[i];
    s->len = 1;
    s->off = 0; /* no completion count: a pure timer, ending with -ETIME */
    s->user_data = ((uint64_t)i << 2) | OP_PAUSE;
    return 0;
}

/* Stamps `count` messages with the time now and sends them in one send. */
static int send_messages(unsigned i, unsigned count) {
    struct conn *c = &conns[i];
    if (count * msg_size > wbuf_size) count = wbuf_size / msg_size;
    uint64_t t = now_ns();
    for (unsigned m = 0; m < count; m++) memcpy(c->wbuf + (size_t)m * msg_size, &t, sizeof t);
    c->wlen = count * msg_size;
    c->woff = 0;
    return post_send(i);
}

/* Stream mode: one more SIZE-byte write if fewer than STREAM_WRITES writes are unanswered and none is in flight. */
static int stream_more(unsigned i) {
    struct conn *c = &conns[i];
    if (!running || c->send_busy || c->unanswered + msg_size > STREAM_WRITES * msg_size) return 0;
    c->wlen = msg_size;
    c->woff = 0;
    c->unanswered += msg_size;
    return post_send(i);
}

static int on_recv(unsigned i, int res) {
    struct conn *c = &conns[i];
    if (res <= 0) {
        if (res == -EINTR || res == -EAGAIN) return post_recv(i);
        errors++;
        return running ? -1 : 0;
    }
    mark_answered(c);
    if (streaming) { /* the bytes only count; rbuf is overwritten by the next recv */
        if (measuring) bytes_in_window += (unsigned)res;
        c->unanswered -= (unsigned)res < c->unanswered ? (unsigned)res : c->unanswered;
        if (stream_more(i) < 0) return -1;
        return post_recv(i);
    }
    c->rlen += (unsigned)res;
    unsigned whole = c->rlen / msg_size;
    uint64_t t = now_ns();
    for (unsigned m = 0; m < whole; m++) {
        uint64_t sent;
        memcpy(&sent, c->rbuf + (size_t)m * msg_size, sizeof sent);
        if (measuring) {
            hist[hist_index(t > sent ? t - sent : 0)]++;
            received_in_window++;
            bytes_in_window += msg_size;
        }
    }
    unsigned rest = c->rlen - whole * msg_size;
    if (rest) memmove(c->rbuf, c->rbuf + (size_t)whole * msg_size, rest);
    c->rlen = rest;
    if (running && whole) {
        if (pause_ns) { /* all of this connection's messages are back (one in flight): rest, then send */
            c->owed += whole;
            if (c->owed == inflight && post_pause(i, pause_ns) < 0) return -1;
        } else if (c->send_busy) c->owed += whole;
        else if (send_messages(i, whole) < 0) return -1;
    }
    return post_recv(i);
}

static int on_pause(unsigned i, int res) {
    struct conn *c = &conns[i];
    if (res != -ETIME && res != 0) {
        if (res == -ECANCELED && !running) return 0;
        errors++;
        return running ? -1 : 0;
    }
    if (!running || !c->owed) return 0;
    if (c->send_busy) return post_pause(i, 10000); /* the last send's completion is not in yet: its buffer is busy */
    unsigned n = c->owed;
    c->owed = 0;
    return send_messages(i, n);
}

static int on_send(unsigned i, int res) {
    struct conn *c = &conns[i];
    c->send_busy = 0;
    if (res < 0) {
        errors++;
        return running ? -1 : 0;
    }
    c->woff += (unsigned)res;
    if (c->woff < c->wlen) return post_send(i); /* a short send: the rest goes next */
    if (streaming) return stream_more(i);
    if (running && c->owed && !pause_ns) {
        unsigned n = c->owed;
        c->owed = 0;
        return send_messages(i, n);
    }
    return 0;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Opens n blocking TCP connections to 127.0.0.1:port (TCP_NODELAY), or with `udp` n connected UDP sockets, into
 * conns, with buffers of rbuf_size and wbuf_size. Returns 0, or 3 after printing the error line. */
static int connect_all(int port, unsigned n) {
    conns = calloc(n, sizeof *conns);
    if (!conns) {
        printf("error out of memory for %u connections\n", n);
        return 3;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (unsigned i = 0; i < n; i++) {
        int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            printf("error connect #%u: %s\n", i, strerror(errno));
            return 3;
        }
        int one = 1;
        if (!udp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns[i].fd = fd;
        conns[i].rbuf = calloc(1, rbuf_size);
        conns[i].wbuf = calloc(1, wbuf_size);
        if (!conns[i].rbuf || !conns[i].wbuf) {
            printf("error out of memory for connection #%u\n", i);
            return 3;
        }
        memset(conns[i].wbuf, 'x', wbuf_size);
        if (udp && (!(conns[i].sent_at = calloc(inflight, sizeof(uint64_t))) || !(conns[i].seq = calloc(inflight, sizeof(uint32_t))))) {
            printf("error out of memory for client #%u\n", i);
            return 3;
        }
    }
    return 0;
}

/* A ring big enough for a recv and a send on each of n connections at once. Returns 0, or 3 after the error line. */
static int setup_ring(unsigned n) {
    unsigned entries = 1;
    while (entries < 2 * n + 8) entries <<= 1;
    if (entries > 32768) entries = 32768;
    int e = ring_init(&ring, entries);
    if (e < 0) {
        printf("error io_uring_setup: %s\n", strerror(-e));
        return 3;
    }
    return 0;
}

/* Passes over the completion queue once (after an enter that waits for one), handing each CQE to its connection. */
static int reap(unsigned n, int (*on_cqe)(unsigned i, int kind, int res)) {
    int r = ring_enter(&ring, 1);
    if (r < 0 && r != -EINTR && r != -EBUSY) {
        printf("error io_uring_enter: %s\n", strerror(-r));
        return 3;
    }
    unsigned head = *ring.cq_head;
    /* the CQ tail is written by the kernel: acquire pairs with its release */
    unsigned tail = atomic_load_explicit((_Atomic unsigned *)ring.cq_tail, memory_order_acquire);
    for (; head != tail; head++) {
        struct io_uring_cqe *cqe = &ring.cqes[head & *ring.cq_mask];
        uint64_t ud = cqe->user_data;
        unsigned i = (unsigned)(ud >> 2);
        if (i >= n) continue;
        if (on_cqe(i, (int)(ud & 3), cqe->res) < 0) {
            printf("error connection %u: %s\n", i, cqe->res < 0 ? strerror(-cqe->res) : "closed by the server");
            return 3;
        }
    }
    /* release the CQ slots: pairs with the kernel's acquire of the head */
    atomic_store_explicit((_Atomic unsigned *)ring.cq_head, head, memory_order_release);
    return 0;
}

static int on_load_cqe(unsigned i, int kind, int res) {
    return kind == OP_SEND ? on_send(i, res) : kind == OP_PAUSE ? on_pause(i, res) : on_recv(i, res);
}

/* ---- udp: datagram i/slot carries [send time 8][slot 4][seq 4], the rest 'x' ---- */
static int udp_send(unsigned i, unsigned slot, uint64_t t) {
    struct conn *c = &conns[i];
    char *d = c->wbuf + (size_t)slot * msg_size;
    uint32_t seq = ++c->seq[slot];
    c->sent_at[slot] = t;
    memcpy(d, &t, 8);
    memcpy(d + 8, &slot, 4);
    memcpy(d + 12, &seq, 4);
    struct io_uring_sqe *s = ring_sqe(&ring);
    if (!s) return -1;
    s->opcode = IORING_OP_SEND;
    s->fd = c->fd;
    s->addr = (uint64_t)(uintptr_t)d;
    s->len = msg_size;
    s->user_data = ((uint64_t)i << 2) | OP_SEND;
    return 0;
}

static int on_udp_recv(unsigned i, int res) {
    struct conn *c = &conns[i];
    if (res < 0) { /* ECONNREFUSED: an ICMP error for an earlier datagram (the server was not up yet): go on */
        if (res != -EINTR && res != -EAGAIN && res != -ECONNREFUSED) errors++;
        return running ? post_recv(i) : 0;
    }
    uint64_t sent;
    uint32_t slot, seq;
    memcpy(&sent, c->rbuf, 8);
    memcpy(&slot, c->rbuf + 8, 4);
    memcpy(&seq, c->rbuf + 12, 4);
    if ((unsigned)res != msg_size || slot >= inflight || seq != c->seq[slot]) { /* given up on, or not ours */
        if (measuring) late_in_window++;
        return running ? post_recv(i) : 0;
    }
    uint64_t t = now_ns();
    mark_answered(c);
    if (measuring) {
        hist[hist_index(t > sent ? t - sent : 0)]++;
        received_in_window++;
        bytes_in_window += msg_size;
    }
    if (!running) return 0;
    if (udp_send(i, slot, t) < 0) return -1;
    return post_recv(i);
}

/* the tick: every slot whose datagram is older than UDP_LOSS_NS counts as lost and sends its next */
static int on_udp_tick(unsigned n) {
    if (!running) return 0;
    uint64_t t = now_ns();
    for (unsigned i = 0; i < n; i++) {
        for (unsigned slot = 0; slot < inflight; slot++) {
            if (t - conns[i].sent_at[slot] < UDP_LOSS_NS) continue;
            if (measuring) lost_in_window++;
            if (udp_send(i, slot, t) < 0) return -1;
        }
    }
    return post_pause(n, UDP_TICK_NS);
}

static unsigned udp_clients;

static int on_udp_cqe(unsigned i, int kind, int res) {
    if (i == udp_clients) return on_udp_tick(udp_clients); /* (the tick's user_data names no client) */
    if (kind == OP_SEND) { /* a send that failed is a datagram the tick will find lost */
        if (res < 0 && res != -ECONNREFUSED) errors++;
        return 0;
    }
    return on_udp_recv(i, res);
}

/* echo and stream: the load, a warm-up, then one measured window; prints the window's figures. */
static int run_load(int port, unsigned n, uint64_t warmup_ns, uint64_t window_ns) {
    int e = setup_ring(n);
    if (e) return e;
    if ((e = connect_all(port, n))) return e;
    if ((pause_ns || udp) && !(pause_ts = calloc(n + 1, sizeof *pause_ts))) {
        printf("error out of memory for %u timers\n", n);
        return 3;
    }
    for (unsigned i = 0; i < n; i++) {
        int first = 0;
        if (udp) {
            for (unsigned slot = 0; slot < inflight && first == 0; slot++) first = udp_send(i, slot, now_ns());
        } else if (streaming) first = stream_more(i);
        else if (pause_ns) { /* the connections take their turns: i's first message after i/n of a pause */
            conns[i].owed = inflight;
            first = post_pause(i, pause_ns * i / n + 1);
        } else first = send_messages(i, inflight);
        if (post_recv(i) < 0 || first < 0) {
            printf("error submission queue full\n");
            return 3;
        }
    }
    udp_clients = n;
    if (udp && post_pause(n, UDP_TICK_NS) < 0) {
        printf("error submission queue full\n");
        return 3;
    }
    uint64_t start = now_ns(), window_start = 0, window_end = 0;
    double cpu_start = 0, cpu_end = 0;
    uint64_t received_at_end = 0, bytes_at_end = 0, lost_at_end = 0, late_at_end = 0;
    while (running) {
        if ((e = udp ? reap(n + 1, on_udp_cqe) : reap(n, on_load_cqe))) return e;
        uint64_t t = now_ns();
        if (!measuring && window_start == 0 && t - start >= warmup_ns && answered_conns < n
            && t - start >= warmup_ns + STRAGGLER_LIMIT_NS) {
            printf("error only %u of %u connections had an answer %llu s after the warm-up\n", answered_conns, n,
                   (unsigned long long)(STRAGGLER_LIMIT_NS / 1000000000ull));
            return 3;
        }
        /* the window starts after the warm-up, once every connection has had an answer (a server still accepting
         * or starting threads for thousands of connections is still warming up) */
        if (!measuring && window_start == 0 && t - start >= warmup_ns && answered_conns == n) {
            measuring = 1;
            window_start = t;
            cpu_start = cpu_seconds();
            OUT("window-start\n");
        } else if (measuring && t - window_start >= window_ns) {
            measuring = 0;
            window_end = t;
            cpu_end = cpu_seconds();
            received_at_end = received_in_window;
            bytes_at_end = bytes_in_window;
            lost_at_end = lost_in_window;
            late_at_end = late_in_window;
            running = 0;
            OUT("window-end\n");
        }
    }
    OUT("stats messages=%llu bytes=%llu seconds=%.6f client_cpu_seconds=%.6f errors=%llu lost=%llu late=%llu\n",
        (unsigned long long)received_at_end, (unsigned long long)bytes_at_end, (window_end - window_start) / 1e9,
        cpu_end - cpu_start, (unsigned long long)errors, (unsigned long long)lost_at_end, (unsigned long long)late_at_end);
    for (int i = 0; i < HIST_BUCKETS; i++) {
        if (hist[i]) printf("hist %llu %llu\n", (unsigned long long)hist_value(i), (unsigned long long)hist[i]);
    }
    fflush(stdout);
    return 0;
}

/* idle: each connection's share of a ping, and how many connections have their whole echo back */
static unsigned ping_done;

static int on_ping_cqe(unsigned i, int kind, int res) {
    struct conn *c = &conns[i];
    int is_send = kind == OP_SEND;
    if (res < 0 && (res == -EINTR || res == -EAGAIN)) return is_send ? post_send(i) : post_recv(i);
    if (res < 0 || (!is_send && res == 0)) return -1;
    if (is_send) {
        c->send_busy = 0;
        c->woff += (unsigned)res;
        return c->woff < c->wlen ? post_send(i) : 0;
    }
    c->rlen += (unsigned)res;
    if (c->rlen < msg_size) return post_recv(i);
    if (c->rlen > msg_size || memcmp(c->rbuf, c->wbuf, msg_size) != 0) {
        printf("error connection %u: the echo differs from the message sent\n", i);
        fflush(stdout);
        exit(3);
    }
    ping_done++;
    return 0;
}

/* idle: connect, then follow the commands on stdin (see the top of this file). */
static int run_idle(int port, unsigned n) {
    rbuf_size = msg_size;
    wbuf_size = msg_size;
    int e = setup_ring(n);
    if (e) return e;
    uint64_t t0 = now_ns();
    if ((e = connect_all(port, n))) return e;
    OUT("connected %u %.1f\n", n, (now_ns() - t0) / 1e6);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "close", 5) == 0) break;
        if (strncmp(line, "ping", 4) != 0) {
            printf("error unknown command: %s", line);
            return 3;
        }
        t0 = now_ns();
        ping_done = 0;
        for (unsigned i = 0; i < n; i++) {
            struct conn *c = &conns[i];
            c->rlen = 0;
            c->wlen = msg_size;
            c->woff = 0;
            if (post_recv(i) < 0 || post_send(i) < 0) {
                printf("error submission queue full\n");
                return 3;
            }
        }
        while (ping_done < n) {
            if ((e = reap(n, on_ping_cqe))) return e;
        }
        OUT("echoed %u %.1f\n", n, (now_ns() - t0) / 1e6);
    }
    for (unsigned i = 0; i < n; i++) close(conns[i].fd);
    OUT("closed\n");
    return 0;
}

static int usage(const char *self) {
    fprintf(stderr, "usage: %s echo <port> <conns> <inflight> <size> <warmup_ms> <window_ms> [<pause_ms>]\n"
                    "       %s stream <port> <conns> <size> <warmup_ms> <window_ms>\n"
                    "       %s udp <port> <clients> <inflight> <size> <warmup_ms> <window_ms>\n"
                    "       %s idle <port> <conns> <size>\n", self, self, self, self);
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(argv[0]);
    const char *mode = argv[1];
    int echo = strcmp(mode, "echo") == 0, stream = strcmp(mode, "stream") == 0, idle = strcmp(mode, "idle") == 0;
    udp = strcmp(mode, "udp") == 0;
    if ((echo && argc != 8 && argc != 9) || (udp && argc != 8) || (stream && argc != 7) || (idle && argc != 5)
        || !(echo || udp || stream || idle)) return usage(argv[0]);
    echo |= udp; /* the same arguments */
    int port = atoi(argv[2]);
    unsigned n = (unsigned)atoi(argv[3]);
    inflight = echo ? (unsigned)atoi(argv[4]) : 1;
    msg_size = (unsigned)atoi(argv[echo ? 5 : 4]);
    uint64_t warmup_ns = idle ? 0 : (uint64_t)atol(argv[echo ? 6 : 5]) * 1000000ull;
    uint64_t window_ns = idle ? 1 : (uint64_t)atol(argv[echo ? 7 : 6]) * 1000000ull;
    pause_ns = echo && argc == 9 ? (uint64_t)atol(argv[8]) * 1000000ull : 0;
    if (port <= 0 || port > 65535 || n == 0 || inflight == 0 || msg_size < (udp ? 16u : 8u) || msg_size > (udp ? 65507u : 64u << 20)
        || window_ns == 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    raise_nofile();
    if (idle) return run_idle(port, n);
    streaming = stream;
    rbuf_size = stream ? msg_size : msg_size * inflight * 2;
    wbuf_size = msg_size * inflight;
    return run_load(port, n, warmup_ns, window_ns);
}
