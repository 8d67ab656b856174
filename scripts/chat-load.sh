#!/usr/bin/env bash
# The chat server under load, as docs/chat-server.md measures it:
#
#   scripts/chat-load.sh presence [--users 10000] [--step 1000] [--observers 3]
#   scripts/chat-load.sh flood    [--connections 200] [--duration 60] [--rate 9]
#
# Builds capstan-chat and chat-load in release mode (CAPSTAN_CHAT_BIN=path
# runs another server binary, no build: an older one, to compare), starts
# the server on a free port over a fresh database in a temporary directory,
# pinned to CPU 1 (the load generator to CPU 0) when the machine has two,
# waits for it, runs the scenario, stops the server with SIGTERM and checks
# that it exited 0. The flood also counts, afterwards, the rooms and
# messages in the database (python3's sqlite3). Prints Markdown tables.
# Extra server flags: CHAT_FLAGS="--max-rooms 5000".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
target="${CARGO_TARGET_DIR:-$root/target}"
scenario=${1:?usage: scripts/chat-load.sh presence|flood [flags]}
shift

if [ -n "${CAPSTAN_CHAT_BIN:-}" ]; then
    chat_bin=$CAPSTAN_CHAT_BIN
    build_release -q -p capstan-bench --bin chat-load
else
    build_release -q -p capstan-chat -p capstan-bench --bin capstan-chat --bin chat-load
    chat_bin=$target/release/capstan-chat
fi
load_bin=$target/release/chat-load

# One process may hold 20,000 descriptors here: ask for them.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pin_server=() pin_load=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_server=(taskset -c 1) pin_load=(taskset -c 0)
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -9 "$server_pid"; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
db=$work/chat.db
# Room for every user at once; each connection sends few requests.
# shellcheck disable=SC2086
"${pin_server[@]}" "$chat_bin" --bind 127.0.0.1 --port "$port" --db "$db" \
    --max-connections 19000 ${CHAT_FLAGS:-} >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log"; exit 1; fi
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null
echo "== $chat_bin on 127.0.0.1:$port (pid $server_pid) ${pin_server[*]:+pinned to CPU 1}"
echo "== $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ)"

extra=()
[ "$scenario" = flood ] && extra=(--db "$db")
"${pin_load[@]}" "$load_bin" "$scenario" --addr "127.0.0.1:$port" --server-pid "$server_pid" "${extra[@]}" "$@"

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
if [ "$status" != 0 ]; then
    echo "the server exited with status $status"; tail -20 "$work/server.log"; exit 1
fi
if [ "$scenario" = flood ]; then
    python3 - "$db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rooms = db.execute("SELECT COUNT(*) FROM rooms").fetchone()[0]
messages = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
print(f"\nafter the run, the database holds {rooms} rooms and {messages} messages")
EOF
fi
