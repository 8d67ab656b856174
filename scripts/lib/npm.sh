# The browser tests' Node packages, installed from their lock file when
# missing or older than it (playwright-core never downloads a browser
# here: Debian's chromium is used). Sourced, not run:
#
#   . scripts/lib/npm.sh
#   npm_ci_if_stale DIR [PACKAGE...]     # npm ci in DIR unless every PACKAGE is installed and current
#   target=$(cargo_target_dir)           # where cargo puts its builds (absolute)

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

npm_ci_if_stale() {
    local dir=$1 package stale=0
    shift
    for package in "$@"; do
        [ -f "$dir/node_modules/$package/package.json" ] || stale=1
    done
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ] && stale=1
    if [ "$stale" = 1 ]; then
        echo "== npm ci in $dir"
        (cd "$dir" && npm ci --no-audit --no-fund)
    fi
}

cargo_target_dir() {
    cargo metadata --format-version 1 --no-deps |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))'
}
