/*
 * The syscall floor of the pipes benchmark: the same read(1 byte) + write(1 byte) per event as the event-loop rows,
 * on the same socketpairs and chains, with no loop at all. Each chain knows where its byte is, so nothing waits for
 * readiness. A row at this floor spends nothing beyond the two system calls per event.
 *
 *   pipes_floor <cases> <writes> <repeats> <warmups> <cap_ms>
 */
#include "bench_common.h"

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s <cases> <writes> <repeats> <warmups> <cap_ms>\n", argv[0]);
        return 2;
    }
    raise_nofile();
    static struct pipes_args a;
    if (parse_pipes_args(argv + 1, &a) < 0) return 2;
    OUT("info read+write per event, no event loop\n");
    for (int c = 0; c < a.ncases; c++) {
        struct pipes_case *k = &a.cases[c];
        if (k->timeouts) {
            OUT("skip %s no loop, so no timers: the floor is the same as without timeouts\ndone %s\n", k->id, k->id);
            continue;
        }
        int n = k->n, active = k->active;
        int *rfd = calloc(n, sizeof *rfd), *wfd = calloc(n, sizeof *wfd), *pos = calloc(active, sizeof *pos);
        int e = make_socketpairs(n, rfd, wfd);
        if (e < 0) {
            OUT("fail %s socketpair: %s\n", k->id, strerror(-e));
        } else {
            int space = n / active;
            for (int r = 0; r < a.warmups + a.repeats; r++) {
                long fired = 0, count = 0, writes = a.writes;
                char ch;
                int bad = 0;
                for (int a = 0; a < active; a++, fired++) {
                    pos[a] = a * space;
                    if (write(wfd[pos[a]], "e", 1) != 1) bad = errno;
                }
                uint64_t t0 = now_ns(), deadline = t0 + a.cap_ns;
                while (count != fired && !bad) {
                    for (int a = 0; a < active; a++) {
                        int i = pos[a];
                        if (i < 0) continue;
                        if (read(rfd[i], &ch, 1) != 1) { bad = errno ? errno : EIO; break; }
                        count++;
                        if (writes > 0) {
                            int widx = i + 1;
                            if (widx >= n) widx -= n;
                            if (write(wfd[widx], "e", 1) != 1) { bad = errno ? errno : EIO; break; }
                            writes--;
                            fired++;
                            pos[a] = widx;
                        } else {
                            pos[a] = -1;
                        }
                        if ((count & 63) == 0 && now_ns() > deadline) writes = 0;
                    }
                }
                uint64_t t1 = now_ns();
                if (bad) {
                    OUT("fail %s read/write failed: %s\n", k->id, strerror(bad));
                    break;
                }
                if (r >= a.warmups) OUT("result %s ns_per_event=%.2f events=%ld\n", k->id, (double)(t1 - t0) / count, count);
            }
            close_socketpairs(n, rfd, wfd);
        }
        OUT("done %s\n", k->id);
        free(rfd); free(wfd); free(pos);
    }
    return 0;
}
