#!/usr/bin/env bash
# The browser client's own tests (clients/js): its unit tests against fakes,
# its integration tests against the real session_echo example (they start
# it themselves on a free port, and fail if it is missing), and its types
# checked by tsc --strict.
#
#   scripts/js-client-test.sh
#
# Builds session_echo (debug, in ${CARGO_TARGET_DIR:-target}) and hands it
# to the tests as CAPSTAN_SESSION_ECHO (a binary named there already is
# taken as it is); installs the client's dev dependencies from its lock
# file (npm ci); `npm run types` fetches typescript with npx. Needs node
# 20+ and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
target=${CARGO_TARGET_DIR:-target}
# Absolute: the tests run from clients/js.
case $target in /*) ;; *) target=$PWD/$target ;; esac

if [ -z "${CAPSTAN_SESSION_ECHO:-}" ]; then
    echo "== cargo build -p capstan --example session_echo"
    build_debug -p capstan --example session_echo
    export CAPSTAN_SESSION_ECHO="$target/debug/examples/session_echo"
fi

cd clients/js
echo "== npm ci in clients/js (node $(node --version))"
npm ci --no-audit --no-fund
echo "== npm test"
npm test
echo "== npm run types"
npm run types
