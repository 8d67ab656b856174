#!/usr/bin/env bash
# Smoke test of the load generator: builds it (release) and runs each
# scenario once, tiny, against capstan-bench-server. It asserts only that
# every scenario completes and writes its JSON, and that a non-loopback URL
# is refused; nothing about speed. Then the side-by-side suite, tiny
# (`bench-suite --preset smoke --servers all`) over every server: capstan,
# the floor, the Rust peers (built here) and the Node peers (npm ci in
# crates/capstan-bench/peers/node first); a server that cannot run fails the
# smoke. It must complete every run and write summary.json. About half a
# minute, plus about 15 s per server in the suite.
#
# Usage: crates/capstan-bench/smoke.sh [OUT_DIR]   (default: a new temp dir)
#   SMOKE_SERVERS=available   run the suite over the servers present only
#                             (missing ones left out with a note)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. scripts/lib/build.sh
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
target="${CARGO_TARGET_DIR:-$root/target}"

build_release -p capstan-bench --bin loadgen --bin capstan-bench-server --bin bench-suite
# The peer servers, once their crate is a member of the workspace.
members="$(cargo metadata --no-deps --format-version 1)"
if [[ $members == *'"name":"capstan-bench-peers"'* ]]; then
    build_release -p capstan-bench-peers
fi
loadgen="$target/release/loadgen"
server="$target/release/capstan-bench-server"

fail() {
    echo "smoke: FAIL: $*" >&2
    exit 1
}

# The JSON file must exist and name its scenario.
check_json() {
    local file=$1 scenario=$2
    [ -s "$file" ] || fail "$file missing or empty"
    if command -v python3 >/dev/null; then
        python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["scenario"] == sys.argv[2], d["scenario"]' "$file" "$scenario" ||
            fail "$file: not JSON for $scenario"
    else
        grep -q "\"scenario\": \"$scenario\"" "$file" || fail "$file: no scenario $scenario"
    fi
}

# run NAME SCENARIO [FLAGS…]: one tiny run, its table in NAME.md, JSON in NAME.json.
run() {
    local name=$1 scenario=$2
    shift 2
    echo "== $name" >&2
    timeout 180 "$loadgen" "$scenario" --spawn "$server" --duration 1 --timeout 120 \
        --json "$out/$name.json" "$@" >"$out/$name.md" ||
        fail "$name exited with $?"
    check_json "$out/$name.json" "$scenario"
    cat "$out/$name.md"
}

run echo echo --connections 4 --warmup 0.2
run echo-16k echo --connections 2 --size 16384 --in-flight 2 --warmup 0
run broadcast broadcast --connections 20 --rate 2000,10000
run idle idle --connections 20 --ping-interval 0.5 --procs 2 --sources 2
run churn churn --cycles 200 --concurrency 8

if "$loadgen" echo --url ws://10.0.0.1:9001/echo 2>/dev/null; then
    fail "a non-loopback URL was accepted"
fi

# The suite: every server, every scenario once, tiny. bench-suite exits
# non-zero if a server is missing (with `all`), a run fails or writes no JSON.
servers=${SMOKE_SERVERS:-all}
echo "== bench-suite --preset smoke --servers $servers" >&2
timeout 600 "$target/release/bench-suite" --preset smoke --servers "$servers" --out "$out/suite" ||
    fail "bench-suite exited with $?"
[ -s "$out/suite/summary.json" ] || fail "bench-suite wrote no summary.json"
if command -v python3 >/dev/null; then
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["complete"] and d["runs"], "incomplete"
print("suite: %d runs, all complete" % len(d["runs"]), file=sys.stderr)' "$out/suite/summary.json" ||
        fail "$out/suite/summary.json: runs incomplete"
fi

echo "smoke: OK (results in $out)" >&2
