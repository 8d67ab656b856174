#!/usr/bin/env bash
# The browser tests: the chat web client (also in cluster mode, on a
# redis-server, with the server API publishing to it as a bot, and its
# admin page following its users), and
# permessage-deflate with Chromium against the echo
# example. Headless Chromium (Debian's package) driven by playwright-core,
# against the real server binary.
#
#   scripts/browser-test.sh
#
# Installs what is missing (chromium and redis-server with apt, node/npm with
# apt if absent, playwright-core with `npm ci`; no browser download), builds capstan-chat,
# then runs `node --test`. Exits non-zero when anything fails.
# CAPSTAN_CHAT_BIN=path runs the test against another server binary (no build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
test_dir=crates/capstan-chat/tests/browser

. scripts/lib/apt.sh
apt_need /usr/bin/chromium chromium
apt_need node nodejs
apt_need npm npm
apt_need redis-server redis-server

# playwright-core only, from the lock file; browsers are never downloaded.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f "$test_dir/node_modules/playwright-core/package.json" ] ||
    [ "$test_dir/package-lock.json" -nt "$test_dir/node_modules/.package-lock.json" ]; then
    echo "== npm ci in $test_dir"
    (cd "$test_dir" && npm ci --no-audit --no-fund)
fi

if [ -z "${CAPSTAN_CHAT_BIN:-}" ]; then
    echo "== cargo build -p capstan-chat"
    cargo build -p capstan-chat
    export CAPSTAN_CHAT_BIN="$root/target/debug/capstan-chat"
fi
if [ -z "${CAPSTAN_ECHO_BIN:-}" ]; then
    echo "== cargo build --release -p capstan --example echo (for the compression test)"
    cargo build --release -p capstan --example echo
    export CAPSTAN_ECHO_BIN="$root/target/release/examples/echo"
fi

echo "== browser test ($(/usr/bin/chromium --version 2>/dev/null | head -n1), node $(node --version))"
cd "$test_dir"
exec node --test --test-reporter=spec chat.test.mjs large-room.test.mjs cluster.test.mjs deflate.test.mjs api.test.mjs admin.test.mjs
