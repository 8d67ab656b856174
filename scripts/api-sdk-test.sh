#!/usr/bin/env bash
# The server API against real clients: the Python SDK `cent` from PyPI
# (sync and async clients) and Node's built-in fetch in the style of
# @centrifugal/cent, both against the api_server example with the API on a
# port of its own (--api-port), then the core calls again with the API on
# the WebSocket's port.
#
#   scripts/api-sdk-test.sh
#
# Makes (or reuses) a venv at ${API_SDK_VENV:-target/api-sdk-venv} with
# cent>=5.2,<6 from PyPI; builds the example (CAPSTAN_API_SERVER_BIN=path
# uses another binary, no build); starts the server on free ports with a
# key, runs crates/capstan-api/tests/sdk/test_cent.py and cent_fetch.mjs
# (Node 20+), and stops the server on exit; then the same SDK against the
# chat server (capstan-chat --api-key; CAPSTAN_CHAT_BIN=path skips its
# build), crates/capstan-chat/tests/sdk/cent_chat.py. The last line reads
# "api-sdk: N passed, M failed"; the exit status is non-zero when anything
# failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv=${API_SDK_VENV:-$root/target/api-sdk-venv}
sdk=crates/capstan-api/tests/sdk
key=sdk-test-key-$RANDOM$RANDOM

# --- the client: cent in a venv ---------------------------------------------
if [ ! -x "$venv/bin/python" ]; then
    echo "== python3 -m venv $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import cent, aiohttp' 2>/dev/null; then
    echo "== pip install cent>=5.2,<6"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "cent>=5.2,<6"
fi
echo "== cent $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("cent"))'), $("$venv/bin/python" --version), node $(node --version)"

# --- the server: the api_server example -------------------------------------
if [ -n "${CAPSTAN_API_SERVER_BIN:-}" ]; then
    server_bin=$CAPSTAN_API_SERVER_BIN
else
    echo "== cargo build -p capstan-api --example api_server"
    build_debug -p capstan-api --example api_server
    server_bin=$target/debug/examples/api_server
fi
[ -x "$server_bin" ] || { echo "no api_server binary at $server_bin" >&2; exit 1; }

. scripts/lib/background.sh
background_init capstan-api-sdk

passed=0
failed=0
# Runs one client (its last line "NAME: N passed, M failed") and adds its counts.
run_client() {
    local log=$work/client.log status=0 line ok bad
    "$@" 2>&1 | tee "$log" || status=$?
    line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 || true)
    if [ -z "$line" ]; then
        failed=$((failed + 1))
        return
    fi
    ok=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
    bad=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    passed=$((passed + ok))
    failed=$((failed + bad))
    # A client that failed without counting it fails once.
    if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
        failed=$((failed + 1))
    fi
}

# Starts the server with "$@" after the address; sets $api_url and $ws_url.
start_server() {
    local name=$1
    shift
    background_start "$name" env API_KEY="$key" "$server_bin" 127.0.0.1:0 "$@"
    server_pid=$pid
    local line
    line=$(background_wait_for "$name" 'ws ws://[0-9.:]+/ws api http://[0-9.:]+/api')
    ws_url=$(awk '{print $2}' <<<"$line")
    api_url=$(awk '{print $4}' <<<"$line")
    echo "== $name: WebSocket $ws_url, API $api_url"
}

start_server separate-port --api-port 0
echo "== the Python SDK (cent)"
run_client env API_URL="$api_url" WS_URL="$ws_url" API_KEY="$key" timeout 120 "$venv/bin/python" "$sdk/test_cent.py"
echo "== Node's fetch, as @centrifugal/cent"
run_client env API_URL="$api_url" WS_URL="$ws_url" API_KEY="$key" timeout 120 node --experimental-websocket --no-warnings "$sdk/cent_fetch.mjs"
background_stop "$server_pid"

start_server same-port
echo "== Node's fetch, the API on the WebSocket's port"
run_client env API_URL="$api_url" WS_URL="$ws_url" API_KEY="$key" timeout 120 node --experimental-websocket --no-warnings "$sdk/cent_fetch.mjs"

background_stop "$server_pid"

# --- the chat server's API: cent against the main job ------------------------
if [ -n "${CAPSTAN_CHAT_BIN:-}" ]; then
    chat_bin=$CAPSTAN_CHAT_BIN
else
    echo "== cargo build -p capstan-chat"
    build_debug -p capstan-chat
    chat_bin=$target/debug/capstan-chat
fi
background_start chat "$chat_bin" --bind 127.0.0.1 --port 0 --db "$work/chat.db" --api-key "$key"
chat_line=$(background_wait_for chat 'http://[0-9.:]+/')
chat_addr=$(grep -oE '127\.0\.0\.1:[0-9]+' <<<"$chat_line" | head -n1)
echo "== the chat at $chat_addr: the Python SDK (cent)"
run_client env API_URL="http://$chat_addr/api" WS_URL="ws://$chat_addr/ws" API_KEY="$key" timeout 120 "$venv/bin/python" crates/capstan-chat/tests/sdk/cent_chat.py
background_stop "$pid"

echo "api-sdk: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
