/*
 * The pipes benchmark on libev (libev's and libevent's bench): N socketpairs, an ev_io on each read end, A chains of
 * one byte hopping from pipe to pipe; each read callback reads one byte and writes one to the next pipe until W writes
 * are done. With timeouts, each pipe also has a timer pushed back (ev_timer_again) on every event.
 *
 *   pipes_libev <epoll|io_uring> <cases> <writes> <repeats> <warmups> <cap_ms>
 *
 * cases: comma-separated "<N>x<A>[t]". Prints "result <case> ns_per_event=... events=..." per repeat (DriverProtocol).
 */
#include "bench_common.h"
#include <ev.h>
#include <math.h>

static struct ev_loop *loop;
static ev_io *evio;
static ev_timer *evto;
static int *rfd, *wfd;
static int npipes, with_timeouts;
static long count, fired, writes;
static uint64_t deadline;
static int failed_errno;

static void read_cb(EV_P_ ev_io *w, int revents) {
    (void)revents;
    int idx = (int)(w - evio);
    char ch;
    if (read(w->fd, &ch, 1) != 1) {
        failed_errno = errno ? errno : EIO;
        ev_break(EV_A_ EVBREAK_ALL);
        return;
    }
    count++;
    if (with_timeouts) ev_timer_again(EV_A_ &evto[idx]);
    if (writes > 0) {
        int widx = idx + 1;
        if (widx >= npipes) widx -= npipes;
        if (write(wfd[widx], "e", 1) != 1) {
            failed_errno = errno ? errno : EIO;
            ev_break(EV_A_ EVBREAK_ALL);
            return;
        }
        writes--;
        fired++;
    }
    if ((count & 63) == 0 && now_ns() > deadline) writes = 0;
}

static void timeout_cb(EV_P_ ev_timer *w, int revents) {
    (void)w; (void)revents;
    /* 10 s timeouts never expire during a run of at most a second */
}

/* One run: returns elapsed ns, the events in *events; -1 on failure. */
static int64_t run_once(int active, long num_writes, uint64_t cap_ns, long *events) {
    for (int i = 0; i < npipes; i++) {
        ev_io_init(&evio[i], read_cb, rfd[i], EV_READ);
        ev_io_start(loop, &evio[i]);
        if (with_timeouts) {
            ev_timer_init(&evto[i], timeout_cb, 0., 10. + drand48());
            ev_timer_again(loop, &evto[i]);
        }
    }
    ev_run(loop, EVRUN_NOWAIT); /* setup pass: registers the fds with the backend, as libevent's bench does */
    int space = npipes / active;
    fired = 0;
    for (int i = 0; i < active; i++, fired++) {
        if (write(wfd[i * space], "e", 1) != 1) return -1;
    }
    count = 0;
    writes = num_writes;
    failed_errno = 0;
    uint64_t t0 = now_ns();
    deadline = t0 + cap_ns;
    while (count != fired && !failed_errno) ev_run(loop, EVRUN_ONCE);
    uint64_t t1 = now_ns();
    for (int i = 0; i < npipes; i++) {
        ev_io_stop(loop, &evio[i]);
        if (with_timeouts) ev_timer_stop(loop, &evto[i]);
    }
    if (failed_errno) return -1;
    *events = count;
    return (int64_t)(t1 - t0);
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s <epoll|io_uring> <cases> <writes> <repeats> <warmups> <cap_ms>\n", argv[0]);
        return 2;
    }
    raise_nofile();
    unsigned int backend;
    if (strcmp(argv[1], "epoll") == 0) backend = EVBACKEND_EPOLL;
#if EV_VERSION_MAJOR > 4 || (EV_VERSION_MAJOR == 4 && EV_VERSION_MINOR >= 31)
    else if (strcmp(argv[1], "io_uring") == 0) backend = EVBACKEND_IOURING; /* an enum, not a macro: test the version */
#endif
    else backend = 0;
    static struct pipes_args a;
    if (parse_pipes_args(argv + 2, &a) < 0) return 2;
    OUT("info libev %d.%d %s\n", ev_version_major(), ev_version_minor(), argv[1]);
    const char *no_backend = NULL;
    if (backend == 0) no_backend = "this libev's ev.h has no EVBACKEND for it";
    else if (!(ev_supported_backends() & backend)) no_backend = "this libev was built without it";
    if (!no_backend) {
        loop = ev_loop_new(EVFLAG_NOENV | backend);
        if (!loop) no_backend = "ev_loop_new refused it on this kernel";
        else if (ev_backend(loop) != backend) no_backend = "libev chose another backend";
    }
    srand48(42);
    for (int c = 0; c < a.ncases; c++) {
        struct pipes_case *k = &a.cases[c];
        if (no_backend) {
            OUT("skip %s libev %s backend unavailable: %s\ndone %s\n", k->id, argv[1], no_backend, k->id);
            continue;
        }
        npipes = k->n;
        with_timeouts = k->timeouts;
        evio = calloc(npipes, sizeof *evio);
        evto = calloc(npipes, sizeof *evto);
        rfd = calloc(npipes, sizeof *rfd);
        wfd = calloc(npipes, sizeof *wfd);
        int e = make_socketpairs(npipes, rfd, wfd);
        if (e < 0) {
            OUT("fail %s socketpair: %s\n", k->id, strerror(-e));
        } else {
            for (int i = 0; i < a.warmups + a.repeats; i++) {
                long events = 0;
                int64_t ns = run_once(k->active, a.writes, a.cap_ns, &events);
                if (ns < 0) {
                    OUT("fail %s read/write failed: %s\n", k->id, strerror(failed_errno ? failed_errno : errno));
                    break;
                }
                if (i >= a.warmups) OUT("result %s ns_per_event=%.2f events=%ld\n", k->id, (double)ns / events, events);
            }
            close_socketpairs(npipes, rfd, wfd);
        }
        OUT("done %s\n", k->id);
        free(evio); free(evto); free(rfd); free(wfd);
    }
    if (loop) ev_loop_destroy(loop);
    return 0;
}
