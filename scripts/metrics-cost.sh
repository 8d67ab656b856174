#!/usr/bin/env bash
# What capstan's counters (the `metrics` feature, capstan::stats) cost on
# the echo benchmark: capstan-bench-server built with and without them,
# run alternately against the same loadgen echo (100 connections, 512 B,
# 1 in flight), ROUNDS times each; prints each run's server CPU µs per echo
# and, per round, without ÷ with. See BENCHMARKS.md, "Cost of metrics".
#
#   scripts/metrics-cost.sh [ROUNDS] [SECONDS]     # default 8 rounds of 10 s
#
# Builds into ${CARGO_TARGET_DIR:-target}; keeps both binaries and every
# run's JSON in $out (printed).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-8}
seconds=${2:-10}
target=${CARGO_TARGET_DIR:-target}
out=$(mktemp -d "${TMPDIR:-/tmp}/capstan-metrics-cost.XXXXXX")

echo "== building capstan-bench-server without and with the metrics feature"
cargo build --release -p capstan-bench --no-default-features --bin capstan-bench-server
cp "$target/release/capstan-bench-server" "$out/server-without"
cargo build --release -p capstan-bench --bin capstan-bench-server --bin loadgen
cp "$target/release/capstan-bench-server" "$out/server-with"
cp "$target/release/loadgen" "$out/loadgen"

for round in $(seq "$rounds"); do
    # Alternate which goes first, so that a drift in the machine's load
    # does not favour one side.
    if [ $((round % 2)) = 1 ]; then order="without with"; else order="with without"; fi
    for build in $order; do
        "$out/loadgen" echo --spawn "$out/server-$build" --connections 100 --size 512 \
            --duration "$seconds" --warmup 2 --json "$out/$round-$build.json" >/dev/null 2>&1
    done
    echo "round $round done"
done

python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def read(round, build):
    d = json.load(open(f"{out}/{round}-{build}.json"))
    return d["server_cpu_us_per_echo"], d["other_cpu_share"], d["echoes_per_second"]
ratios = []
print("| round | without: µs/echo | with: µs/echo | with ÷ without | other load (without, with) |")
print("|---:|---:|---:|---:|---:|")
for r in range(1, rounds + 1):
    (a, oa, _), (b, ob, _) = read(r, "without"), read(r, "with")
    ratios.append(b / a)
    print(f"| {r} | {a:.2f} | {b:.2f} | {b / a:.3f} | {oa:.0%}, {ob:.0%} |")
withouts = [read(r, "without")[0] for r in range(1, rounds + 1)]
withs = [read(r, "with")[0] for r in range(1, rounds + 1)]
print()
print(f"median µs/echo: without {statistics.median(withouts):.2f}, with {statistics.median(withs):.2f}; "
      f"min: without {min(withouts):.2f}, with {min(withs):.2f}")
print(f"with ÷ without, per round: median {statistics.median(ratios):.3f}, "
      f"min {min(ratios):.3f}, max {max(ratios):.3f}; ratio of medians "
      f"{statistics.median(withs) / statistics.median(withouts):.3f}, of minimums {min(withs) / min(withouts):.3f}")
PY
echo "== runs kept in $out"
