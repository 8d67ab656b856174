#!/usr/bin/env bash
# The server API's publish from one client to 1,000 subscribers (issue
# #16, point 9), side by side in the same run: the chat server
# (capstan-chat --api-key, release build) with publishes kept in its
# SQLite history and with skip_history, and a Node.js peer — `ws` with one
# POST /api/publish endpoint (crates/capstan-bench/peers/node/api-peer.mjs,
# no history: skip_history is its like-for-like). Each round runs every
# server once, alternating; the table shows each run and the medians.
#
#   scripts/api-bench.sh [--quick] [--out DIR]
#
# --quick: 100 subscribers, 200 publishes, 1 round (a smoke run, for CI).
# Default: 1,000 subscribers, 2,000 publishes one at a time (one client,
# one kept-alive connection), then 16 in flight; 3 rounds. Loopback only.
# Needs node/npm (installed with apt if absent) and `npm ci` in the peers'
# folder (done here). Results in DIR (default target/api-bench/DATE).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
. scripts/lib/bench-args.sh
bench_args api-bench "$@"
. scripts/lib/apt.sh
apt_need node nodejs
apt_need npm npm

if [ -n "$quick" ]; then
    subscribers=100 publishes=200 rounds=1 in_flights="1"
else
    subscribers=1000 publishes=2000 rounds=3 in_flights="1 16"
fi
out=${out:-target/api-bench/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
key=bench-key-$RANDOM$RANDOM

echo "== cargo build --release -p capstan-chat; -p capstan-bench --bin api-load"
build_release -p capstan-chat
build_release -p capstan-bench --bin api-load
chat_bin=$target/release/capstan-chat
load_bin=$target/release/api-load
peers=crates/capstan-bench/peers/node
if [ ! -f "$peers/node_modules/ws/package.json" ]; then
    (cd "$peers" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

. scripts/lib/background.sh
background_init capstan-api-bench

# Runs api-load against a server started by "$@" (its first line names
# http://ADDR/); appends the report to $out/runs.txt.
run() {
    local label=$1 protocol=$2 skip=$3 in_flight=$4
    shift 4
    background_start "$label" "$@"
    local server=$pid addr
    addr=$(background_wait_for "$label" 'http://[0-9.:]+/' | sed -E 's#http://([0-9.:]+)/#\1#')
    local extra=()
    [ "$skip" = yes ] && extra+=(--skip-history)
    "$load_bin" --addr "$addr" --pid "$server" --key "$key" --protocol "$protocol" \
        --subscribers "$subscribers" --publishes "$publishes" --in-flight "$in_flight" \
        --label "$label" "${extra[@]}" | tee -a "$out/runs.txt"
    background_stop "$server"
}

: >"$out/runs.txt"
for round in $(seq "$rounds"); do
    for in_flight in $in_flights; do
        echo "== round $round, $in_flight in flight"
        run "capstan-chat-kept" chat no "$in_flight" \
            "$chat_bin" --bind 127.0.0.1 --port 0 --db "$work/chat-$round-$in_flight.db" --api-key "$key" \
            --api-rate 1000000 --max-connections-per-ip 0
        run "capstan-chat-skip-history" chat yes "$in_flight" \
            "$chat_bin" --bind 127.0.0.1 --port 0 --db "$work/chat-skip-$round-$in_flight.db" --api-key "$key" \
            --api-rate 1000000 --max-connections-per-ip 0
        run "node-ws-peer" plain yes "$in_flight" node "$peers/api-peer.mjs" 127.0.0.1:0 "$key"
    done
done

{
    echo "# scripts/api-bench.sh: $command_line"
    echo "# $(date -u +%FT%TZ), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs"
    python3 - "$out/runs.txt" <<'PY'
import statistics, sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    fields = dict(part.split("=", 1) for part in line.split())
    runs[(fields["label"], fields["in_flight"])].append(fields)
print("| server | in flight | publishes/s (median) | all delivered, s | deliveries/s | server CPU µs/publish | runs |")
print("|---|---:|---:|---:|---:|---:|---:|")
for (label, in_flight), rows in sorted(runs.items(), key=lambda kv: (int(kv[0][1]), kv[0][0])):
    med = lambda key: statistics.median(float(r[key]) for r in rows)
    print(f"| {label} | {in_flight} | {med('publishes_per_s'):,.0f} | {med('all_delivered_s'):.2f} | "
          f"{med('deliveries_per_s'):,.0f} | {med('server_cpu_us_per_publish'):.0f} | {len(rows)} |")
PY
} | tee "$out/table.md"
