#!/usr/bin/env bash
# The WAMP client suites against the reference router, crossbar, so that what
# they expect of capstan-router is first shown to be what a real router does
# (or, where crossbar differs from the spec, written down: docs/WAMP.md, "Compared with crossbar").
#
#   scripts/wamp-crossbar.sh           # start crossbar, run every suite, stop it
#   scripts/wamp-crossbar.sh --serve   # start crossbar and keep it up (Ctrl-C
#                                      # stops it), to run one suite by hand
#
# Installs crossbar (pinned, scripts/wamp-crossbar-requirements.txt) in its
# own venv at ${CROSSBAR_VENV:-~/.cache/capstan/crossbar-venv}; the client
# suites run from ${WAMP_VENV:-~/.cache/capstan/wamp-venv} (autobahn with its
# serializers, and websockets) as scripts/wamp-test.sh has it, and from
# crates/capstan-wamp/tests/clients/js (npm ci: autobahn-js 22.x and 26.x).
# Writes a node config into a temp dir: one web transport on a free port,
# WebSocket at /ws with json, msgpack and cbor;
#   realm1     open to anonymous, every permission;
#   authrealm  ticket alice/secret-ticket (user), ticket eve/eve-ticket
#              (restricted), wampcra bob/bob-secret (user), wampcra
#              carol/carol-secret salted (salt123, 1000 iterations, keylen 32;
#              user), cryptosign dave (Ed25519, the seed in the suites; user);
#              user: call/register/publish/subscribe on prefix com.example.,
#              restricted: subscribe to exactly com.example.news;
#   the meta API on both.
# Starts crossbar, waits until it accepts, runs every suite, stops it on exit.
# Prints "SUITE: N passed, M failed" per suite and a summary. Failures against
# crossbar are data, not errors: the exit status is non-zero only when the
# script itself could not do its work.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
clients=$root/crates/capstan-wamp/tests/clients
cb_venv=${CROSSBAR_VENV:-$HOME/.cache/capstan/crossbar-venv}
venv=${WAMP_VENV:-$HOME/.cache/capstan/wamp-venv}
crossbar_version=$(sed -n 's/^crossbar==//p' scripts/wamp-crossbar-requirements.txt)

# -- crossbar, in its own venv ------------------------------------------------
if [ ! -x "$cb_venv/bin/python" ]; then
    echo "== python3 -m venv $cb_venv"
    mkdir -p "$(dirname "$cb_venv")"
    python3 -m venv "$cb_venv"
fi
if [ "$("$cb_venv/bin/python" -c 'import crossbar; print(crossbar.__version__)' 2>/dev/null)" != "$crossbar_version" ]; then
    echo "== pip install crossbar==$crossbar_version (and its pinned dependencies)"
    "$cb_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r scripts/wamp-crossbar-requirements.txt
fi

