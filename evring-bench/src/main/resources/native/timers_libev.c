/*
 * The timers benchmark on libev: start, again (push back) and stop of COUNT ev_timers, in ns per operation. The
 * timeouts (100-200 s) and the order of "again" (a fixed stride permutation) are the Java drivers'.
 *
 *   timers_libev <count> <repeats> <warmups>
 */
#include "bench_common.h"
#include <ev.h>

static void timeout_cb(EV_P_ ev_timer *w, int revents) {
    (void)w; (void)revents;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <count> <repeats> <warmups>\n", argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    int repeats = atoi(argv[2]), warmups = atoi(argv[3]);
    if (n <= 0 || repeats <= 0 || warmups < 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
    if (!loop) {
        OUT("fail start ev_loop_new failed\n");
        return 1;
    }
    OUT("info libev %d.%d\n", ev_version_major(), ev_version_minor());
    ev_timer *t = calloc((size_t)n, sizeof *t);
    for (long i = 0; i < n; i++) {
        double after = 100.0 + (double)((i * 7907) % 100000) / 1000.0;
        ev_timer_init(&t[i], timeout_cb, after, after);
    }
    for (int r = 0; r < warmups + repeats; r++) {
        uint64_t t0 = now_ns();
        for (long i = 0; i < n; i++) ev_timer_start(loop, &t[i]);
        uint64_t t1 = now_ns();
        for (long i = 0; i < n; i++) ev_timer_again(loop, &t[(i * 7919) % n]);
        uint64_t t2 = now_ns();
        for (long i = 0; i < n; i++) ev_timer_stop(loop, &t[(i * 7919) % n]);
        uint64_t t3 = now_ns();
        if (r >= warmups) {
            OUT("result start ns_per_op=%.2f\n", (double)(t1 - t0) / n);
            OUT("result again ns_per_op=%.2f\n", (double)(t2 - t1) / n);
            OUT("result stop ns_per_op=%.2f\n", (double)(t3 - t2) / n);
        }
    }
    OUT("done start\ndone again\ndone stop\n");
    free(t);
    ev_loop_destroy(loop);
    return 0;
}
