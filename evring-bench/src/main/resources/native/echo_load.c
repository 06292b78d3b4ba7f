/*
 * The load generator of the echo benchmark: CONNS TCP connections to 127.0.0.1:PORT, each keeping INFLIGHT messages
 * of SIZE bytes in flight. Each message carries its send time; the echo's arrival time minus it is the latency.
 *
 * It is built to cost less per message than the servers it measures: io_uring through raw system calls (no
 * liburing), one recv always posted per connection, the messages a recv completes answered by one send, and every
 * recv and send of a pass over the completion queue submitted by one io_uring_enter. Where io_uring cannot be set up
 * it says so and exits (the harness reports it).
 *
 *   echo_load <port> <conns> <inflight> <size> <warmup_ms> <window_ms>
 *
 * Output (DriverProtocol-like lines the harness reads): "window-start", "window-end", then
 *   "stats messages=<n> seconds=<s> client_cpu_seconds=<s> errors=<n>" and "hist <lower_bound_ns> <count>" lines.
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
        p.flags = flag_sets[i] | IORING_SETUP_CQSIZE;
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
struct conn {
    int fd;
    char *rbuf;
    unsigned rlen;       /* bytes of a partial message kept at the start of rbuf */
    char *wbuf;
    unsigned wlen, woff; /* bytes of the send in flight, and how many of them went */
    unsigned owed;       /* messages to send once the send in flight completes */
    int send_busy;
};

static struct ring ring;
static struct conn *conns;
static unsigned msg_size, inflight, rbuf_size, wbuf_size;
static int running = 1, measuring = 0;
static uint64_t received_in_window, errors;

static int post_recv(unsigned i) {
    struct io_uring_sqe *s = ring_sqe(&ring);
    if (!s) return -1;
    s->opcode = IORING_OP_RECV;
    s->fd = conns[i].fd;
    s->addr = (uint64_t)(uintptr_t)(conns[i].rbuf + conns[i].rlen);
    s->len = rbuf_size - conns[i].rlen;
    s->user_data = ((uint64_t)i << 1) | 0;
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
    s->user_data = ((uint64_t)i << 1) | 1;
    c->send_busy = 1;
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

static int on_recv(unsigned i, int res) {
    struct conn *c = &conns[i];
    if (res <= 0) {
        if (res == -EINTR || res == -EAGAIN) return post_recv(i);
        errors++;
        return running ? -1 : 0;
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
        }
    }
    unsigned rest = c->rlen - whole * msg_size;
    if (rest) memmove(c->rbuf, c->rbuf + (size_t)whole * msg_size, rest);
    c->rlen = rest;
    if (running && whole) {
        if (c->send_busy) c->owed += whole;
        else if (send_messages(i, whole) < 0) return -1;
    }
    return post_recv(i);
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
    if (running && c->owed) {
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

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s <port> <conns> <inflight> <size> <warmup_ms> <window_ms>\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    unsigned n = (unsigned)atoi(argv[2]);
    inflight = (unsigned)atoi(argv[3]);
    msg_size = (unsigned)atoi(argv[4]);
    uint64_t warmup_ns = (uint64_t)atol(argv[5]) * 1000000ull, window_ns = (uint64_t)atol(argv[6]) * 1000000ull;
    if (port <= 0 || n == 0 || inflight == 0 || msg_size < 8 || window_ns == 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    raise_nofile();
    rbuf_size = msg_size * inflight * 2;
    wbuf_size = msg_size * inflight;
    unsigned entries = 1;
    while (entries < 2 * n + 8) entries <<= 1;
    if (entries > 32768) entries = 32768;
    int e = ring_init(&ring, entries);
    if (e < 0) {
        printf("error io_uring_setup: %s\n", strerror(-e));
        return 3;
    }
    conns = calloc(n, sizeof *conns);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (unsigned i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            printf("error connect #%u: %s\n", i, strerror(errno));
            return 3;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns[i].fd = fd;
        conns[i].rbuf = calloc(1, rbuf_size);
        conns[i].wbuf = calloc(1, wbuf_size);
        memset(conns[i].wbuf, 'x', wbuf_size);
    }
    for (unsigned i = 0; i < n; i++) {
        if (post_recv(i) < 0 || send_messages(i, inflight) < 0) {
            printf("error submission queue full\n");
            return 3;
        }
    }
    uint64_t start = now_ns(), window_start = 0, window_end = 0;
    double cpu_start = 0, cpu_end = 0;
    uint64_t received_at_end = 0;
    while (running) {
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
            unsigned i = (unsigned)(ud >> 1);
            if (i >= n) continue;
            int rc = (ud & 1) ? on_send(i, cqe->res) : on_recv(i, cqe->res);
            if (rc < 0) {
                printf("error connection %u: %s\n", i, cqe->res < 0 ? strerror(-cqe->res) : "closed by the server");
                return 3;
            }
        }
        /* release the CQ slots: pairs with the kernel's acquire of the head */
        atomic_store_explicit((_Atomic unsigned *)ring.cq_head, head, memory_order_release);
        uint64_t t = now_ns();
        if (!measuring && window_start == 0 && t - start >= warmup_ns) {
            measuring = 1;
            window_start = t;
            cpu_start = cpu_seconds();
            OUT("window-start\n");
        } else if (measuring && t - window_start >= window_ns) {
            measuring = 0;
            window_end = t;
            cpu_end = cpu_seconds();
            received_at_end = received_in_window;
            running = 0;
            OUT("window-end\n");
        }
    }
    OUT("stats messages=%llu seconds=%.6f client_cpu_seconds=%.6f errors=%llu\n",
        (unsigned long long)received_at_end, (window_end - window_start) / 1e9, cpu_end - cpu_start,
        (unsigned long long)errors);
    for (int i = 0; i < HIST_BUCKETS; i++) {
        if (hist[i]) printf("hist %llu %llu\n", (unsigned long long)hist_value(i), (unsigned long long)hist[i]);
    }
    fflush(stdout);
    return 0;
}
