#!/usr/bin/env bash
# /metrics checked by real parsers: starts capstan-api's ops_server example
# (a WebSocket echo and publish on /, /metrics, /healthz and /readyz on the
# same port), drives connections through it and scrapes it with
# scripts/metrics_check.py (Python prometheus-client's text parser, in a
# venv; the counters must move with the traffic), then checks the last
# scrape with `promtool check metrics` (Debian's prometheus package,
# installed if missing). Stops the server on exit.
#
#   scripts/metrics-check.sh
#
# The venv is ${METRICS_VENV:-~/.cache/capstan/metrics-venv}. The last line
# reads "metrics-check: N passed, M failed"; the exit status is non-zero
# when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${METRICS_VENV:-$HOME/.cache/capstan/metrics-venv}

. scripts/lib/apt.sh
apt_need promtool prometheus

# --- the parsers' side: prometheus-client and websockets in a venv ---------
if [ ! -x "$venv/bin/python" ]; then
    echo "== python3 -m venv $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import prometheus_client, websockets' 2>/dev/null; then
    echo "== pip install prometheus-client websockets>=12"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        prometheus-client "websockets>=12"
fi

# --- the server ---------------------------------------------------------------
echo "== cargo build -p capstan-api --example ops_server"
cargo build -p capstan-api --example ops_server
target_dir=${CARGO_TARGET_DIR:-target}
server_bin=$target_dir/debug/examples/ops_server

. scripts/lib/background.sh
background_init capstan-metrics-check
background_start ops_server "$server_bin" 127.0.0.1:0
port=$(background_wait_for ops_server 'port=[0-9]+' | cut -d= -f2)
echo "== ops_server on 127.0.0.1:$port"

status=0
timeout 120 "$venv/bin/python" scripts/metrics_check.py "127.0.0.1:$port" "$work/scrape.txt" \
    | tee "$work/checks.log" || status=1

echo "== promtool check metrics (the last scrape)"
if [ -s "$work/scrape.txt" ] && promtool check metrics <"$work/scrape.txt"; then
    echo "ok   promtool check metrics: no problem" | tee -a "$work/checks.log"
else
    echo "FAIL promtool check metrics" | tee -a "$work/checks.log"
    status=1
fi
passed=$(grep -c '^ok ' "$work/checks.log" || true)
failed=$(grep -c '^FAIL ' "$work/checks.log" || true)
echo "metrics-check: $passed passed, $failed failed"
[ "$failed" = 0 ] || status=1
exit "$status"
