#!/usr/bin/env bash
# The WAMP router side by side with the reference router, crossbar (Python),
# on this machine, in one run: events delivered per second to 1,000
# subscribers, calls per second from 100 callers, the router's CPU time per
# event and per call, its RSS per idle session.
#
#   scripts/wamp-bench.sh                 # ~3-5 min on 2 cores (build apart)
#   scripts/wamp-bench.sh --quick         # tiny sizes, about a minute (CI smoke)
#   scripts/wamp-bench.sh --out DIR       # results there (default bench-results/wamp-DATE)
#
# Builds capstan-router and wamp-load (release). For each router: starts it on
# a free loopback port (capstan-router --port 0, its address read from its
# first line; crossbar from a node config written into a temp dir: one router
# worker, a web transport with WebSocket at /ws, serializers json and msgpack,
# realm1 open to anonymous with every permission, log level warn), waits until
# it accepts, runs wamp-load's scenarios against it — idle first (RSS before
# any session), then events, then calls — and stops it. The router is pinned to
# CPU 1 and wamp-load to CPU 0 (taskset; nothing pinned on one CPU), so that
# each one's CPU time is its own. crossbar runs one Python process per worker:
# its figures are the router worker's, the process listening on the port (ss).
# Then `wamp-load table` prints the two side by side, with ratios, per-core
# figures and the goals.
#
# crossbar comes from ~/.cache/capstan/crossbar-venv if the client suites'
# script (scripts/wamp-crossbar.sh) made it (used, never changed), else from a
# venv of this script's own, ~/.cache/capstan/crossbar-bench-venv (or
# $WAMP_BENCH_CROSSBAR_VENV, which also takes precedence), installed with the
# pins of scripts/wamp-bench-crossbar-requirements.txt. If crossbar cannot be
# installed or started, the run says so and reports capstan's figures alone.
#
# Sizes (environment; --quick has its own tiny ones):
#   WAMP_BENCH_SUBSCRIBERS=1000 WAMP_BENCH_PUBLISHERS=1 WAMP_BENCH_EVENTS=10000
#   WAMP_BENCH_WINDOW=100 WAMP_BENCH_EVENTS_SECONDS=10
#   WAMP_BENCH_CALLERS=100 WAMP_BENCH_CALLEES=1 WAMP_BENCH_IN_FLIGHT=4
#   WAMP_BENCH_CALLS_SECONDS=10 WAMP_BENCH_SESSIONS=5000
#   WAMP_BENCH_SERIALIZER=json (or msgpack)  WAMP_BENCH_ROUTERS=capstan,crossbar
#   WAMP_BENCH_PAUSE=3 (seconds between scenarios, for the router to settle)
#
# Writes DIR/{capstan,crossbar}.jsonl (wamp-load's result lines), .txt (its
# human lines), the routers' logs, machine.md and table.md. Exits non-zero
# only if capstan's scenarios failed (lost deliveries, unanswered calls, ended
# sessions) or the script could not do its work; crossbar's failures are
# reported, not fatal.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}

. scripts/lib/bench-args.sh
bench_args wamp-bench "$@"

if [ -n "$quick" ]; then
    subscribers=50 publishers=1 events=500 window=50 events_seconds=2
    callers=10 callees=1 in_flight=2 calls_seconds=1 warmup=0.5 sessions=200 settle=0.5 hold=0.5
else
    subscribers=${WAMP_BENCH_SUBSCRIBERS:-1000}
    publishers=${WAMP_BENCH_PUBLISHERS:-1}
    events=${WAMP_BENCH_EVENTS:-10000}
    window=${WAMP_BENCH_WINDOW:-100}
    events_seconds=${WAMP_BENCH_EVENTS_SECONDS:-10}
    callers=${WAMP_BENCH_CALLERS:-100}
    callees=${WAMP_BENCH_CALLEES:-1}
    in_flight=${WAMP_BENCH_IN_FLIGHT:-4}
    calls_seconds=${WAMP_BENCH_CALLS_SECONDS:-10}
    warmup=1 sessions=${WAMP_BENCH_SESSIONS:-5000} settle=2 hold=3
