#!/usr/bin/env bash
# The chat as a cluster on this machine, without Docker: Redis (AOF on),
# three capstan-chat nodes on it (--redis), and nginx in front of them
# (WebSocket proxying, one public port).
#
#   scripts/cluster.sh              serve until Ctrl-C: open http://127.0.0.1:8080/
#   scripts/cluster.sh --check      start everything, check it through the
#                                   load balancer, stop (exit 0 if all is well)
#
# Environment: CLUSTER_PORT (public port; default 8080, a free one with
# --check), CLUSTER_NODES
# (default 3), CLUSTER_APPENDFSYNC (Redis AOF fsync: always | everysec,
# default everysec; see docs/CLUSTER.md for what each guarantees).
# Installs redis-server and nginx with apt if they are missing; builds
# capstan-chat (release). Everything it starts is stopped when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build.sh
root=$(pwd)
mode=${1:-serve}
public_port=${CLUSTER_PORT:-}
nodes=${CLUSTER_NODES:-3}
appendfsync=${CLUSTER_APPENDFSYNC:-everysec}

. scripts/lib/apt.sh
apt_need redis-server redis-server
apt_need /usr/sbin/nginx nginx-light

echo "== cargo build --release -p capstan-chat"
build_release -p capstan-chat
chat_bin=${CARGO_TARGET_DIR:-$root/target}/release/capstan-chat

. scripts/lib/background.sh
background_init capstan-cluster

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The public port: 8080 to serve, any free one to check (unless set).
if [ -z "$public_port" ]; then
    if [ "$mode" = "--check" ]; then public_port=$(free_port); else public_port=8080; fi
fi

# -- Redis -----------------------------------------------------------------
redis_port=$(free_port)
mkdir -p "$work/redis"
background_start redis redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" \
    --appendonly yes --appendfsync "$appendfsync" --save ''
background_wait_port redis 127.0.0.1 "$redis_port" 30
echo "== redis on 127.0.0.1:$redis_port (AOF, appendfsync $appendfsync)"

# -- the nodes ---------------------------------------------------------------
upstreams=
for n in $(seq "$nodes"); do
    port=$(free_port)
    background_start "node$n" "$chat_bin" --bind 127.0.0.1 --port "$port" \
        --redis "redis://127.0.0.1:$redis_port" --db "$work/node$n.db"
    background_wait_for "node$n" 'WebSocket ws://[^ ]*' 30 >/dev/null
    echo "== node $n on 127.0.0.1:$port (pid $pid)"
    upstreams+="        server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"$'\n'
done

# -- nginx -------------------------------------------------------------------
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 20000; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    upstream chat {
$upstreams    }
    server {
        listen 127.0.0.1:$public_port;
        location / {
            proxy_pass http://chat;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            # A node that died: the next one takes the new connection.
            proxy_next_upstream error timeout;
        }
    }
}
EOF
background_start nginx /usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
background_wait_port nginx 127.0.0.1 "$public_port" 30
echo "== nginx on 127.0.0.1:$public_port in front of $nodes nodes"

if [ "$mode" = "--check" ]; then
    # Every node answers through the balancer, and a WebSocket upgrade
    # passes it (101).
    for _ in $(seq "$nodes"); do
        curl -fsS "http://127.0.0.1:$public_port/healthz" >/dev/null
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
        -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
        -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
        "http://127.0.0.1:$public_port/ws" || true)
    [ "$status" = 101 ] || { echo "the balancer did not pass the WebSocket upgrade (got $status)" >&2; exit 1; }
    echo "cluster: $nodes nodes on one Redis behind nginx answer at http://127.0.0.1:$public_port/ (WebSocket upgrade 101)"
    exit 0
fi

echo "Capstan chat cluster: open http://127.0.0.1:$public_port/ (Ctrl-C stops it)"
wait
