#!/usr/bin/env bash
# WAMP v1 with the client of Ratchet's era, written by WAMP's authors:
# autobahn-python 0.8.15 (autobahn.wamp1, on Twisted) under Python 2.7,
# against the ratchet_pubsub example.
#
#   scripts/wamp-v1-test.sh
#
# Makes (or reuses) a virtualenv at ${WAMP1_VENV:-~/.cache/capstan/wamp1-venv}
# from ${WAMP1_PYTHON:-~/.pyenv/versions/2.7.18/bin/python} (else python2.7 on
# PATH) with the pinned packages below, builds the example (release), starts
# it on a free port, waits for its address line, runs
# crates/capstan-wamp/tests/clients/test_autobahn_wamp1.py and stops the
# server on exit. The last line reads "autobahn-wamp1: N passed, M failed";
# non-zero status if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
venv=${WAMP1_VENV:-$HOME/.cache/capstan/wamp1-venv}
# autobahn 0.8.15 is the last release with autobahn.wamp1; Twisted 20.3.0 the
# last for Python 2.7; the rest are the versions pip picks for them on 2.7,
# pinned so that a new machine gets the same set.
pins=(
    "autobahn==0.8.15" "Twisted==20.3.0" "six==1.17.0" "zope.interface==5.5.2"
    "attrs==21.4.0" "Automat==22.10.0" "constantly==15.1.0" "hyperlink==21.0.0"
    "idna==2.10" "incremental==22.10.0" "PyHamcrest==1.10.1" "typing==3.10.0.0"
)

if [ ! -x "$venv/bin/python" ]; then
    python=${WAMP1_PYTHON:-$HOME/.pyenv/versions/2.7.18/bin/python}
    [ -x "$python" ] || python=$(command -v python2.7 || true)
    if [ -z "$python" ] || [ ! -x "$python" ]; then
        echo "no Python 2.7: set WAMP1_PYTHON (autobahn.wamp1 needs Python 2)" >&2
        exit 1
    fi
    if ! "$python" -m virtualenv --version >/dev/null 2>&1; then
        echo "== $python -m pip install virtualenv<20.22"
        "$python" -m pip install --quiet --disable-pip-version-check "virtualenv<20.22"
    fi
    echo "== virtualenv $venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m virtualenv --quiet "$venv"
fi
if ! "$venv/bin/python" -c 'import autobahn.wamp1.protocol, twisted' 2>/dev/null; then
    echo "== pip install ${pins[*]}"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
fi
versions='import sys, autobahn, twisted; print("autobahn %s, Twisted %s, Python %s" % (autobahn.__version__, twisted.__version__, sys.version.split()[0]))'
echo "== $("$venv/bin/python" -c "$versions")"

echo "== cargo build --release -p capstan-wamp --example ratchet_pubsub"
build_release -p capstan-wamp --example ratchet_pubsub
server_bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/ratchet_pubsub

. scripts/lib/background.sh
background_init capstan-wamp1
background_start server "$server_bin" --port 0
url=$(background_wait_for server 'ws://127\.0\.0\.1:[0-9]+')
port=${url##*:}
echo "== ratchet_pubsub on port $port"

"$venv/bin/python" crates/capstan-wamp/tests/clients/test_autobahn_wamp1.py "$port"