fi
serializer=${WAMP_BENCH_SERIALIZER:-json}
routers=${WAMP_BENCH_ROUTERS:-capstan,crossbar}
pause=${WAMP_BENCH_PAUSE:-3}
[ -n "$quick" ] && pause=1
out=${out:-bench-results/wamp-$(date -u +%Y-%m-%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

echo "== cargo build --release (capstan-router, wamp-load)"
build_release -p capstan-wamp --bin capstan-router -p capstan-bench --bin wamp-load
router_bin=$target/release/capstan-router
load_bin=$target/release/wamp-load

# The router on CPU 1, the load on CPU 0, where there are two CPUs.
router_pin=()
load_pin=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    router_pin=(taskset -c 1)
    load_pin=(taskset -c 0)
    pinning="router on CPU 1, wamp-load on CPU 0 (taskset)"
else
    pinning="not pinned (fewer than 2 CPUs or no taskset)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/capstan-wamp-bench.XXXXXX")
# The processes this script started and has not stopped yet (a stopped one's
# number is forgotten at once, so that no reused number is ever signalled).
capstan_pid='' cb_pid='' cb_worker=''
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
stop_capstan() { stop_pid "$capstan_pid"; capstan_pid=; }
stop_crossbar() {
    # The controller stops its worker; the worker is killed if it outlives it.
    stop_pid "$cb_pid"
    cb_pid=
    stop_pid "$cb_worker"
    cb_worker=
}
cleanup() {
    local status=$?
    stop_capstan
    stop_crossbar
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs the three scenarios against router LABEL at URL, process PID.
# Prints "ok" or the failed scenarios.
run_scenarios() {
    local label=$1 url=$2 pid=$3 failed=()
    local common=(--url "$url" --router-pid "$pid" --label "$label" --serializer "$serializer"
        --timeout 240)
    local -A args=(
        [idle]="--sessions $sessions --settle $settle --hold $hold"
        [events]="--subscribers $subscribers --publishers $publishers --events $events --window $window --duration $events_seconds"
        [calls]="--callers $callers --callees $callees --in-flight $in_flight --warmup $warmup --duration $calls_seconds"
    )
    for scenario in idle events calls; do
        echo "== $label: wamp-load $scenario ${args[$scenario]}" >&2
        # shellcheck disable=SC2086 # the sizes are words
        if ! "${load_pin[@]}" "$load_bin" "$scenario" "${common[@]}" ${args[$scenario]} \
            >"$work/$label-$scenario.out" 2>"$out/$label-$scenario.log"; then
            failed+=("$scenario")
        fi
        grep '^{' "$work/$label-$scenario.out" >>"$out/$label.jsonl" || true
        grep -v '^{' "$work/$label-$scenario.out" | tee -a "$out/$label.txt" >&2 || true
        tail -3 "$out/$label-$scenario.log" | grep -i 'wamp-load: .*\(error\|ended\|timed out\|stalled\|failed\)' >&2 || true
        kill -0 "$pid" 2>/dev/null || { echo "== $label: the router died during $scenario" >&2; failed+=("died"); break; }
        sleep "$pause"
    done
    if [ ${#failed[@]} -eq 0 ]; then echo ok; else echo "${failed[*]}"; fi
}

capstan_status=skipped
crossbar_status=skipped
crossbar_version=

# -- capstan-router ---------------------------------------------------------------
if [[ ,$routers, == *,capstan,* ]]; then
    "${router_pin[@]}" "$router_bin" --port 0 >"$work/capstan.stdout" 2>"$out/capstan-router.log" &
    capstan_pid=$!
    pid=$capstan_pid
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's|^capstan-router on ws://127\.0\.0\.1:\([0-9]*\)/ws.*|\1|p' "$work/capstan.stdout" | head -1)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "capstan-router printed no address:" >&2
        cat "$out/capstan-router.log" >&2
        exit 1
    fi
    echo "== capstan-router on 127.0.0.1:$port (pid $pid)"
    capstan_status=$(run_scenarios capstan "ws://127.0.0.1:$port/ws" "$pid")
    stop_capstan
fi

# -- crossbar -----------------------------------------------------------------------
crossbar_note=
start_crossbar() {
    local venv=$HOME/.cache/capstan/crossbar-venv
    local pins=scripts/wamp-bench-crossbar-requirements.txt
    local wanted
    wanted=$(sed -n 's/^crossbar==//p' "$pins")
    if [ -z "${WAMP_BENCH_CROSSBAR_VENV:-}" ] && [ -x "$venv/bin/crossbar" ]; then
        crossbar_note="the venv at $venv (set up by the client suites' script; used as it is)"
    else
        venv=${WAMP_BENCH_CROSSBAR_VENV:-$HOME/.cache/capstan/crossbar-bench-venv}
        crossbar_note="this script's venv at $venv, pinned by $pins"
        if [ ! -x "$venv/bin/python" ]; then
            echo "== python3 -m venv $venv"
            python3 -m venv "$venv" || return 1
        fi
        if [ "$("$venv/bin/python" -c 'import crossbar; print(crossbar.__version__)' 2>/dev/null)" != "$wanted" ]; then
            echo "== pip install crossbar==$wanted (and its pinned dependencies)"
            "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$pins" || return 1
        fi
    fi
    cb_python=$venv/bin/python
    crossbar_version=$("$cb_python" -c 'import crossbar; print(crossbar.__version__)') || return 1
    cb_port=$("$cb_python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$work/crossbar/.crossbar"
    "$cb_python" - "$cb_port" "$work/crossbar/.crossbar/config.json" <<'PY'
import json
import sys

port, path = int(sys.argv[1]), sys.argv[2]
everything = {"call": True, "register": True, "publish": True, "subscribe": True}
config = {
    "version": 2,
    "controller": {},
    "workers": [{
        "type": "router",
        "realms": [{
            "name": "realm1",
            "roles": [{
                "name": "anonymous",
                "permissions": [{"uri": "", "match": "prefix", "allow": everything,
                                 "disclose": {"caller": False, "publisher": False},
                                 "cache": True}],
            }],
        }],
        "transports": [{
            "type": "web",
            "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": port, "backlog": 1024},
            "paths": {"ws": {"type": "websocket", "serializers": ["json", "msgpack"]}},
        }],
    }],
}
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY
    (cd "$work/crossbar" && exec "${router_pin[@]}" "$venv/bin/crossbar" start \
        --cbdir "$work/crossbar/.crossbar" --loglevel warn --color false \
        >"$out/crossbar.log" 2>&1) &
    cb_pid=$!
    for _ in $(seq 300); do
        kill -0 "$cb_pid" 2>/dev/null || { echo "crossbar exited before it accepted" >&2; return 1; }
        cb_worker=$(ss -ltnpH "sport = :$cb_port" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
        [ -n "$cb_worker" ] && break
        sleep 0.2
    done
    [ -n "$cb_worker" ] || { echo "crossbar did not listen on $cb_port within 60 s" >&2; return 1; }
    echo "== crossbar $crossbar_version on 127.0.0.1:$cb_port (controller pid $cb_pid, router worker pid $cb_worker: $(tr '\0' ' ' </proc/"$cb_worker"/cmdline | sed 's/ *$//'))"
}

if [[ ,$routers, == *,crossbar,* ]]; then
    if start_crossbar; then
        crossbar_status=$(run_scenarios crossbar "ws://127.0.0.1:$cb_port/ws" "$cb_worker")
        stop_crossbar
    else
        stop_crossbar
        crossbar_status="could not be installed or started (see $out/crossbar.log)"
        echo "== crossbar $crossbar_status" >&2
        tail -20 "$out/crossbar.log" 2>/dev/null >&2 || true
    fi
fi

# -- the machine and the table -------------------------------------------------------
{
    echo "| | |"
    echo "|:---|:---|"
    echo "| command | $command_line |"
    echo "| date (UTC) | $(date -u '+%Y-%m-%d %H:%M:%S') |"
    echo "| commit | $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates scripts || echo ' (with local changes)') |"
    echo "| CPU | $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) logical CPUs |"
    echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
    echo "| kernel | $(uname -r) |"
    echo "| rustc | $(rustc --version) |"
    echo "| crossbar | ${crossbar_version:-–} (${crossbar_note:-not run}), $(python3 --version 2>&1) |"
    echo "| pinning | $pinning |"
    echo "| serializer | wamp.2.$serializer |"
    echo "| sizes | events: $subscribers subscribers, $publishers publisher(s), up to $events events each in windows of $window, at most ${events_seconds} s; calls: $callers callers × $in_flight in flight, $callees callee(s), ${warmup} s warm-up, ${calls_seconds} s measured; idle: $sessions sessions |"
    echo "| capstan | $capstan_status |"
    echo "| crossbar | $crossbar_status |"
} >"$out/machine.md"
"$load_bin" table "$out/capstan.jsonl" "$out/crossbar.jsonl" >"$out/table.md"
echo
cat "$out/machine.md"
echo
cat "$out/table.md"
echo
echo "== results in $out"
case $capstan_status in
    ok | skipped) ;;
    *) echo "capstan-router: scenarios failed: $capstan_status" >&2; exit 1 ;;
esac
