#!/usr/bin/env bash
# The browser tests: the chat web client (also in cluster mode, on a
# redis-server, with the server API publishing to it as a bot, and its
# admin page following its users), and
# permessage-deflate with Chromium against the echo
# example. Headless Chromium (Debian's package) driven by playwright-core,
# against the real server binary. The web client speaks resumable sessions
# (docs/SESSIONS.md); two tests are about them:
#
# - fallback.test.mjs: the chat behind scripts/proxies/refuse-upgrade.mjs
#   (403 to every WebSocket upgrade): the page falls back to Server-Sent
#   Events, talks with a page connected directly, and survives the proxy's
#   restart with nothing lost or twice;
# - cuts.test.mjs: the session_echo example's /relay behind
#   scripts/proxies/cutting-proxy.mjs (every connection reset 300-1500 ms
#   after it opened, fixed seed): two pages (CapstanSocket) and a Rust
#   client (capstan-testkit's session_client, the session-relay-client
#   binary) send 10,000 numbered messages each, and each gets the other
#   two's once each and in order. Debug builds (the exchange takes seconds).
#
#   scripts/browser-test.sh
#
# Installs what is missing (chromium and redis-server with apt, node/npm with
# apt if absent, playwright-core with `npm ci`; no browser download), builds
# capstan-chat, session_echo and session-relay-client (debug) and the echo
# example (release), in ${CARGO_TARGET_DIR:-target}, then runs `node --test`.
# Exits non-zero when anything fails.
# CAPSTAN_CHAT_BIN, CAPSTAN_ECHO_BIN, CAPSTAN_SESSION_ECHO and
# CAPSTAN_RELAY_CLIENT name other binaries (then those are not built).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
test_dir=crates/capstan-chat/tests/browser
target=${CARGO_TARGET_DIR:-target}
# Absolute: the tests run from $test_dir.
case $target in /*) ;; *) target=$root/$target ;; esac

. scripts/lib/apt.sh
apt_need /usr/bin/chromium chromium
apt_need node nodejs
apt_need npm npm
apt_need redis-server redis-server

# playwright-core only, from the lock file; browsers are never downloaded.
. scripts/lib/npm.sh
npm_ci_if_stale "$test_dir" playwright-core

if [ -z "${CAPSTAN_CHAT_BIN:-}" ]; then
    echo "== cargo build -p capstan-chat"
    build_debug -p capstan-chat
    export CAPSTAN_CHAT_BIN="$target/debug/capstan-chat"
fi
if [ -z "${CAPSTAN_ECHO_BIN:-}" ]; then
    echo "== cargo build --release -p capstan --example echo (for the compression test)"
    build_release -p capstan --example echo
    export CAPSTAN_ECHO_BIN="$target/release/examples/echo"
fi
if [ -z "${CAPSTAN_SESSION_ECHO:-}" ]; then
    echo "== cargo build -p capstan --example session_echo (for the cut test)"
    build_debug -p capstan --example session_echo
    export CAPSTAN_SESSION_ECHO="$target/debug/examples/session_echo"
fi
if [ -z "${CAPSTAN_RELAY_CLIENT:-}" ]; then
    echo "== cargo build -p capstan-bench --bin session-relay-client (for the cut test)"
    build_debug -p capstan-bench --bin session-relay-client
    export CAPSTAN_RELAY_CLIENT="$target/debug/session-relay-client"
fi

echo "== browser test ($(/usr/bin/chromium --version 2>/dev/null | head -n1), node $(node --version))"
cd "$test_dir"
exec node --test --test-reporter=spec chat.test.mjs large-room.test.mjs cluster.test.mjs deflate.test.mjs api.test.mjs admin.test.mjs \
    fallback.test.mjs cuts.test.mjs
