#!/usr/bin/env bash
# Runs the Autobahn|Testsuite fuzzing client (wstest -m fuzzingclient) against a
# WebSocket echo server and fails unless every selected case passes.
#
# Usage:
#   scripts/autobahn.sh [options] -- <server command...>   # start, test, stop the server
#   scripts/autobahn.sh [options] --url ws://HOST:PORT     # test a server that is already running
#                                                         # (or set AUTOBAHN_URL)
# Example:
#   cargo build --release --example echo
#   scripts/autobahn.sh --preset ci -- target/release/examples/echo 127.0.0.1:9001
#
# Options:
#   --preset NAME         ci (default), ci-deflate, ci+deflate (both: what CI runs) or full;
#                         see "Case lists" below
#   --cases LIST          comma-separated case patterns, e.g. "1.*,2.*,7.1.1"; replaces the preset
#   --exclude LIST        comma-separated case patterns to leave out ("exclude-cases")
#   --port N              port of the server we start (default 9001, or $AUTOBAHN_PORT);
#                         a literal {port} in the server command is replaced by it
#   --host H              host of the server we start (default 127.0.0.1)
#   --url URL             test the server already running at URL; no server command then
#   --report-dir DIR      wstest's outdir (default target/autobahn, or $AUTOBAHN_REPORT_DIR);
#                         also gets spec.json, expected-cases.txt, wstest.log, server.log, summary.md
#   --agent NAME          agent name in the report (default capstan)
#   --timeout SECS        limit for the whole wstest run (default 1800, or $AUTOBAHN_TIMEOUT)
#   --startup-timeout S   how long to wait for the server's port to accept connections (default 60)
#   --list                print the case ids the selection resolves to, and exit
#
# Exit status: 0 every selected case passed; 1 a case failed, was not run, the
# server died or wstest timed out; 2 bad usage or setup failure.
#
# A case passes when its behavior and its behaviorClose are both OK, or
# INFORMATIONAL (counted and listed, but accepted). NON-STRICT, FAILED,
# UNIMPLEMENTED and every other outcome (WRONG CODE, UNCLEAN, ...) fail.
# No wstest "options" are set in the spec: the suite's default strictness
# applies (in particular failByDrop is left alone).
#
# Case lists (presets). The case ids and what they contain come from
# autobahntestsuite 25.10.1 (pinned in scripts/autobahn-setup.sh):
#
#   ci          "1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*"  -- every case of categories 1-10
#               (there is no category 8 or 11).
#               9.* holds the limits/performance cases: single messages up to
#               16 MiB (9.1/9.2), a 4 MiB message in as many as 65536 fragments
#               of 64 B (9.3/9.4), 1 MiB written in 64 B TCP chops (9.5/9.6).
#               The echo server must therefore accept messages of >= 16 MiB and
#               must not cap the number of fragments per message below 65536.
#
#   ci-deflate  a fixed sample of the permessage-deflate cases. 12.N and 13.N each have 18
#               cases that differ only in message size / auto-fragmentation:
#                 .1 = 1000 x 16 B, .2 = 1000 x 64 B (unfragmented),
#                 .11 = 1000 x 8 KiB auto-fragmented into 256 B frames.
#               12.1-12.5 vary the payload (JSON, BMP image, German text, HTML,
#               PDF) with the default offer; 13.1-13.7 vary the negotiated
#               parameters (client offer / server accept of
#               (no_context_takeover, max_window_bits)):
#                 13.1 (F,default)/(F,default)  13.2 (T,default)/(T,default)
#                 13.3 (F,9)/(F,9)              13.4 (F,15)/(F,15)
#                 13.5 (T,9)/(T,9)              13.6 (T,15)/(T,15)
#                 13.7 three offers [(T,9),(T,default),(F,default)] / first acceptable
#               The sample is cases .1, .2 and .11 of every 12.N and 13.N
#               (36 cases): every payload kind, every parameter combination,
#               and compressed messages split across continuation frames.
#
#   ci+deflate  ci and ci-deflate together (337 cases): THIS IS THE LIST CI RUNS.
#
#   full        "*" -- every case, incl. all 216 compression cases (slow: 12.*/13.*
#               send 1000 messages of up to 128 KiB per case).
#
# Rough cost, measured against a throwaway Python `websockets` echo server on
# the 2-core dev machine: ci ~23 s, ci-deflate ~27 s, plus ~30 s for the first,
# uncached wstest install (later runs of the setup take ~0.3 s).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY3=${AUTOBAHN_PYTHON3:-python3}

