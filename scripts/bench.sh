#!/usr/bin/env bash
# The side-by-side benchmark: builds loadgen, capstan-bench-server,
# bench-suite and the peer servers (release), installs the Node peers'
# packages if node is there and they are missing, then runs bench-suite
# with the arguments given. About 28 minutes for the full preset on a
# 2-core machine; `--preset smoke` for a quick check, `--dry-run` for the
# plan, `--help` for the flags (crates/capstan-bench/README.md).
#
# Usage: scripts/bench.sh [bench-suite flags…]
#   e.g. scripts/bench.sh --update-doc BENCHMARKS.md
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"

packages=(-p capstan-bench)
# The peers crate, once it is a member of the workspace.
members="$(cargo metadata --no-deps --format-version 1)"
if [[ $members == *'"name":"capstan-bench-peers"'* ]]; then
    packages+=(-p capstan-bench-peers)
else
    echo "bench.sh: capstan-bench-peers is not in the workspace: its servers will be missing" >&2
fi
cargo build --release "${packages[@]}"

node_dir=crates/capstan-bench/peers/node
if command -v node >/dev/null && command -v npm >/dev/null &&
    [ -f "$node_dir/package-lock.json" ] && [ ! -d "$node_dir/node_modules" ]; then
    npm ci --prefix "$node_dir" ||
        echo "bench.sh: npm ci failed: bench-suite will skip the Node servers" >&2
fi

exec "$target/release/bench-suite" "$@"
