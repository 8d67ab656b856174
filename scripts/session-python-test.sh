#!/usr/bin/env bash
# The Python session client (clients/python, written from docs/SESSIONS.md
# alone) and the raw session protocol against the real server, plus the
# tests of the test proxies (scripts/proxies).
#
#   scripts/session-python-test.sh [PYTEST_ARGS...]
#
# Makes (or reuses) a venv at ${SESSION_PY_VENV:-$target/session-python-venv}
# with websockets and pytest, where $target is ${CARGO_TARGET_DIR:-target};
# builds the session_echo example (unless CAPSTAN_SESSION_ECHO names a binary
# that exists; default $target/debug/examples/session_echo); starts it on a
# free port (heartbeat 500 ms and grace 5 s unless SESSION_HEARTBEAT_MS and
# SESSION_GRACE_MS say otherwise, so that the dead-link and expiry tests are
# quick), waits for its address line, runs the proxies'
# node tests and then pytest in clients/python (the cut cases go through
# scripts/proxies/cutting-proxy.mjs), and stops the server on exit.
# Needs python3 (3.11+) and node (20+).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
target=${CARGO_TARGET_DIR:-target}
venv=${SESSION_PY_VENV:-$target/session-python-venv}
# Absolute: pytest runs from clients/python.
case $venv in /*) ;; *) venv=$PWD/$venv ;; esac
server_bin=${CAPSTAN_SESSION_ECHO:-$target/debug/examples/session_echo}
export PYTHONDONTWRITEBYTECODE=1

if [ ! -x "$venv/bin/python" ]; then
    echo "== python3 -m venv $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import websockets, pytest' 2>/dev/null; then
    echo "== pip install websockets pytest"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check websockets pytest
fi
echo "== $("$venv/bin/python" --version), websockets $("$venv/bin/python" -c 'import websockets; print(websockets.__version__)'), node $(node --version)"

# A binary named by CAPSTAN_SESSION_ECHO is taken as it is; the default one
# is built (a quick no-op when it is up to date).
if [ -z "${CAPSTAN_SESSION_ECHO:-}" ] || [ ! -x "$server_bin" ]; then
    echo "== cargo build -p capstan --example session_echo"
    CARGO_TARGET_DIR=$target build_debug -p capstan --example session_echo
fi

echo "== node --test scripts/proxies/"
node --test scripts/proxies/

. scripts/lib/background.sh
background_init capstan-session-python
# Short periods, so that the dead-link and expiry tests are quick; the
# tests read them too.
export SESSION_HEARTBEAT_MS=${SESSION_HEARTBEAT_MS:-500}
export SESSION_GRACE_MS=${SESSION_GRACE_MS:-5000}
background_start session_echo "$server_bin" 127.0.0.1:0
url=$(background_wait_for session_echo 'http://127\.0\.0\.1:[0-9]+')
export CAPSTAN_SESSION_ECHO_ADDR=${url#http://}
echo "== session_echo on $CAPSTAN_SESSION_ECHO_ADDR"

echo "== pytest clients/python"
(cd clients/python && "$venv/bin/python" -m pytest -p no:cacheprovider -ra "$@")