PRESET_CI="1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*"
PRESET_FULL="*"
PRESET_CI_DEFLATE=""
for n in 1 2 3 4 5; do for c in 1 2 11; do PRESET_CI_DEFLATE+="12.$n.$c,"; done; done
for n in 1 2 3 4 5 6 7; do for c in 1 2 11; do PRESET_CI_DEFLATE+="13.$n.$c,"; done; done
PRESET_CI_DEFLATE=${PRESET_CI_DEFLATE%,}

usage() { sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "autobahn: $*" >&2; exit 2; }
log() { echo "autobahn: $*" >&2; }

PRESET=ci
CASES=""
EXCLUDE=""
PORT=${AUTOBAHN_PORT:-9001}
HOST=127.0.0.1
URL=${AUTOBAHN_URL:-}
REPORT_DIR=${AUTOBAHN_REPORT_DIR:-target/autobahn}
AGENT=capstan
TIMEOUT=${AUTOBAHN_TIMEOUT:-1800}
STARTUP_TIMEOUT=60
LIST_ONLY=0
SERVER_CMD=()

need_arg() { [[ $# -ge 2 ]] || die "option $1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --preset) need_arg "$@"; PRESET=$2; shift 2 ;;
    --cases) need_arg "$@"; CASES=$2; shift 2 ;;
    --exclude) need_arg "$@"; EXCLUDE=$2; shift 2 ;;
    --port) need_arg "$@"; PORT=$2; shift 2 ;;
    --host) need_arg "$@"; HOST=$2; shift 2 ;;
    --url) need_arg "$@"; URL=$2; shift 2 ;;
    --report-dir) need_arg "$@"; REPORT_DIR=$2; shift 2 ;;
    --agent) need_arg "$@"; AGENT=$2; shift 2 ;;
    --timeout) need_arg "$@"; TIMEOUT=$2; shift 2 ;;
    --startup-timeout) need_arg "$@"; STARTUP_TIMEOUT=$2; shift 2 ;;
    --list) LIST_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; SERVER_CMD=("$@"); break ;;
    *) die "unknown argument: $1 (see --help; put the server command after --)" ;;
  esac
done

if [[ -z "$CASES" ]]; then
  case "$PRESET" in
    ci) CASES=$PRESET_CI ;;
    ci-deflate) CASES=$PRESET_CI_DEFLATE ;;
    ci+deflate) CASES="$PRESET_CI,$PRESET_CI_DEFLATE" ;;
    full) CASES=$PRESET_FULL ;;
    *) die "unknown preset '$PRESET' (ci, ci-deflate, ci+deflate, full)" ;;
  esac
fi
[[ "$PORT" =~ ^[0-9]+$ ]] || die "--port must be a number, got '$PORT'"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds, got '$TIMEOUT'"
[[ "$STARTUP_TIMEOUT" =~ ^[0-9]+$ ]] || die "--startup-timeout must be a number of seconds"

