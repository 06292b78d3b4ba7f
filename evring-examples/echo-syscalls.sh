#!/usr/bin/env bash
# Syscalls per echoed message, counted with strace on the echo server while echo-client drives it from another
# process: 50 connections x 8 messages in flight, a fixed number of 64-byte messages. strace attaches to every thread
# of the server once it listens, so JVM start-up is not counted; only I/O and event system calls are traced.
#
#   evring-examples/echo-syscalls.sh [messages]      (default 400000; needs strace)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command -v strace >/dev/null 2>&1 || { echo "echo-syscalls: strace is needed (apt-get install strace)" >&2; exit 1; }
N="${1:-400000}"
TRACE=read,write,readv,writev,recvfrom,sendto,recvmsg,sendmsg,epoll_wait,epoll_pwait,epoll_pwait2,epoll_ctl,poll,ppoll,io_uring_enter,accept,accept4,connect,close,shutdown,getsockopt
PORT=7411
./evring info >/dev/null # builds the jars once, outside the measurement
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

measure() { # backend mode
    local backend=$1 mode=$2 log="$OUT/server-$1-$2.log" counts="$OUT/strace-$1-$2.txt"
    PORT=$((PORT + 1))
    ./evring echo-server --port "$PORT" --backend "$backend" --mode "$mode" >"$log" 2>&1 &
    local server=$!
    for _ in $(seq 100); do grep -q "echo server on port" "$log" && break; sleep 0.1; done
    grep -q "echo server on port" "$log" || { cat "$log" >&2; kill "$server"; return 1; }
    strace -f -c -o "$counts" -e trace="$TRACE" -p "$(ls /proc/"$server"/task | paste -sd,)" 2>/dev/null &
    local tracer=$!
    sleep 1
    ./evring echo-client --port "$PORT" --connections 50 --inflight 8 --messages "$N" >"$OUT/client.log"
    kill -INT "$tracer"; wait "$tracer" || true
    kill -TERM "$server"; wait "$server" || true
    # strace -c columns: % time, seconds, usecs/call, calls, [errors], syscall
    local calls
    calls=$(awk '$NF == "total" { print $4 }' "$counts")
    printf '%-9s %-10s %9d syscalls / %d messages = %.4f per message   (%s)\n' "$backend" "$mode" "$calls" "$N" \
        "$(echo "$calls / $N" | bc -l)" "$(grep -o 'in [0-9.]* s: [0-9]* msg/s' "$OUT/client.log")"
    awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { printf "            %-16s %9d  %.4f per message\n", $NF, $4, $4 / n }' n="$N" "$counts"
}

measure epoll readiness
measure io_uring readiness
measure io_uring completion
measure epoll completion
