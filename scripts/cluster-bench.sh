#!/usr/bin/env bash
# capstan across nodes on one Redis, beside Socket.IO 4 with
# @socket.io/redis-adapter, on this machine, in one run (issue #15, point 6;
# BENCHMARKS.md, "Across nodes (Redis)"):
#
#   1. broadcast to 10,000 subscribers spread over 3 nodes, the publisher on
#      the first: capstan (capstan-bench-server --redis), capstan on 1 node
#      alone (no Redis), Socket.IO on 3 nodes; one driver for all three
#      (crates/capstan-bench/cluster/cluster-load.mjs: `ws` for capstan,
#      `socket.io-client` for Socket.IO), then capstan's two again through
#      the Rust load generator (loadgen broadcast), which goes past the Node.js
#      driver's limit, and once more with 30 subscribers and thousands of
#      publications a second (what Redis spends per publication);
#   2. 95,000 idle connections over 5 capstan nodes (19,000 each: a process
#      here may hold 20,000 descriptors) on one Redis, from loadgen's worker
#      processes on 8 source addresses: RSS per connection per node, Redis's RSS.
#
# Then crates/capstan-bench/cluster/table.mjs writes the tables, the goals
# and the estimate for 1,000,000 connections (DIR/table.md).
#
#   scripts/cluster-bench.sh                # 6–10 min on 2 cores (build apart)
#   scripts/cluster-bench.sh --quick        # tiny sizes, no speed asserted (CI smoke)
#   scripts/cluster-bench.sh --out DIR      # results there (default bench-results/cluster-DATE)
#
# Every server-side process (the nodes and Redis) runs on CPU 1 and every
# driver process on CPU 0 (taskset): the two systems get the same one core
# for their nodes and their Redis, and each side's CPU time is its own. CPU
# time comes from /proc/PID/stat (cluster-load) or the threads' schedstat
# (loadgen) of each process. Redis is started here (redis-server from
# Debian, installed if missing; no persistence) on a free loopback port, and
# so is every node; all are stopped at the end (scripts/lib/background.sh).
#
# Sizes (environment; --quick has its own):
#   CLUSTER_BENCH_SUBSCRIBERS=10000 CLUSTER_BENCH_NODES=3
#   CLUSTER_BENCH_RATES=20000,50000,100000,200000   (cluster-load, all three systems)
#   CLUSTER_BENCH_CAPSTAN_EXTRA_RATES=500000 (cluster-load, capstan only: past
#       Socket.IO's capacity, which 100,000 already is on this machine)
#   CLUSTER_BENCH_LOADGEN_RATES=100000,300000,1000000 (loadgen, capstan)
#   CLUSTER_BENCH_ROOMS_SUBSCRIBERS=30 CLUSTER_BENCH_ROOMS_RATES=30000,150000
#       (loadgen, capstan on 3 nodes: 1,000 and 5,000 small publications/s,
#       what Redis spends per publication, for the estimate)
#   CLUSTER_BENCH_SECONDS=10 (publishing per rate)  CLUSTER_BENCH_DRIVER_PROCS=4
#   CLUSTER_BENCH_IDLE=95000 CLUSTER_BENCH_IDLE_NODES=5 CLUSTER_BENCH_IDLE_SECONDS=15
#   CLUSTER_BENCH_PARTS=broadcast,idle
#
# Writes into DIR each run's JSON (every reading), its table (.md) and its
# progress (.log), each node's output (nodes/: its LISTENING line, then any
# warning, e.g. capstan-redis's "pub/sub connection was cut"), Redis's count
# of connections accepted before and after each set of nodes
# (redis-connections.log: a reconnection shows there), machine.md and
# table.md. Exits non-zero if a run failed: a driver's error, a node that
# died, connections lost or deliveries missing in --quick.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
. scripts/lib/background.sh
. scripts/lib/apt.sh

. scripts/lib/bench-args.sh
bench_args cluster-bench "$@"

if [ -n "$quick" ]; then
    subscribers=300 nodes=3 rates=3000 capstan_extra= loadgen_rates=3000,30000 seconds=1 driver_procs=2
    rooms_subscribers=30 rooms_rates=3000,30000
    idle=1000 idle_nodes=5 idle_seconds=1
