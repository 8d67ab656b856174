#!/usr/bin/env bash
# /metrics checked by real parsers: starts capstan-api's ops_server example
# (a WebSocket echo and publish on /, /metrics, /healthz and /readyz on the
# same port), drives connections through it and scrapes it with
# scripts/metrics_check.py (Python prometheus-client's text parser, in a
# venv; the counters must move with the traffic), then checks the last
# scrape with `promtool check metrics` (Debian's prometheus package,
# installed if missing). Stops the server on exit.
#
# Then the same on the chat server (capstan-chat --api-key): a user, a
# post and an API publish, and its /metrics parsed and checked alike.
#
#   scripts/metrics-check.sh
#
# The venv is ${METRICS_VENV:-~/.cache/capstan/metrics-venv}. The last line
# reads "metrics-check: N passed, M failed"; the exit status is non-zero
# when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
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
build_debug -p capstan-api --example ops_server
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
background_stop "$pid"

# --- the chat server's /metrics: the same parsers on the main job ------------
echo "== cargo build -p capstan-chat"
build_debug -p capstan-chat
key=metrics-check-key-$RANDOM$RANDOM
background_start chat "$target_dir/debug/capstan-chat" --bind 127.0.0.1 --port 0 \
    --db "$work/chat.db" --api-key "$key"
chat=$(background_wait_for chat 'http://[0-9.:]+/' | sed -E 's#http://([0-9.:]+)/#\1#')
echo "== capstan-chat on $chat: a user, a post, an API publish, then /metrics"
timeout 60 "$venv/bin/python" - "$chat" "$key" "$work/chat-scrape.txt" <<'PY' | tee -a "$work/checks.log" || status=1
import asyncio, json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
import websockets

addr, key, out = sys.argv[1:4]

async def traffic():
    async with websockets.connect(f"ws://{addr}/ws") as ws:
        await ws.send(json.dumps({"type": "add_user", "data": {"username": "ops"}}))
        await ws.send(json.dumps({"type": "message", "data": {"content": "hi", "client_id": "c1"}}))
        while json.loads(await ws.recv())["type"] != "ack":
            pass
        body = json.dumps({"channel": "general", "data": "from the backend"}).encode()
        request = urllib.request.Request(f"http://{addr}/api/publish", body, {"X-API-Key": key})
        assert json.load(urllib.request.urlopen(request))["result"]["offset"] == 2

asyncio.run(traffic())
text = urllib.request.urlopen(f"http://{addr}/metrics").read().decode()
open(out, "w").write(text)
families = {f.name: f for f in text_string_to_metric_families(text)}
def check(name, ok):
    print(("ok   " if ok else "FAIL ") + name)
check("chat: prometheus-client parses /metrics", len(families) > 10)
def value(family, **labels):
    return sum(s.value for s in families[family].samples
               if all(s.labels.get(k) == v for k, v in labels.items()) and s.name.endswith("_total"))
check("chat: messages received counted", value("capstan_messages_received") >= 2)
api = families.get("capstan_api_call_duration_seconds")
check("chat: the API call timed", api is not None and any(
    s.labels.get("method") == "publish" and s.name.endswith("_count") and s.value >= 1 for s in api.samples))
store = families.get("capstan_store_operation_duration_seconds")
check("chat: store appends timed", store is not None and any(
    s.labels.get("op") == "append" and s.name.endswith("_count") and s.value >= 2 for s in store.samples))
PY
echo "== promtool check metrics (the chat's scrape)"
if [ -s "$work/chat-scrape.txt" ] && promtool check metrics <"$work/chat-scrape.txt"; then
    echo "ok   chat: promtool check metrics: no problem" | tee -a "$work/checks.log"
else
    echo "FAIL chat: promtool check metrics" | tee -a "$work/checks.log"
    status=1
fi

passed=$(grep -c '^ok ' "$work/checks.log" || true)
failed=$(grep -c '^FAIL ' "$work/checks.log" || true)
echo "metrics-check: $passed passed, $failed failed"
[ "$failed" = 0 ] || status=1
exit "$status"
