#!/usr/bin/env bash
# Server CPU per new connection on a two-loop group: a listener per loop (SO_REUSEPORT) against loop 0 handing every
# other connection to loop 1 (woken by ring message, or by eventfd with loop.wakeup_messages=false). wrk opens a new
# connection for every request (Connection: close) for a fixed time against ./evring http-server --loops 2; the
# server's CPU (user + system, from /proc/PID/stat) over that time, divided by the requests wrk completed, is the cost
# of one connection's whole life on the server: accept, hand-off (or not), one answer, close. CPU time, not latency,
# so it holds up better than a latency figure on a machine shared with other work.
#
#   evring-examples/handoff-cpu.sh [seconds] [repeats]     (default 5 s, 3 repeats; needs wrk)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command -v wrk >/dev/null 2>&1 || { echo "handoff-cpu: wrk is needed (apt-get install wrk)" >&2; exit 1; }
SECONDS_PER_RUN="${1:-5}"
REPEATS="${2:-3}"
PORT=7511
TICK="$(getconf CLK_TCK)"
./evring info >/dev/null # builds the jars once, outside the measurement
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime of the whole process

measure() { # accept label [JAVA_TOOL_OPTIONS]
    local accept=$1 label=$2 opts=${3:-} log="$OUT/server.log" url
    PORT=$((PORT + 1))
    url="http://127.0.0.1:$PORT/plaintext"
    JAVA_TOOL_OPTIONS="$opts" ./evring http-server --port "$PORT" --loops 2 --accept "$accept" >"$log" 2>&1 &
    local server=$! # ./evring execs the JVM: this is the server's pid
    for _ in $(seq 300); do grep -q "http server on port" "$log" && break; sleep 0.1; done
    grep -q "http server on port" "$log" || { cat "$log" >&2; kill "$server"; return 1; }
    wrk -t1 -c8 -d"$((2 * SECONDS_PER_RUN))s" -H 'Connection: close' "$url" >/dev/null # warm-up: JIT, pools
    for r in $(seq "$REPEATS"); do
        local before after requests
        before=$(cpu_ticks "$server")
        wrk -t1 -c8 -d"${SECONDS_PER_RUN}s" -H 'Connection: close' "$url" >"$OUT/wrk.txt"
        after=$(cpu_ticks "$server")
        requests=$(awk '/requests in/ { print $1 }' "$OUT/wrk.txt")
        printf '%-24s run %d: %7d connections, %6.0f/s, server CPU %6.1f us per connection\n' "$label" "$r" "$requests" \
            "$(echo "$requests / $SECONDS_PER_RUN" | bc -l)" "$(echo "($after - $before) * 1000000 / $TICK / $requests" | bc -l)"
    done
    kill -TERM "$server"; wait "$server" || true
}

measure reuseport "reuseport"
measure handoff "handoff, ring message"
measure handoff "handoff, eventfd" -Devring.loop.wakeup_messages=false
