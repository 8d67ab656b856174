# The arguments every benchmark script takes: --quick, --out DIR, --help
# (the script's leading comment). Sourced, not run:
#
#   . scripts/lib/bench-args.sh
#   bench_args cluster-bench "$@"    # sets $quick (1 or empty), $out, $command_line

# Parses NAME's arguments; exits 0 after --help, 2 on an unknown one.
bench_args() {
    local name=$1
    shift
    command_line="scripts/$name.sh${*:+ $*}"
    quick=
    out=
    while [ $# -gt 0 ]; do
        case $1 in
            --quick) quick=1 ;;
            --out) out=${2:?--out needs a directory}; shift ;;
            -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
            *) echo "$name: unknown argument $1 (see --help)" >&2; exit 2 ;;
        esac
        shift
    done
}
