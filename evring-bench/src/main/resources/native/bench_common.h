/* Shared by the C drivers of ./evring bench: clock, case lists, the output protocol (see DriverProtocol.java). */
#ifndef EVRING_BENCH_COMMON_H
#define EVRING_BENCH_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The JVM raises its soft open-file limit to the hard one at start; do the same so both see the same room. */
static inline void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* A case of the pipes benchmark: "<N>x<A>" with a trailing 't' for the timeouts variant. */
struct pipes_case {
    char id[32];
    int n, active, timeouts;
};

/* Parses a comma-separated list of cases into cs (at most max); returns the count, -1 on a malformed entry. */
static inline int parse_pipes_cases(const char *list, struct pipes_case *cs, int max) {
    int count = 0;
    const char *p = list;
    while (*p && count < max) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || len >= sizeof cs[count].id) return -1;
        memcpy(cs[count].id, p, len);
        cs[count].id[len] = 0;
        char t = 0;
        int got = sscanf(cs[count].id, "%dx%d%c", &cs[count].n, &cs[count].active, &t);
        if (got < 2 || cs[count].n <= 0 || cs[count].active <= 0 || cs[count].active > cs[count].n) return -1;
        if (got == 3 && t != 't') return -1;
        cs[count].timeouts = (got == 3);
        count++;
        p = end ? end + 1 : p + len;
    }
    return count;
}

/* The arguments every pipes driver takes after its own: <cases> <writes> <repeats> <warmups> <cap_ms>. */
struct pipes_args {
    struct pipes_case cases[64];
    int ncases;
    long writes;
    int repeats, warmups;
    uint64_t cap_ns;
};

/* Parses argv[0..4] into a; returns 0, or -1 (after saying why on stderr) when one is malformed. */
static inline int parse_pipes_args(char **argv, struct pipes_args *a) {
    a->ncases = parse_pipes_cases(argv[0], a->cases, 64);
    a->writes = atol(argv[1]);
    a->repeats = atoi(argv[2]);
    a->warmups = atoi(argv[3]);
    a->cap_ns = (uint64_t)atol(argv[4]) * 1000000ull;
    if (a->ncases <= 0 || a->writes < 0 || a->repeats <= 0 || a->warmups < 0) {
        fprintf(stderr, "bad arguments: cases \"%s\", writes %s, repeats %s, warmups %s\n", argv[0], argv[1], argv[2], argv[3]);
        return -1;
    }
    return 0;
}

/* Makes n non-blocking AF_UNIX stream socketpairs: r[i] is watched, w[i] written. Returns 0 or -errno. */
static inline int make_socketpairs(int n, int *r, int *w) {
    for (int i = 0; i < n; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
            int e = errno;
            for (int j = 0; j < i; j++) { close(r[j]); close(w[j]); }
            return -e;
        }
        r[i] = sv[0];
        w[i] = sv[1];
    }
    return 0;
}

static inline void close_socketpairs(int n, int *r, int *w) {
    for (int i = 0; i < n; i++) { close(r[i]); close(w[i]); }
}

#define OUT(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

#endif
