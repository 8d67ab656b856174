# Servers a script starts for its run: each runs in the background with its
# output in $work/NAME.log; every one is stopped when the script exits
# (SIGTERM, then SIGKILL after 10 s) and, if the script failed, the last
# lines of each log are shown. Sourced, not run:
#
#   . scripts/lib/background.sh
#   background_init capstan-thing             # makes $work, sets the traps
#   background_start NAME CMD [ARG...]        # starts it; sets $pid
#   url=$(background_wait_for NAME 'ws://[0-9.:]*')   # waits for its line
#   background_wait_port NAME HOST PORT       # or waits until it accepts
#   background_stop_checked PID NAME          # SIGTERM, as a service manager does;
#                                             # fails unless it exits 0
#   background_stop PID                       # stops one before the end (and
#                                             # forgets it: a number reused later
#                                             # by another process is never signalled)

work=
background_pids=()

# Makes the work folder ($work, named after $1) and stops everything on exit.
background_init() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    trap background_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# Starts CMD in the background, its output in $work/NAME.log; sets $pid.
background_start() {
    local name=$1
    shift
    "$@" >"$work/$name.log" 2>&1 &
    pid=$!
    background_pids+=("$pid")
}

# Prints the first match of the extended REGEX in NAME's log once it is
# there (at most SECONDS, default 30); fails if the process ($pid of the
# last start unless PID is given) exits first.
background_wait_for() {
    local name=$1 regex=$2 seconds=${3:-30} watched=${4:-$pid} found
    for _ in $(seq $((seconds * 10))); do
        found=$(grep -o -m1 -E "$regex" "$work/$name.log" 2>/dev/null | head -n1 || true)
        if [ -n "$found" ]; then
            echo "$found"
            return 0
        fi
        if ! kill -0 "$watched" 2>/dev/null; then
            echo "$name exited before it printed /$regex/:" >&2
            tail -n 40 "$work/$name.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "$name printed no /$regex/ within $seconds s:" >&2
    tail -n 40 "$work/$name.log" >&2
    return 1
}

# Waits until HOST:PORT accepts a connection (at most SECONDS, default 60);
# fails if the process ($pid unless PID is given) exits first.
background_wait_port() {
    local name=$1 host=$2 port=$3 seconds=${4:-60} watched=${5:-$pid}
    for _ in $(seq $((seconds * 5))); do
        if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$watched" 2>/dev/null; then
            echo "$name exited before it accepted on $host:$port:" >&2
            tail -n 40 "$work/$name.log" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "$name did not accept on $host:$port within $seconds s:" >&2
    tail -n 40 "$work/$name.log" >&2
    return 1
}

# Stops PID: SIGTERM, then SIGKILL if it is still there after 10 s.
background_stop() {
    local target=$1
    kill "$target" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$target" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$target" 2>/dev/null || true
    wait "$target" 2>/dev/null || true
    local kept=() p
    for p in "${background_pids[@]}"; do
        [ "$p" = "$target" ] || kept+=("$p")
    done
    background_pids=("${kept[@]}")
}

# Stops PID (started as NAME) with SIGTERM and waits for it; fails, with
# the end of its log, unless it exited 0.
background_stop_checked() {
    local target=$1 name=$2 status=0
    kill -TERM "$target"
    wait "$target" || status=$?
    local kept=() p
    for p in "${background_pids[@]}"; do
        [ "$p" = "$target" ] || kept+=("$p")
    done
    background_pids=("${kept[@]}")
    if [ "$status" != 0 ]; then
        echo "$name exited with status $status after SIGTERM; its log ends:" >&2
        tail -n 20 "$work/$name.log" >&2
        return 1
    fi
}

background_cleanup() {
    local status=$?
    trap - EXIT
    for target in "${background_pids[@]}"; do
        kill "$target" 2>/dev/null || true
    done
    for target in "${background_pids[@]}"; do
        background_stop "$target"
    done
    if [ "$status" != 0 ] && [ -n "$work" ]; then
        for log in "$work"/*.log; do
            [ -f "$log" ] || continue
            echo "--- $(basename "$log") (last lines)" >&2
            tail -n 20 "$log" >&2
        done
    fi
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