if [[ $LIST_ONLY -eq 0 ]]; then
  if [[ -n "$URL" && ${#SERVER_CMD[@]} -gt 0 ]]; then
    die "give either --url/AUTOBAHN_URL or a server command after --, not both"
  fi
  if [[ -z "$URL" && ${#SERVER_CMD[@]} -eq 0 ]]; then
    die "no server: give a server command after -- or a running server's --url (see --help)"
  fi
fi

if [[ -n "$URL" ]]; then
  [[ "$URL" =~ ^(wss?)://(\[[^]]+\]|[^/:]+)(:([0-9]+))?(/.*)?$ ]] || die "cannot parse --url '$URL'"
  URL_SCHEME=${BASH_REMATCH[1]}
  TARGET_HOST=${BASH_REMATCH[2]}
  TARGET_HOST=${TARGET_HOST#[}; TARGET_HOST=${TARGET_HOST%]}
  TARGET_PORT=${BASH_REMATCH[4]:-$([[ $URL_SCHEME == wss ]] && echo 443 || echo 80)}
else
  TARGET_HOST=$HOST
  TARGET_PORT=$PORT
  if [[ "$HOST" == *:* ]]; then URL="ws://[$HOST]:$PORT"; else URL="ws://$HOST:$PORT"; fi
fi

# --- wstest ------------------------------------------------------------------
WSTEST=$("$SCRIPT_DIR/autobahn-setup.sh" | tail -n1) || die "scripts/autobahn-setup.sh failed"
[[ -x "$WSTEST" ]] || die "setup did not yield a wstest binary (got '$WSTEST')"
VENV_PY=$(dirname "$WSTEST")/python

if [[ $LIST_ONLY -eq 1 ]]; then
  REPORT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/autobahn-list.XXXXXX")
  trap 'rm -rf "$REPORT_DIR"' EXIT
fi
mkdir -p "$REPORT_DIR"
REPORT_DIR=$(cd "$REPORT_DIR" && pwd)
SPEC="$REPORT_DIR/spec.json"
EXPECTED="$REPORT_DIR/expected-cases.txt"
WSLOG="$REPORT_DIR/wstest.log"
SERVER_LOG="$REPORT_DIR/server.log"
SUMMARY="$REPORT_DIR/summary.md"

# Stale results must never be read as this run's.
rm -f "$REPORT_DIR/index.json" "$REPORT_DIR/index.html" "$REPORT_DIR"/*_case_*.json \
  "$REPORT_DIR"/*_case_*.html "$EXPECTED" "$WSLOG" "$SERVER_LOG" "$SUMMARY"

"$PY3" - "$SPEC" "$REPORT_DIR" "$AGENT" "$URL" "$CASES" "$EXCLUDE" <<'EOF'
import json, sys
spec_path, outdir, agent, url, cases, exclude = sys.argv[1:]
split = lambda s: [x.strip() for x in s.split(",") if x.strip()]
spec = {
    "outdir": outdir,
    "servers": [{"agent": agent, "url": url}],
    "cases": split(cases),
    "exclude-cases": split(exclude),
    "exclude-agent-cases": {},
}
with open(spec_path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
EOF

# Resolve the patterns with wstest's own matcher: this both validates the ids
# (wstest crashes on an unknown exact id) and gives the summariser the list of
# cases that must appear in the report.
"$VENV_PY" - "$SPEC" "$EXPECTED" <<'EOF' || exit 2
import json, sys
from autobahntestsuite.case import Cases, CaseCategories, CaseSubCategories, CaseSetname, CaseBasename
from autobahntestsuite.caseset import CaseSet
spec = json.load(open(sys.argv[1]))
cs = CaseSet(CaseSetname, CaseBasename, Cases, CaseCategories, CaseSubCategories)
bad = [p for p in spec["cases"] + spec["exclude-cases"] if "*" not in p and p not in cs.CasesIndices]
if bad:
    sys.stderr.write("autobahn: unknown case id(s): %s\n" % ", ".join(bad))
    sys.exit(1)
for p in spec["cases"]:
    if "*" in p and not cs.resolveCasePatternList([p]):
        sys.stderr.write("autobahn: warning: pattern %r matches no case\n" % p)
cases = cs.parseSpecCases(spec)
if not cases:
    sys.stderr.write("autobahn: the case selection is empty\n")
    sys.exit(1)
with open(sys.argv[2], "w") as f:
    f.write("\n".join(cases) + "\n")
EOF
N_CASES=$(wc -l <"$EXPECTED")

if [[ $LIST_ONLY -eq 1 ]]; then
  cat "$EXPECTED"
  log "$N_CASES cases"
  exit 0
fi

# --- server ------------------------------------------------------------------
SERVER_PID=""
WSTEST_PID=""
TAIL_PID=""

port_open() {
  # shellcheck disable=SC2016  # $0/$1 are expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$TARGET_HOST" "$TARGET_PORT" 2>/dev/null
}

server_alive() { [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; }

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  local pid=$SERVER_PID
  SERVER_PID=""
  # The server runs in its own process group (set -m below), so this also
  # reaches whatever it spawned (e.g. under `cargo run`).
  if kill -0 -- "-$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      log "server did not exit within 10 s of SIGTERM; sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

show_server_log() {
  if [[ -s "$SERVER_LOG" ]]; then
    log "last lines of $SERVER_LOG:"
    tail -n 40 "$SERVER_LOG" | sed 's/^/    /' >&2
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$WSTEST_PID" ]]; then kill -TERM "$WSTEST_PID" 2>/dev/null || true; fi
  if [[ -n "$TAIL_PID" ]]; then kill "$TAIL_PID" 2>/dev/null || true; fi
  stop_server
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ${#SERVER_CMD[@]} -gt 0 ]]; then
  for i in "${!SERVER_CMD[@]}"; do SERVER_CMD[i]=${SERVER_CMD[i]//\{port\}/$PORT}; done
  if port_open; then
    die "something already accepts connections on $TARGET_HOST:$TARGET_PORT; stop it, or pick another --port"
  fi
  log "starting server: ${SERVER_CMD[*]} (log: $SERVER_LOG)"
  set -m   # job control: the background job gets its own process group
  "${SERVER_CMD[@]}" </dev/null >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  set +m
  waited=0
  until port_open; do
    if ! server_alive; then
      wait "$SERVER_PID" && src=0 || src=$?
      SERVER_PID=""
      log "server exited (status $src) before accepting connections on $TARGET_HOST:$TARGET_PORT"
      show_server_log
      exit 1
    fi
    if (( waited >= STARTUP_TIMEOUT * 5 )); then
      log "server did not accept connections on $TARGET_HOST:$TARGET_PORT within ${STARTUP_TIMEOUT}s"
      show_server_log
      exit 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  log "server is up on $TARGET_HOST:$TARGET_PORT (pid $SERVER_PID)"
else
  port_open || { log "nothing accepts connections on $TARGET_HOST:$TARGET_PORT (from $URL)"; exit 1; }
fi

# --- run ---------------------------------------------------------------------
log "running $N_CASES cases against $URL (agent $AGENT, report in $REPORT_DIR)"
start=$(date +%s)
: >"$WSLOG"
PYTHONUNBUFFERED=1 timeout -k 10 "$TIMEOUT" "$WSTEST" -m fuzzingclient -s "$SPEC" >"$WSLOG" 2>&1 &
WSTEST_PID=$!
tail -n +1 -f --pid="$WSTEST_PID" "$WSLOG" &
TAIL_PID=$!
wait "$WSTEST_PID" && wstest_rc=0 || wstest_rc=$?
WSTEST_PID=""
wait "$TAIL_PID" 2>/dev/null || true
TAIL_PID=""
elapsed=$(( $(date +%s) - start ))
log "wstest finished in ${elapsed}s (status $wstest_rc)"

failed=0
if [[ $wstest_rc -eq 124 || $wstest_rc -eq 137 ]]; then
  log "wstest did not finish within ${TIMEOUT}s (raise with --timeout)"
  failed=1
elif [[ $wstest_rc -ne 0 ]]; then
  log "wstest exited with status $wstest_rc (see $WSLOG)"
  failed=1
fi

if [[ ${#SERVER_CMD[@]} -gt 0 ]]; then
  if server_alive; then
    stop_server
  else
    wait "$SERVER_PID" && src=0 || src=$?
    SERVER_PID=""
    log "the server exited during the run (status $src)"
    show_server_log
    failed=1
  fi
fi

# --- summary -----------------------------------------------------------------
"$PY3" "$SCRIPT_DIR/autobahn_summary.py" "$REPORT_DIR" --expected "$EXPECTED" --agent "$AGENT" \
  | tee "$SUMMARY" && summary_rc=0 || summary_rc=$?
[[ $summary_rc -eq 0 ]] || failed=1
if [[ -f "$REPORT_DIR/index.html" ]]; then
  log "report: $REPORT_DIR/index.html, summary: $SUMMARY"
fi
if [[ $failed -ne 0 ]]; then
  log "FAILED"
  exit 1
fi
log "all $N_CASES cases passed"
