#!/usr/bin/env bash
# The workspace against the newest semver-compatible dependencies, before
# its users meet them: a scratch copy of the tree, `cargo update`, then
# the build with any warning an error (a deprecation in a new release
# fails here) and the Rust tests (`cargo test --workspace`). The tree and its Cargo.lock
# are left as they are; the scratch copy is removed.
#
# Intermediate artifacts are shared with the tree's build (build-dir =
# the tree's target dir), so only what changed is compiled again: the
# dependencies that moved and the workspace crates above them. (Cargo
# hashes workspace crates by their path within the workspace, and the copy
# keeps file times, so when nothing moved the tree's build is reused as
# it is, its warnings replayed.) Final artifacts go to target/update-check.
#
# Usage: scripts/deps-update-check.sh
# Needs what scripts/test installs (redis-server, nats-server, nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build_dir=${CARGO_TARGET_DIR:-$root/target}
case $build_dir in /*) ;; *) build_dir=$root/$build_dir ;; esac

scratch=$(mktemp -d "${TMPDIR:-/tmp}/capstan-update-check.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

echo "== a scratch copy of the tree (tracked and new files, not ignored ones) in $scratch"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
    tar --null -T - -cf - | tar -xf - -C "$scratch"

cd "$scratch"
echo "== cargo update (what moves since the committed Cargo.lock)"
cargo update 2>&1 | grep -v '^ *Locking\|^ *Updating crates.io index' || true
if cmp -s Cargo.lock "$root/Cargo.lock"; then
    echo "   (nothing: the committed Cargo.lock is already the newest)"
fi

export CARGO_BUILD_BUILD_DIR=$build_dir
export CARGO_TARGET_DIR=$build_dir/update-check

echo "== cargo test --workspace --no-run (on the updated lockfile): a warning fails, as clippy -D warnings would"
# Every workspace crate above a dependency that moved is compiled again,
# so its rustc warnings, a deprecation first of all, are printed (a crate
# found fresh has its cached warnings replayed); clippy's own lints move
# with the toolchain, not the lockfile, and run in CI on the tree.
log=$scratch/build.log
cargo test --workspace --no-run 2>&1 | tee "$log"
if grep -E '^(warning|error)(\[|:)' "$log"; then
    echo "the workspace warns on the newest compatible dependencies (above)" >&2
    exit 1
fi

echo "== cargo test --workspace (on the updated lockfile)"
cargo test --workspace

echo "== the workspace builds, lints clean and passes its tests on the newest compatible dependencies"