else
    subscribers=${CLUSTER_BENCH_SUBSCRIBERS:-10000}
    nodes=${CLUSTER_BENCH_NODES:-3}
    rates=${CLUSTER_BENCH_RATES:-20000,50000,100000,200000}
    capstan_extra=${CLUSTER_BENCH_CAPSTAN_EXTRA_RATES-500000}
    loadgen_rates=${CLUSTER_BENCH_LOADGEN_RATES:-100000,300000,1000000}
    rooms_subscribers=${CLUSTER_BENCH_ROOMS_SUBSCRIBERS:-30}
    rooms_rates=${CLUSTER_BENCH_ROOMS_RATES:-30000,150000}
    seconds=${CLUSTER_BENCH_SECONDS:-10}
    driver_procs=${CLUSTER_BENCH_DRIVER_PROCS:-4}
    idle=${CLUSTER_BENCH_IDLE:-95000}
    idle_nodes=${CLUSTER_BENCH_IDLE_NODES:-5}
    idle_seconds=${CLUSTER_BENCH_IDLE_SECONDS:-15}
fi
parts=${CLUSTER_BENCH_PARTS:-broadcast,idle}
out=${out:-bench-results/cluster-$(date -u +%Y-%m-%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cluster=crates/capstan-bench/cluster

apt_need redis-server redis-server
command -v node >/dev/null || { echo "cluster-bench: node (Node.js 20) is needed" >&2; exit 1; }

echo "== cargo build --release (capstan-bench-server, loadgen)"
build_release -p capstan-bench --bin capstan-bench-server --bin loadgen
server_bin=$target/release/capstan-bench-server
loadgen_bin=$target/release/loadgen
echo "== npm ci ($cluster: socket.io, @socket.io/redis-adapter, redis, socket.io-client, ws, pinned by its package-lock.json)"
npm ci --prefix "$cluster" --no-audit --no-fund --silent

server_pin=()
driver_pin=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    server_pin=(taskset -c 1)
    driver_pin=(taskset -c 0)
    pinning="nodes and Redis on CPU 1, drivers (cluster-load, loadgen) on CPU 0 (taskset)"
else
    pinning="not pinned (fewer than 2 CPUs or no taskset)"
fi

background_init capstan-cluster-bench

free_port() {
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# Redis for the whole run: no persistence, on CPU 1 with the nodes.
redis_port=$(free_port)
mkdir -p "$work/redis"
background_start redis "${server_pin[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 \
    --save '' --appendonly no --dir "$work/redis" --daemonize no
redis_pid=$pid
background_wait_for redis 'Ready to accept connections' >/dev/null
redis_url=redis://127.0.0.1:$redis_port
echo "== $(redis-server --version | cut -d' ' -f1-3) at $redis_url (pid $redis_pid)"

# Redis's count of connections accepted, into DIR/redis-connections.log
# with LABEL: more than the nodes opened means one reconnected.
redis_connections() {
    # Redis closes a pub/sub client past client-output-buffer-limit
    # (32 MB, or 8 MB for 60 s): what it had not sent is lost; its log says
    # so, and the count goes beside the connections.
    local closed
    closed=$(grep -c 'overcoming of output buffer limits' "$work/redis.log" || true)
    echo "$1: $(redis-cli -p "$redis_port" info stats | tr -d '\r' | grep total_connections_received)," \
        "clients closed for their output buffer so far: $closed" >>"$out/redis-connections.log"
}

# Starts COUNT nodes of KIND (capstan, capstan-alone, socketio); sets the
# arrays node_urls, node_pids, node_bg (the processes to stop) and node_logs.
start_nodes() {
    local kind=$1 count=$2 i line
    node_urls=() node_pids=() node_bg=() node_logs=()
    redis_connections "before $count $kind node(s)"
    for i in $(seq "$count"); do
        node_logs+=("$kind-$count-$i")
        case $kind in
            capstan) background_start "$kind-$count-$i" "${server_pin[@]}" "$server_bin" --redis "$redis_url" ;;
            capstan-alone) background_start "$kind-$count-$i" "${server_pin[@]}" "$server_bin" ;;
            socketio) background_start "$kind-$count-$i" "${server_pin[@]}" node "$cluster/socketio-server.mjs" --redis "$redis_url" ;;
        esac
        node_bg+=("$pid")
        line=$(background_wait_for "$kind-$count-$i" 'LISTENING port=[0-9]+ pid=[0-9]+ url=ws://[0-9.:]+')
        node_pids+=("$(sed 's/.*pid=\([0-9]*\).*/\1/' <<<"$line")")
        node_urls+=("$(sed 's/.*url=//' <<<"$line")")
    done
    echo "== $count $kind node(s): ${node_urls[*]} (pids ${node_pids[*]})"
}

