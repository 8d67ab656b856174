#!/usr/bin/env bash
# The Connect-5 server under load (issue #18, point 5): many games at once,
# two players and spectators each, a move every 500 ms per game.
#
#   scripts/game-load.sh            # 1,000 games (2,000 players + 1,000 spectators), 60 s
#   scripts/game-load.sh --quick    # 50 games for 5 s: a smoke check (no speed asserted)
#   scripts/game-load.sh [--quick] --games G --spectators W --duration S --move-every-ms M …
#
# Builds capstan-game and game-load in release mode (CAPSTAN_GAME_BIN=path
# runs another server binary, no build), starts the server on a port the
# kernel picks over a fresh SQLite database in a temporary directory, pinned
# to CPU 1 (the load generator to CPU 0) when the machine has two or more,
# waits for its address line, runs game-load (flags after --quick go to it: `game-load --help`),
# stops the server with SIGTERM and checks that it exited 0. Prints the
# Markdown table and the JSON line; exits non-zero if game-load found any
# error, lost or unexpected message, or the server did not exit cleanly.
# Extra server flags: GAME_FLAGS="--rate 40".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
target="${CARGO_TARGET_DIR:-$root/target}"

load_flags=()
if [ "${1:-}" = --quick ]; then
    shift
    load_flags=(--games 50 --duration 5)
fi
load_flags+=("$@")

if [ -n "${CAPSTAN_GAME_BIN:-}" ]; then
    game_bin=$CAPSTAN_GAME_BIN
    build_release -q -p capstan-bench --bin game-load
else
    build_release -q -p capstan-game -p capstan-bench --bin capstan-game --bin game-load
    game_bin=$target/release/capstan-game
fi
load_bin=$target/release/game-load

# Each connection is a descriptor on both sides: ask for as many as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pin_server=() pin_load=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_server=(taskset -c 1) pin_load=(taskset -c 0)
fi

. scripts/lib/background.sh
background_init capstan-game-load
# The default message rate (20/s, burst 40) is far above a player's 1 move
# a second; room for 20,000 connections. taskset execs the server: $pid is
# the server's.
# shellcheck disable=SC2086
background_start server "${pin_server[@]}" "$game_bin" --bind 127.0.0.1 --port 0 \
    --db "$work/game.db" --max-connections 20000 ${GAME_FLAGS:-}
server_pid=$pid
url=$(background_wait_for server 'open http://127\.0\.0\.1:[0-9]+/')
port=${url##*:}
port=${port%/}
echo "== $game_bin on 127.0.0.1:$port (pid $server_pid) ${pin_server[*]:+pinned to CPU 1, game-load to CPU 0}"
echo "== $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "== before: $(uptime)"
echo "== game-load ${load_flags[*]}"

load_status=0
"${pin_load[@]}" "$load_bin" --addr "127.0.0.1:$port" --server-pid "$server_pid" "${load_flags[@]}" || load_status=$?
echo "== after: $(uptime)"

background_stop_checked "$server_pid" server
if [ "$load_status" != 0 ]; then
    echo "game-load failed (status $load_status); the server's log ends:"; tail -20 "$work/server.log"
    exit "$load_status"
fi
echo "== the server exited 0 after SIGTERM"
