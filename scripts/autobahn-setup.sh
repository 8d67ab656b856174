#!/usr/bin/env bash
# Installs Autobahn|Testsuite's `wstest` (Python 2.7 only) into a virtualenv.
#
# Usage: scripts/autobahn-setup.sh [--force]
#
#   AUTOBAHN_VENV     virtualenv location (default: $HOME/.cache/capstan/autobahn-venv)
#   AUTOBAHN_PYTHON2  Python 2.7 interpreter (default: pyenv's 2.7.18, else python2.7 on PATH)
#
# Idempotent: when the venv already has a working wstest installed from the
# same pin set (recorded in a stamp file), it exits at once. --force rebuilds.
# On success the last line printed to stdout is the path of the wstest binary,
# so callers can do: WSTEST=$(scripts/autobahn-setup.sh | tail -n1)
#
# Needs only the PyPI registry (no other network). wsaccel (a C extension) has
# no Python 2.7 wheel and is compiled from its sdist, so a C compiler and the
# Python 2.7 headers (pyenv installs them) must be present.
set -euo pipefail

VENV=${AUTOBAHN_VENV:-$HOME/.cache/capstan/autobahn-venv}
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "autobahn-setup: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "autobahn-setup: $*" >&2; }

# --- Pins --------------------------------------------------------------------
# autobahntestsuite 25.10.1 (the maintainers' py2.7 revival release) already
# pins its direct dependencies exactly (Twisted 19.10.0, pyOpenSSL 19.1.0,
# cryptography 3.3.2, autobahn[accelerate,twisted] 0.10.9, klein 17.10.0, ...).
# Its *transitive* dependencies are unpinned and resolve only because pip
# honours Requires-Python; we pin them too, to the versions that were verified
# to work, so a future upload to PyPI cannot break the install.
# The stamp file holds this list: editing it makes the next run reinstall.
CONSTRAINTS=$(cat <<'EOF'
autobahntestsuite==25.10.1
autobahn==0.10.9
txaio==2.1.0
Twisted==19.10.0
zope.interface==4.6.0
incremental==16.10.1
constantly==15.1.0
Automat==22.10.0
attrs==21.4.0
hyperlink==21.0.0
idna==2.10
typing==3.10.0.0
PyHamcrest==1.10.1
pyOpenSSL==19.1.0
cryptography==3.3.2
cffi==1.15.1
pycparser==2.21
enum34==1.1.10
ipaddress==1.0.23
service-identity==18.1.0
pyasn1==0.5.1
pyasn1-modules==0.3.0
six==1.16.0
klein==17.10.0
Werkzeug==1.0.1
jinja2==2.11.3
markupsafe==1.1.1
unittest2==1.1.0
argparse==1.4.0
linecache2==1.0.0
traceback2==1.4.0
wsaccel==0.6.6
ujson==2.0.3
setuptools==44.0.0
EOF
)
STAMP_FILE="$VENV/.capstan-autobahn-pins"
# (virtualenv must stay < 20.22: later releases cannot create Python 2 envs.)
VIRTUALENV_SPEC='virtualenv<20.22'

wstest_works() {
  [[ -x "$VENV/bin/wstest" ]] && "$VENV/bin/wstest" -a >/dev/null 2>&1
}

if [[ $FORCE -eq 0 && -f "$STAMP_FILE" ]] && [[ "$(cat "$STAMP_FILE")" == "$CONSTRAINTS" ]] && wstest_works; then
  log "wstest already installed in $VENV"
  echo "$VENV/bin/wstest"
  exit 0
fi

# --- Python 2.7 --------------------------------------------------------------
PY2=${AUTOBAHN_PYTHON2:-}
if [[ -z "$PY2" ]]; then
  for cand in "$HOME/.pyenv/versions/2.7.18/bin/python" "$(command -v python2.7 || true)" "$(command -v python2 || true)"; do
    if [[ -n "$cand" && -x "$cand" ]]; then PY2=$cand; break; fi
  done
fi
if [[ -z "$PY2" ]] || ! "$PY2" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)' 2>/dev/null; then
  log "no Python 2.7 interpreter found (looked at \$AUTOBAHN_PYTHON2, ~/.pyenv/versions/2.7.18, python2.7, python2)."
  log "wstest only runs on Python 2.7; install one (e.g. 'pyenv install 2.7.18') and retry."
  exit 1
fi
log "using Python 2.7 at $PY2"

# --- virtualenv (into that interpreter's own site-packages) -------------------
if ! "$PY2" -m virtualenv --version >/dev/null 2>&1; then
  log "installing $VIRTUALENV_SPEC for $PY2"
  "$PY2" -m pip install --disable-pip-version-check -q "$VIRTUALENV_SPEC" >&2
fi

# --- the venv -------------------------------------------------------------------
if [[ $FORCE -eq 1 || ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)' 2>/dev/null; then
  log "creating virtualenv at $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY2" -m virtualenv -q "$VENV" >&2
fi
rm -f "$STAMP_FILE"

CONSTRAINTS_FILE=$(mktemp "${TMPDIR:-/tmp}/autobahn-constraints.XXXXXX")
trap 'rm -f "$CONSTRAINTS_FILE"' EXIT
printf '%s\n' "$CONSTRAINTS" >"$CONSTRAINTS_FILE"

log "installing autobahntestsuite (pinned) into $VENV"
# PYTHONWARNINGS silences pip's Python 2 end-of-life banner.
PYTHONWARNINGS=ignore "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
  -c "$CONSTRAINTS_FILE" autobahntestsuite >&2

if ! wstest_works; then
  log "wstest was installed but does not run; output of 'wstest -a':"
  "$VENV/bin/wstest" -a >&2 || true
  exit 1
fi
printf '%s\n' "$CONSTRAINTS" >"$STAMP_FILE"
log "ok: $("$VENV/bin/wstest" -a 2>/dev/null | tr '\n' ' ')"
echo "$VENV/bin/wstest"
