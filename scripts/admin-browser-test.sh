#!/usr/bin/env bash
# The admin page's browser test: capstan-api's admin_demo example in front of
# headless Chromium (Debian's package) driven by playwright-core — log in,
# then the numbers, tables and charts follow WebSocket clients that connect,
# publish and leave (crates/capstan-api/tests/browser/admin.test.mjs).
#
#   scripts/admin-browser-test.sh
#   ADMIN_SCREENSHOT=1 scripts/admin-browser-test.sh    # also rewrites docs/img/admin.png
#
# Installs what is missing (chromium, node and npm with apt; playwright-core
# with `npm ci` from the lock file, no browser download), builds the example,
# then runs `node --test`. Exits non-zero when anything fails.
# CAPSTAN_ADMIN_DEMO_BIN=path runs the test against another binary (no build).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
test_dir=crates/capstan-api/tests/browser

. scripts/lib/apt.sh
apt_need /usr/bin/chromium chromium
apt_need node nodejs
apt_need npm npm

# playwright-core only, from the lock file; browsers are never downloaded.
. scripts/lib/npm.sh
npm_ci_if_stale "$test_dir" playwright-core

if [ -z "${CAPSTAN_ADMIN_DEMO_BIN:-}" ]; then
    echo "== cargo build -p capstan-api --example admin_demo"
    build_debug -p capstan-api --example admin_demo
    export CAPSTAN_ADMIN_DEMO_BIN="$(cargo_target_dir)/debug/examples/admin_demo"
fi

echo "== admin browser test ($(/usr/bin/chromium --version 2>/dev/null | head -n1), node $(node --version))"
cd "$test_dir"
exec node --test --test-reporter=spec admin.test.mjs
