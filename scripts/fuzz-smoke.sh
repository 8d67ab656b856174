#!/usr/bin/env bash
# Fuzz smoke test for CI: builds every cargo-fuzz target in fuzz/ and runs
# each one for a short time (20 s by default) from its committed seeds.
# Exits non-zero if a target crashes, hangs, leaks or fails to build.
#
# Usage: scripts/fuzz-smoke.sh [TARGET...]      (default: every target)
#
#   FUZZ_SECONDS    run time per target (default 20)
#   FUZZ_SANITIZER  address (default) or none; address falls back to none
#                   when the ASan build fails
#   FUZZ_WORK_DIR   where the grown corpora go (default fuzz/corpus-work,
#                   git-ignored); the committed seeds in fuzz/corpus are
#                   only read
#
# Runs on the stable toolchain: cargo-fuzz passes -Z flags to rustc, which
# RUSTC_BOOTSTRAP=1 allows. Installs cargo-fuzz (from crates.io) if missing.
# One target at a time, one process each (no -jobs/-workers): it uses a
# single core.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_PER_TARGET=${FUZZ_SECONDS:-20}
SANITIZER=${FUZZ_SANITIZER:-address}
WORK=${FUZZ_WORK_DIR:-corpus-work}
export RUSTC_BOOTSTRAP=1

log() { echo "fuzz-smoke: $*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

if [ $# -gt 0 ]; then
  TARGETS=("$@")
else
  mapfile -t TARGETS < <(cargo fuzz list)
fi
[ ${#TARGETS[@]} -gt 0 ] || { log "no fuzz targets"; exit 1; }

# -a: debug assertions and overflow checks on, as in tests.
log "building ${TARGETS[*]} (sanitizer: $SANITIZER)"
build() { for t in "${TARGETS[@]}"; do cargo fuzz build -a -s "$SANITIZER" "$t" || return 1; done; }
if ! build; then
  if [ "$SANITIZER" = address ]; then
    log "the AddressSanitizer build failed: building without a sanitizer"
    SANITIZER=none
    build
  else
    exit 1
  fi
fi

failed=()
for target in "${TARGETS[@]}"; do
  mkdir -p "$WORK/$target"
  log "running $target for ${SECONDS_PER_TARGET}s"
  out=$(mktemp)
  # The first corpus directory receives new inputs; the seeds are read only.
  if cargo fuzz run -a -s "$SANITIZER" "$target" "$WORK/$target" "corpus/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$out" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs' "$out" | tail -n 2 >&2 || true
    if ! grep -qE '^Done [0-9]+ runs' "$out"; then
      tail -n 30 "$out" >&2
      log "$target: did not finish a run"
      failed+=("$target")
    fi
  else
    tail -n 60 "$out" >&2
    log "$target: FAILED (reproducer in fuzz/artifacts/$target/)"
    failed+=("$target")
  fi
  rm -f "$out"
done

if [ ${#failed[@]} -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "${#TARGETS[@]} targets ran ${SECONDS_PER_TARGET}s each: no crash, no timeout, no leak"
