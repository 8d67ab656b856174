#!/usr/bin/env bash
# A soak run of the chat server (issue #15, point 7; a script, not CI):
#
#   scripts/soak.sh [--quick] [--connections N] [--duration S] [--rate R] [--out DIR]
#
# By default 19,000 connections on one node, each named, in a room of
# ~190 and out of `general`, each pinging every 30 s, 200 messages a second
# spread over them, for 600 s once all are open; --quick is 1,000 for 60 s
# (a smoke check, under 2 minutes with the build done). Builds capstan-chat
# and chat-load in release mode, starts the server (one node, SQLite in a
# temporary directory, on a free loopback port; pinned to CPU 1 and the
# load to CPU 0 when the machine has two), waits for it, runs `chat-load
# soak` (its worker processes hold the connections: one process may hold
# 20,000 descriptors here, and the server needs 19,000 of its own), stops
# the server with SIGTERM and checks that it exited 0. Writes soak.txt
# (what was printed), soak.json and server.log to DIR (default
# bench-results/soak/DATE). Exits 1 if anything was lost, a connection
# dropped, a pong missed, or the server did not exit cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
target="${CARGO_TARGET_DIR:-$root/target}"

connections=19000 duration=600 rate=200 warmup=60 out=
while [ $# -gt 0 ]; do
    case $1 in
        --quick) connections=1000 duration=60 warmup=20 ;;
        --connections) connections=${2:?}; shift ;;
        --duration) duration=${2:?}; shift ;;
        --rate) rate=${2:?}; shift ;;
        --out) out=${2:?}; shift ;;
        -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
# The server holds every connection, its listener, its database and stdio
# within its 20,000 descriptors.
max_connections=20000
if [ "$connections" -gt 19500 ]; then
    echo "soak.sh: at most 19,500 connections (the server may hold 20,000 descriptors)" >&2
    exit 2
fi
# The server allows 10 requests a second per connection (a burst of 20):
# the publish rate, spread over every connection, stays far below.
if ! python3 -c "import sys; sys.exit(0 if float('$rate') / $connections <= 5 else 1)"; then
    echo "soak.sh: --rate $rate over $connections connections is over 5 a second each" >&2
    exit 2
fi
[ -n "$out" ] || out=bench-results/soak/$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p "$out"

build_release -q -p capstan-chat -p capstan-bench --bin capstan-chat --bin chat-load
chat_bin=$target/release/capstan-chat
load_bin=$target/release/chat-load

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pin_server=() pin_load=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_server=(taskset -c 1) pin_load=(taskset -c 0)
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -9 "$server_pid"; fi
    [ -f "$work/server.log" ] && cp "$work/server.log" "$out/server.log"
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
server=("${pin_server[@]}" "$chat_bin" --bind 127.0.0.1 --port "$port" --db "$work/chat.db"
    --max-connections "$max_connections")
"${server[@]}" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log"; exit 1; fi
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null

load=("${pin_load[@]}" "$load_bin" soak --addr "127.0.0.1:$port" --server-pid "$server_pid"
    --connections "$connections" --duration "$duration" --rate "$rate" --warmup "$warmup"
    --json "$out/soak.json")
{
    echo "== scripts/soak.sh${*:+ $*}: commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' (changed)')"
    echo "== server: ${server[*]} (pid $server_pid)"
    echo "== load: ${load[*]}"
    echo "== $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/soak.txt"

status=0
"${load[@]}" 2>&1 | tee -a "$out/soak.txt" || status=$?
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)" | tee -a "$out/soak.txt"

kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=
if [ "$server_status" != 0 ]; then
    echo "the server exited with status $server_status" | tee -a "$out/soak.txt"
    tail -20 "$work/server.log"
    exit 1
fi
echo "== the server exited 0; results in $out" | tee -a "$out/soak.txt"
exit "$status"
