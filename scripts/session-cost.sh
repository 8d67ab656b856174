#!/usr/bin/env bash
# What session mode (docs/SESSIONS.md, issue #17) costs a Capstan server
# beside plain WebSocket, side by side in one run: idle RSS per connection
# (19,000 held), server CPU per echo (100 connections, 512 B, 1 in flight)
# and the SSE fallback's throughput beside a WebSocket's (1 and 10
# sessions, 64 in flight). Builds capstan-bench in release, then runs
# `session-cost` (crates/capstan-bench/src/session_cost), which runs
# `loadgen` against capstan-bench-server's /echo and /echo-session ROUNDS
# times per side, the order of the sides turning each round, and prints
# the tables (medians, minimums, ratios). See BENCHMARKS.md, "Cost of
# session mode".
#
#   scripts/session-cost.sh [ROUNDS] [SECONDS]   # default 5 rounds of 4 s: ~10 min here once built
#   scripts/session-cost.sh --quick              # one short round of each, under a minute once built (CI)
#
# Builds into ${CARGO_TARGET_DIR:-target}; every run's JSON, log and table,
# and summary.md, stay in $out (printed; SESSION_COST_OUT to choose).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
quick=()
if [ "${1:-}" = "--quick" ]; then
    quick=(--quick)
    shift
fi
rounds=${1:-}
seconds=${2:-}
target=${CARGO_TARGET_DIR:-target}
out=${SESSION_COST_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/capstan-session-cost.XXXXXX")}

echo "== building capstan-bench (release): loadgen, capstan-bench-server, session-cost"
build_release -p capstan-bench --bin loadgen --bin capstan-bench-server --bin session-cost

args=(--loadgen "$target/release/loadgen" --server "$target/release/capstan-bench-server" --out "$out")
args+=("${quick[@]}")
[ -n "$rounds" ] && args+=(--rounds "$rounds")
[ -n "$seconds" ] && args+=(--seconds "$seconds")
echo "== session-cost ${args[*]}"
start=$(date +%s)
"$target/release/session-cost" "${args[@]}"
echo "== took $(( $(date +%s) - start )) s; runs kept in $out"