stop_nodes() {
    local p name
    redis_connections "after the run"
    for p in "${node_bg[@]}"; do
        kill -0 "$p" 2>/dev/null || { echo "cluster-bench: a node (pid $p) died during the run" >&2; failed+=("node $p died"); }
        background_stop "$p"
    done
    # Each node's output (its LISTENING line, then any warning) is kept.
    mkdir -p "$out/nodes"
    for name in "${node_logs[@]}"; do
        cp "$work/$name.log" "$out/nodes/$name.log"
        if [ "$(grep -vc '^LISTENING' "$out/nodes/$name.log")" -gt 0 ]; then
            echo "== $name printed warnings (nodes/$name.log):" >&2
            grep -v '^LISTENING' "$out/nodes/$name.log" | head -5 >&2
        fi
    done
}

failed=()

# cluster-load against the running nodes: NAME SYSTEM PATH RATES [--redis-pid PID]
drive() {
    local name=$1 system=$2 suffix=$3 rates=$4
    shift 4
    local args=(--system "$system" --connections "$subscribers" --rate "$rates" --duration "$seconds"
        --procs "$driver_procs" --label "$name" --json "$out/broadcast-$name.json" --timeout 900)
    local i
    for i in "${!node_urls[@]}"; do
        args+=(--url "${node_urls[$i]}$suffix" --node-pid "${node_pids[$i]}")
    done
    echo "== cluster-load $name: $subscribers subscribers, $rates deliveries/s offered, $seconds s each"
    if ! "${driver_pin[@]}" node "$cluster/cluster-load.mjs" "${args[@]}" "$@" \
        >"$out/broadcast-$name.md" 2>"$out/broadcast-$name.log"; then
        failed+=("cluster-load $name")
        tail -5 "$out/broadcast-$name.log" >&2
    fi
    cat "$out/broadcast-$name.md" 2>/dev/null || true
}

# loadgen broadcast against the running nodes: NAME SUBSCRIBERS RATES [--watch-pid redis=PID]
drive_loadgen() {
    local name=$1 subscribers=$2 loadgen_rates=$3
    shift 3
    local args=(broadcast --connections "$subscribers" --rate "$loadgen_rates" --duration "$seconds"
        --json "$out/capacity-$name.json" --timeout 900
        --note "pinning by scripts/cluster-bench.sh: $pinning")
    local i
    for i in "${!node_urls[@]}"; do
        args+=(--url "${node_urls[$i]}/broadcast" --server-pid "${node_pids[$i]}")
    done
    echo "== loadgen $name: $subscribers subscribers, $loadgen_rates deliveries/s offered, $seconds s each"
    if ! "${driver_pin[@]}" "$loadgen_bin" "${args[@]}" "$@" \
        >"$out/capacity-$name.md" 2>"$out/capacity-$name.log"; then
        failed+=("loadgen $name")
        tail -5 "$out/capacity-$name.log" >&2
    fi
    grep '^|' "$out/capacity-$name.md" 2>/dev/null || true
}

if [[ ,$parts, == *,broadcast,* ]]; then
    start_nodes capstan "$nodes"
    drive capstan-3 capstan /broadcast "$rates${capstan_extra:+,$capstan_extra}" --redis-pid "$redis_pid"
    drive_loadgen capstan-3 "$subscribers" "$loadgen_rates" --watch-pid "redis=$redis_pid"
    # Many small publications: what Redis (and a node) spends per publication.
    drive_loadgen capstan-3-rooms "$rooms_subscribers" "$rooms_rates" --watch-pid "redis=$redis_pid"
    stop_nodes

    start_nodes capstan-alone 1
    drive capstan-1 capstan /broadcast "$rates${capstan_extra:+,$capstan_extra}"
    drive_loadgen capstan-1 "$subscribers" "$loadgen_rates"
    stop_nodes

    start_nodes socketio "$nodes"
    drive socketio-3 socketio '' "$rates" --redis-pid "$redis_pid"
    stop_nodes