# -- the clients ----------------------------------------------------------------
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
if ! (cd "$clients/js" && node -e 'require("autobahn22"); require("autobahn26/package.json")' 2>/dev/null) \
    || [ "$clients/js/package-lock.json" -nt "$clients/js/node_modules/.package-lock.json" ]; then
    echo "== npm ci (crates/capstan-wamp/tests/clients/js)"
    (cd "$clients/js" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "== crossbar $crossbar_version; clients: autobahn-python $("$venv/bin/python" -c 'import autobahn; print(autobahn.__version__)'), websockets $("$venv/bin/python" -c 'import websockets; print(websockets.__version__)'), autobahn-js $(cd "$clients/js" && node -p 'require("autobahn22/package.json").version') and $(cd "$clients/js" && node -p 'require("autobahn26/package.json").version') on node $(node --version)"

# -- the node config ------------------------------------------------------------
. scripts/lib/background.sh
background_init capstan-crossbar

port=$("$cb_venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/.crossbar"
"$cb_venv/bin/python" - "$port" "$work/.crossbar/config.json" <<'PY'
import json
import sys

from nacl.signing import SigningKey

port, path = int(sys.argv[1]), sys.argv[2]
dave_seed = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"
dave_pubkey = SigningKey(bytes.fromhex(dave_seed)).verify_key.encode().hex()
everything = {"call": True, "register": True, "publish": True, "subscribe": True}
# Whether a router discloses callers and publishers is, in crossbar, the
# role's "disclose" and nothing else (it ignores disclose_me): on, so that
# the identification checks see what a disclosing router sends.
disclose = {"caller": True, "publisher": True}
config = {
    "version": 2,
    "controller": {},
    "workers": [{
        "type": "router",
        "realms": [
            {
                "name": "realm1",
                "options": {"enable_meta_api": True},
                "roles": [{
                    "name": "guest",
                    "permissions": [{"uri": "", "match": "prefix", "allow": everything,
                                     "disclose": disclose, "cache": True}],
                }],
            },
            {
                "name": "authrealm",
                "options": {"enable_meta_api": True},
                "roles": [
                    {
                        "name": "user",
                        "permissions": [{"uri": "com.example.", "match": "prefix", "allow": everything,
                                         "disclose": disclose, "cache": True}],
                    },
                    {
                        "name": "restricted",
                        "permissions": [{"uri": "com.example.news", "match": "exact",
                                         "allow": {"call": False, "register": False,
                                                   "publish": False, "subscribe": True},
                                         "disclose": disclose, "cache": True}],
                    },
                ],
            },
        ],
        "transports": [{
            "type": "web",
            "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": port},
            "paths": {
                "ws": {
                    "type": "websocket",
                    "serializers": ["json", "msgpack", "cbor"],
                    "auth": {
                        # crossbar lets the role named "anonymous" into every
                        # realm, one without that role too (with no permission
                        # there); a role of another name that only realm1 has
                        # keeps anonymous clients out of authrealm.
                        "anonymous": {"type": "static", "role": "guest"},
                        "ticket": {"type": "static", "principals": {
                            "alice": {"ticket": "secret-ticket", "role": "user"},
                            "eve": {"ticket": "eve-ticket", "role": "restricted"},
                        }},
                        "wampcra": {"type": "static", "users": {
                            "bob": {"secret": "bob-secret", "role": "user"},
                            "carol": {"secret": "carol-secret", "role": "user",
                                      "salt": "salt123", "iterations": 1000, "keylen": 32},
                        }},
                        "cryptosign": {"type": "static", "principals": {
                            "dave": {"realm": "authrealm", "role": "user", "authorized_keys": [dave_pubkey]},
                        }},
                    },
                },
            },
        }],
    }],
}
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY

# -- crossbar ---------------------------------------------------------------------
echo "== crossbar start (port $port, node dir $work/.crossbar)"
background_start crossbar env -C "$work" "$cb_venv/bin/crossbar" start --cbdir "$work/.crossbar" \
    --loglevel warn --color false
background_wait_port crossbar 127.0.0.1 "$port" 60
echo "== crossbar accepts on 127.0.0.1:$port"
if [ "${1:-}" = "--serve" ]; then
    echo "ws://127.0.0.1:$port/ws (log: $work/crossbar.log)"
    wait "$pid"
    exit 0
fi

# -- the suites ---------------------------------------------------------------------
summary=()
run_suite() {
    local name=$1
    shift
    local out=$work/$name.out err=$work/$name.err
    echo "== $name"
    # a suite's own non-zero status means checks failed: data, not an error;
    # the clients' own logging goes to a file, shown only if a suite did not finish
    "$@" 2>"$err" | tee "$out" || true
    local line
    line=$(grep -E '^[A-Za-z0-9.-]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -1 || true)
    if [ -z "$line" ]; then
        line="$name: did not finish (no summary line)"
        tail -20 "$err" >&2
    fi
    local failed
    # "FAIL check [ser]: why" lines -> "check [json msgpack cbor], ..."
    failed=$(grep -E '^FAIL ' "$out" | sed -n 's/^FAIL \([^ ]*\) \[\([a-z]*\)\].*/\1 \2/p' | awk '
        !($1 in sers) { order[++n] = $1; sers[$1] = $2; next }
        { sers[$1] = sers[$1] " " $2 }
        END { for (i = 1; i <= n; i++) printf "%s%s [%s]", (i > 1 ? ", " : ""), order[i], sers[order[i]] }' || true)
    summary+=("$line${failed:+ (failed: $failed)}")
}

run_suite autobahn-python "$venv/bin/python" "$clients/test_autobahn_python.py" "$port" json msgpack cbor
run_suite autobahn-python-advanced "$venv/bin/python" "$clients/test_autobahn_python_advanced.py" "$port" json msgpack cbor
run_suite autobahn-js-22 node "$clients/js/test_autobahn_js.mjs" "$port" 22 json msgpack cbor
run_suite autobahn-js-26 node "$clients/js/test_autobahn_js.mjs" "$port" 26 json msgpack cbor

if ! kill -0 "$pid" 2>/dev/null; then
    echo "== crossbar died during the suites; its log:" >&2
    tail -40 "$work/crossbar.log" >&2
fi
if [ -n "${CROSSBAR_LOG:-}" ]; then
    cp "$work/crossbar.log" "$CROSSBAR_LOG"
fi
echo
echo "== against crossbar $crossbar_version:"
for line in "${summary[@]}"; do
    echo "$line"
done
