#!/usr/bin/env bash
# Runs the codec micro-benchmarks (crates/capstan/benches/codec.rs, criterion)
# and prints their results as a Markdown table, for BENCHMARKS.md: every
# figure comes from criterion's JSON, none is typed in.
#
# Usage:
#   scripts/microbench.sh [--out FILE] [--no-bench] [-- CRITERION ARGS...]
# Examples:
#   scripts/microbench.sh --out /tmp/micro.md
#   scripts/microbench.sh -- mask/        # only the masking benchmarks
#
# Options:
#   --out FILE    also write the table to FILE
#   --no-bench    do not run anything: tabulate the results already there
#   -- ARGS       passed to the benchmark binary (criterion filters, options)
#
# Without --no-bench, only results written by this run are tabulated.
# Results are read from $CRITERION_HOME, else ${CARGO_TARGET_DIR:-target}/criterion.
# Exit status: 0 table made; 1 the benchmarks failed or left no results;
# 2 bad usage.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out=""
run_bench=1
bench_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --out)
            [[ $# -ge 2 ]] || { echo "--out needs a file" >&2; exit 2; }
            out="$2"
            shift 2
            ;;
        --no-bench)
            run_bench=0
            shift
            ;;
        --)
            shift
            bench_args=("$@")
            break
            ;;
        -h | --help)
            sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "unknown argument: $1 (see --help)" >&2
            exit 2
            ;;
    esac
done

criterion_dir="${CRITERION_HOME:-${CARGO_TARGET_DIR:-target}/criterion}"

table_args=(--criterion-dir "$criterion_dir")
if [[ $run_bench -eq 1 ]]; then
    started="$(date +%s)"
    # criterion's own report goes to stderr, so stdout carries only the table.
    cargo bench -p capstan --bench codec -- "${bench_args[@]}" >&2 || exit 1
    table_args+=(--since "$started")
fi

cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
note="Measured $(date -u +%Y-%m-%d) on ${cpu:-an unknown CPU} ($(nproc 2>/dev/null || echo '?') CPUs), $(rustc --version 2>/dev/null || echo 'rustc ?'); mean of criterion's samples; throughput = bytes per iteration / mean time."
table_args+=(--note "$note")
if [[ -n "$out" ]]; then
    table_args+=(--out "$out")
fi

python3 "$root/scripts/microbench_table.py" "${table_args[@]}"
