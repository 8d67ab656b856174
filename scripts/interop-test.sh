#!/usr/bin/env bash
# permessage-deflate interop: the echo example against the Python
# `websockets` client (third party; negotiates permessage-deflate by default).
#
#   scripts/interop-test.sh
#
# Makes (or reuses) a venv at ${INTEROP_VENV:-~/.cache/capstan/interop-venv}
# with websockets>=12 from PyPI, builds the echo example in release mode
# (CAPSTAN_ECHO_BIN=path uses another binary, no build), starts three echo
# servers on free ports (as offered with threshold 0; ECHO_DEFLATE=default;
# ECHO_DEFLATE=off), runs crates/capstan/tests/interop/test_websockets.py and
# stops the servers on exit. The last line reads "interop: N passed, M failed";
# the exit status is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
venv=${INTEROP_VENV:-$HOME/.cache/capstan/interop-venv}
test_file=crates/capstan/tests/interop/test_websockets.py

# --- the client: websockets in a venv --------------------------------------
if [ ! -x "$venv/bin/python" ]; then
    echo "== python3 -m venv $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" - <<'EOF' 2>/dev/null; then
import sys
import websockets.version as v
sys.exit(0 if int(v.version.split(".")[0]) >= 12 else 1)
EOF
    echo "== pip install websockets>=12"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "websockets>=12"
fi
echo "== websockets $("$venv/bin/python" -c 'import websockets; print(websockets.__version__)'), $("$venv/bin/python" --version)"

# --- the server: the echo example ------------------------------------------
if [ -n "${CAPSTAN_ECHO_BIN:-}" ]; then
    echo_bin=$CAPSTAN_ECHO_BIN
else
    echo "== cargo build --release -p capstan --example echo"
    build_release -p capstan --example echo
    echo_bin=$root/target/release/examples/echo
fi
[ -x "$echo_bin" ] || { echo "no echo binary at $echo_bin" >&2; exit 1; }

. scripts/lib/background.sh
background_init capstan-interop

# Starts an echo server on a free port (port 0: the kernel picks one) with
# ECHO_DEFLATE=$2 (unset when empty) and sets $url to its ws:// URL, read
# from what it prints.
start_echo() {
    local name=$1 mode=$2
    if [ -n "$mode" ]; then
        background_start "$name" env ECHO_DEFLATE="$mode" "$echo_bin" 127.0.0.1:0
    else
        background_start "$name" env -u ECHO_DEFLATE "$echo_bin" 127.0.0.1:0
    fi
    url=$(background_wait_for "$name" 'ws://[0-9.:]*')
}

start_echo as_offered ""
url_as_offered=$url
start_echo default default
url_default=$url
start_echo off off
url_off=$url
echo "== echo servers: as offered $url_as_offered, default $url_default, off $url_off"

status=0
INTEROP_URL_AS_OFFERED=$url_as_offered INTEROP_URL_DEFAULT=$url_default INTEROP_URL_OFF=$url_off \
    timeout 900 "$venv/bin/python" "$test_file" || status=$?
exit "$status"
