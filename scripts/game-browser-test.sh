#!/usr/bin/env bash
# The game's JavaScript tests, against the real capstan-game binary:
#
# - classic.test.mjs: the original 2017 TikzTakz client's protocol logic
#   (classic-client.mjs, rewritten rule for rule from its connect5-core.js)
#   as two "tabs" over Node's `ws`: a public game played through, a private
#   game by invite link, the quirks the original depends on, the opponent
#   leaving, and the new fields ignored;
# - game.test.mjs: the web client in headless Chromium (Debian's package,
#   driven by playwright-core): two browsers play until one wins while a
#   third watches, one reloads mid-game and continues, a private game by
#   invite link, the bot, phone width, names as text, the replay view.
#
#   scripts/game-browser-test.sh
#   GAME_SCREENSHOT=1 scripts/game-browser-test.sh    # also rewrites docs/img/game.png
#
# Installs what is missing (chromium, node and npm with apt; playwright-core
# and ws with `npm ci` from the lock file, no browser download), builds
# capstan-game (debug), then runs `node --test`. Exits non-zero when
# anything fails. CAPSTAN_GAME_BIN=path tests another binary (no build).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
test_dir=crates/capstan-game/tests/browser

. scripts/lib/apt.sh
apt_need /usr/bin/chromium chromium
apt_need node nodejs
apt_need npm npm

. scripts/lib/npm.sh
npm_ci_if_stale "$test_dir" playwright-core ws

if [ -z "${CAPSTAN_GAME_BIN:-}" ]; then
    echo "== cargo build -p capstan-game"
    build_debug -p capstan-game
    export CAPSTAN_GAME_BIN="$(cargo_target_dir)/debug/capstan-game"
fi

echo "== game tests ($(/usr/bin/chromium --version 2>/dev/null | head -n1), node $(node --version))"
cd "$test_dir"
exec node --test --test-reporter=spec classic.test.mjs game.test.mjs
