# Installs Debian packages that are missing, with one `apt-get update` per
# script run at most. Sourced, not run:
#
#   . scripts/lib/apt.sh
#   apt_need redis-server redis-server      # COMMAND PACKAGE: installs PACKAGE unless COMMAND is found

apt_updated=0

# Installs PACKAGE... (no recommends, not interactive).
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# Installs PACKAGE unless COMMAND is on the PATH (or is an executable path).
apt_need() {
    local command=$1 package=$2
    if [ -x "$command" ] || command -v "$command" >/dev/null 2>&1; then
        return 0
    fi
    echo "== installing $package (Debian package: $command is missing)"
    apt_install "$package"
}
