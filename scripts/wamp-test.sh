#!/usr/bin/env bash
# WAMP v2 with clients nobody on this project wrote — autobahn-python (PyPI,
# current release, with its msgpack and CBOR serializers) and autobahn-js
# 22.x and 26.x (npm, pinned) — against capstan-router, once per serializer:
# the Basic Profile, the Advanced Profile, authentication and authorization,
# bad input over a raw WebSocket, and GOODBYE on shutdown; and a game of
# capstan-game watched over its /wamp feed.
#
#   scripts/wamp-test.sh
#
# Makes (or reuses) a venv at ${WAMP_VENV:-~/.cache/capstan/wamp-venv},
# builds capstan-router (release), starts it on a free port with the test
# realms and principals (crates/capstan-wamp/tests/clients/router-auth.json:
# realm1 anonymous, authrealm with ticket/WAMP-CRA/cryptosign), waits for its
# address line, runs crates/capstan-wamp/tests/clients/test_autobahn_python.py,
# test_autobahn_python_advanced.py, js/test_autobahn_js.mjs (22 and 26),
# then test_router_shutdown.py (SIGTERM: every session must get GOODBYE
# wamp.close.system_shutdown and the router must exit), and stops the router
# on exit. Each suite ends with "NAME: N passed, M failed"; non-zero status
# if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
venv=${WAMP_VENV:-$HOME/.cache/capstan/wamp-venv}

if [ ! -x "$venv/bin/python" ]; then
    echo "== python3 -m venv $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import autobahn, msgpack, cbor2, nacl, websockets' 2>/dev/null; then
    echo "== pip install autobahn[serialization,encryption] websockets"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "autobahn[serialization,encryption]" websockets
fi
js=crates/capstan-wamp/tests/clients/js
if [ ! -d "$js/node_modules/autobahn22" ] || [ ! -d "$js/node_modules/autobahn26" ]; then
    echo "== npm ci (autobahn-js 22 and 26, pinned by $js/package-lock.json)"
    (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "== autobahn $("$venv/bin/python" -c 'import autobahn; print(autobahn.__version__)'), $("$venv/bin/python" --version)"

echo "== cargo build --release -p capstan-wamp --bin capstan-router"
build_release -p capstan-wamp --bin capstan-router
router_bin=${CARGO_TARGET_DIR:-$root/target}/release/capstan-router

. scripts/lib/background.sh
background_init capstan-wamp
background_start router "$router_bin" --config crates/capstan-wamp/tests/clients/router-auth.json --port 0
url=$(background_wait_for router 'ws://127\.0\.0\.1:[0-9]+/ws')
port=${url##*:}
port=${port%/ws}
echo "== capstan-router on port $port"

clients=crates/capstan-wamp/tests/clients
failed=0
run() {
    echo "== $*"
    "$@" || failed=1
}
run "$venv/bin/python" "$clients/test_autobahn_python.py" "$port" json msgpack cbor
run "$venv/bin/python" "$clients/test_autobahn_python_advanced.py" "$port" json msgpack cbor
run node "$js/test_autobahn_js.mjs" "$port" 22 json msgpack cbor
run node "$js/test_autobahn_js.mjs" "$port" 26 json msgpack cbor

# The game server's WAMP feed, watched by autobahn-python (the router's pid
# is kept for the shutdown suite below).
router_pid=$pid
echo "== cargo build -p capstan-game (a game watched over WAMP)"
build_debug -p capstan-game
background_start game "${CARGO_TARGET_DIR:-$root/target}/debug/capstan-game" --bind 127.0.0.1 --port 0 --db "$work/game.db"
game_url=$(background_wait_for game 'open http://127\.0\.0\.1:[0-9]+/')
game_port=${game_url##*:}
game_port=${game_port%/}
run "$venv/bin/python" crates/capstan-game/tests/wamp/test_autobahn_watch.py "$game_port" json msgpack cbor
pid=$router_pid

# Last: the router's GOODBYE on SIGTERM (this stops the router).
run "$venv/bin/python" "$clients/test_router_shutdown.py" "$port" "$pid"
[ "$failed" = 0 ] || { echo "wamp-test: some suites failed" >&2; exit 1; }
echo "wamp-test: every suite passed"