fi

if [[ ,$parts, == *,idle,* ]]; then
    redis-cli -p "$redis_port" flushall >/dev/null
    start_nodes capstan "$idle_nodes"
    args=(idle --connections "$idle" --duration "$idle_seconds" --json "$out/idle.json" --timeout 600
        --watch-pid "redis=$redis_pid" --note "pinning by scripts/cluster-bench.sh: $pinning")
    for i in "${!node_urls[@]}"; do
        args+=(--url "${node_urls[$i]}/broadcast" --server-pid "${node_pids[$i]}")
    done
    echo "== loadgen idle: $idle connections over $idle_nodes nodes, held $idle_seconds s"
    if ! "${driver_pin[@]}" "$loadgen_bin" "${args[@]}" >"$out/idle.md" 2>"$out/idle.log"; then
        failed+=("loadgen idle")
        tail -5 "$out/idle.log" >&2
    fi
    grep '^- Server RSS per node\|^- redis\|^|' "$out/idle.md" 2>/dev/null || true
    stop_nodes
fi

versions=$(node -e '
const lock = require(process.argv[1]).packages;
const v = (p) => lock["node_modules/" + p].version;
console.log(`socket.io ${v("socket.io")}, @socket.io/redis-adapter ${v("@socket.io/redis-adapter")} (sharded), redis (node-redis) ${v("redis")}, socket.io-client ${v("socket.io-client")}, ws ${v("ws")}`);
' "$root/$cluster/package-lock.json")
{
    echo "| | |"
    echo "|:---|:---|"
    echo "| command | \`$command_line\` |"
    echo "| date (UTC) | $(date -u '+%Y-%m-%d %H:%M:%S') |"
    echo "| commit | $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates scripts || echo ' (with local changes)') |"
    echo "| CPU | $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) logical CPUs ($(lscpu | sed -n 's/^Core(s) per socket: *//p' | head -1) cores per socket, $(lscpu | sed -n 's/^Thread(s) per core: *//p' | head -1) thread per core) |"
    echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
    echo "| kernel | $(uname -r) |"
    echo "| rustc | $(rustc --version) |"
    echo "| Node.js | $(node --version) |"
    echo "| Redis | $(redis-server --version | sed 's/ sha=.*//') |"
    echo "| Node.js packages | $versions |"
    echo "| pinning | $pinning |"
    echo "| sizes | broadcast: $subscribers subscribers over $nodes nodes, publisher on the first; cluster-load at $rates (capstan also at ${capstan_extra:-–}), loadgen at $loadgen_rates deliveries/s offered, $seconds s each, $driver_procs driver workers; small publications: $rooms_subscribers subscribers at $rooms_rates deliveries/s; idle: $idle connections over $idle_nodes nodes, held $idle_seconds s |"
} >"$out/machine.md"
node "$cluster/table.mjs" "$out" >"$out/table.md"
echo
cat "$out/table.md"
echo
echo "== results in $out"

if [ -n "$quick" ]; then
    # No speed asserted; every delivery and every connection accounted for.
    node -e '
const fs = require("fs"), path = require("path");
let bad = [];
for (const f of fs.readdirSync(process.argv[1]).filter((f) => f.endsWith(".json"))) {
    const d = JSON.parse(fs.readFileSync(path.join(process.argv[1], f)));
    for (const w of d.windows ?? []) if (w.missing > 0 || w.connections_lost > 0) bad.push(`${f}: ${w.missing} missing, ${w.connections_lost} lost`);
    if (d.connections_lost > 0) bad.push(`${f}: ${d.connections_lost} lost`);
}
if (bad.length) { console.error(bad.join("\n")); process.exit(1); }
' "$out" || failed+=("deliveries missing or connections lost")
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "cluster-bench: failed: ${failed[*]}" >&2
    exit 1
fi
