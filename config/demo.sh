#!/usr/bin/env bash
#
# Starts the demo on loopback: the news backend, Redis and Debian's nginx
# with the module and config/nginx.conf.  Ctrl-C stops everything.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
demo=$top/build/demo
nginx=${NGINX:-/usr/sbin/nginx}
pids=()
nginx_pid=

stop() {
    trap - INT TERM EXIT
    echo
    echo "stopping the demo"
    if [ -n "$nginx_pid" ]; then kill -QUIT "$nginx_pid" 2>/dev/null || true; fi
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

mkdir -p "$demo"

# a stale demo from an earlier run
if [ -f "$demo/nginx.pid" ]; then
    kill -QUIT "$(cat "$demo/nginx.pid")" 2>/dev/null || true
    sleep 0.5
fi

trap stop INT TERM EXIT

redis-server --port 6380 --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no > "$demo/redis.log" 2>&1 &
pids+=($!)

perl "$top/config/backend.pl" 8081 "$demo/comments.tsv" \
    > "$demo/backend.log" 2>&1 &
pids+=($!)

"$nginx" -p "$demo/" -c "$top/config/nginx.conf" -e "$demo/error.log" \
    -g 'daemon off;' &
nginx_pid=$!

sleep 1

for p in "${pids[@]}" "$nginx_pid"; do
    kill -0 "$p" 2>/dev/null || { echo "demo: a service failed to start;" \
        "see $demo/*.log" >&2; exit 1; }
done

cat <<MSG

Demo running.  Open http://127.0.0.1:8080/ and write a comment.

  try:  "Polisi harus memberantas judi online sampai tuntas"   (passes)
        "polisi goblok"                                         (held for
                                                                 a moderator)
        "daftar sekarang di situs slot gacor, pasti maxwin"     (rejected)

  nginx log:     $demo/error.log
  comments:      $demo/comments.tsv (state "held": the moderation queue)
  decisions:     $demo/comments.json (one JSON object a post)
  counters:      curl http://127.0.0.1:8080/comment-moderation/status

Press Ctrl-C to stop.
MSG

wait
