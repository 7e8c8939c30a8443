#!/usr/bin/env bash
#
# Requests per second of comment posts with and without a Redis rate
# limit, on one nginx worker over loopback.  The limited location's key
# is $request_id, so every post costs a Redis round trip (the rate is so
# high that nothing is ever limited); the other location is identical
# without the limit.  Both proxy to a 204 served by the same nginx.
#
#   t/bench/limit-bench.sh [seconds] [connections]
#
# Needs wrk and redis-server; the module must be built (./build.sh build).

set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-5}
conns=${2:-16}
module=$top/build/ngx_http_comment_moderation_module.so
rules=$top/rules/main.rules

[ -f "$rules" ] || rules=$top/t/rules/basic.rules
[ -f "$module" ] || { echo "build the module first: ./build.sh build" >&2; exit 1; }

dir=$(mktemp -d /tmp/cm-bench-XXXXXX)
redis_pid=

free_port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
        LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport'
}

cleanup() {
    [ -f "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
    sleep 0.3
    rm -rf "$dir"
}
trap cleanup EXIT

port=$(free_port)
backend=$(free_port)
redis=$(free_port)

redis-server --port "$redis" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --dir "$dir" > "$dir/redis.log" 2>&1 &
redis_pid=$!

for _ in $(seq 50); do
    redis-cli -p "$redis" ping > /dev/null 2>&1 && break
    sleep 0.1
done

user=
[ "$(id -u)" -eq 0 ] && user='user root;'

mkdir -p "$dir/body" "$dir/proxy"

cat > "$dir/nginx.conf" <<END
load_module $module;
$user
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;

    comment_moderation_redis 127.0.0.1:$redis;

    upstream backend {
        server 127.0.0.1:$backend;
        keepalive 32;
    }

    server {
        listen 127.0.0.1:$backend;
        location / {
            return 204;
        }
    }

    server {
        listen 127.0.0.1:$port;

        comment_moderation_rules $rules;
        comment_moderation on;

        proxy_http_version 1.1;
        proxy_set_header Connection "";

        location /nolimit {
            proxy_pass http://backend;
        }

        location /limit {
            comment_moderation_limit key=\$request_id rate=1000000r/s;
            proxy_pass http://backend;
        }

        location /limit-one-key {
            comment_moderation_limit key=site rate=1000000r/s;
            proxy_pass http://backend;
        }
    }
}
END

nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"

cat > "$dir/post.lua" <<'END'
wrk.method = "POST"
wrk.body = "name=Budi&email=budi%40example.com&comment=Artikelnya+bagus%2C+terima+kasih+atas+informasinya."
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
END

sleep 0.3

run() {
    local path=$1 out rps

    out=$(wrk -t1 -c"$conns" -d"${secs}s" -s "$dir/post.lua" \
              "http://127.0.0.1:$port$path")
    rps=$(awk '/^Requests\/sec/ { print $2 }' <<< "$out")
    lat=$(awk '/^ +Latency/ { print $2 }' <<< "$out")
    non2xx=$(awk '/Non-2xx/ { print $5 }' <<< "$out")
    printf '%-16s %10s req/s   avg latency %-8s non-2xx %s\n' \
        "$path" "$rps" "$lat" "${non2xx:-0}"
}

echo "wrk -t1 -c$conns -d${secs}s, one nginx worker, rules: $(basename "$rules")"
run /nolimit
run /limit
run /limit-one-key
run /nolimit

keys=$(redis-cli -p "$redis" dbsize)
echo "redis keys left: $keys (per-request keys expire within 1 ms)"

if grep -E '\[(alert|crit|error)\]' "$dir/error.log"; then
    echo "errors in error.log" >&2
    exit 1
fi
