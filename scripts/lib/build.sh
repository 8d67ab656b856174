# The scripts' cargo builds. Sourced, not run:
#
#   . scripts/lib/build.sh
#   build_release ARGS...    # cargo build --release ARGS...
#   build_debug ARGS...      # cargo build ARGS...
#
# With CAPSTAN_BUILD_ALL=1 (.ci/run sets it) either one builds, instead,
# every binary and example of the workspace in one fixed invocation.
# Cargo resolves features per invocation, so scripts that each build their
# own packages (-p capstan-chat, -p capstan-bench --bin loadgen, the echo
# example...) compile the shared crates again with another feature set
# each time; one invocation compiles each crate once, and every later call
# finds everything fresh. Run alone, a script builds only what it needs.

build_all_selection=(--workspace --bins --examples)

build_release() {
    if [ "${CAPSTAN_BUILD_ALL:-0}" = 1 ]; then
        cargo build --release "${build_all_selection[@]}"
    else
        cargo build --release "$@"
    fi
}

build_debug() {
    if [ "${CAPSTAN_BUILD_ALL:-0}" = 1 ]; then
        cargo build "${build_all_selection[@]}"
    else
        cargo build "$@"
    fi
}
