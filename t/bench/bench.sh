#!/usr/bin/env bash
#
# Benchmarks of the comment moderation module.  Prints, as markdown, the
# machine it ran on and three tables:
#
#   nginx    posts per second and latency of one nginx worker on loopback,
#            driven by wrk: plain proxy, the module with the shipped rules,
#            the module with a Redis rate limit, ModSecurity with the CRS
#   engine   comment-check on generated rule files of 10 to 10,000 regex
#            rules and word lists of 100 and 100,000 entries: time per
#            comment and time to load
#   hostile  comment-check on 64 KB bodies shaped to be expensive: time
#            and callgrind instructions per comment
#
#   t/bench/bench.sh [nginx] [engine] [hostile]      (default: all three)
#
# Settings, from the environment:
#
#   BENCH_ROUNDS=3          wrk rounds per nginx configuration, alternating
#   BENCH_SECONDS=5         length of one wrk round
#   BENCH_WARMUP=1          seconds of wrk per configuration before the
#                           rounds (0: none)
#   BENCH_CONNECTIONS=16    wrk connections (one wrk thread)
#   BENCH_BACKEND_WORKERS=2 workers of the backend nginx
#   BENCH_TIMEOUT=60        seconds one comment-check run may take
#   BENCH_TARGET=1          seconds of matching behind one engine figure
#   BENCH_RUNS=3            runs per engine figure: the median time per
#                           comment, the least load time
#   BENCH_CALLGRIND=1       0: no valgrind column in the hostile table
#   BENCH_KEEP=             set: keep build/bench/run (configs, logs)
#
# Only the comment-check command line and nginx are used, so the script
# measures any engine behind them.  It needs the module and comment-check
# built (./build.sh bench builds them first), and installs wrk, valgrind,
# redis-server, curl and Debian's ModSecurity with the OWASP CRS when they
# are missing.  Everything it writes is under build/bench/.

set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/t/bench
out=$top/build/bench
run=$out/run
check=$top/build/comment-check
module=$top/build/ngx_http_comment_moderation_module.so
rules=$top/rules/main.rules
nginx=/usr/sbin/nginx
modsec_module=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so

rounds=${BENCH_ROUNDS:-3}
secs=${BENCH_SECONDS:-5}
warmup=${BENCH_WARMUP:-1}
conns=${BENCH_CONNECTIONS:-16}
backend_workers=${BENCH_BACKEND_WORKERS:-2}
limit=${BENCH_TIMEOUT:-60}
target=${BENCH_TARGET:-1}
runs=${BENCH_RUNS:-3}
callgrind=${BENCH_CALLGRIND:-1}

packages=(wrk valgrind redis-server curl
          libnginx-mod-http-modsecurity modsecurity-crs)

# the four configurations measured through nginx, in table order; the
# backend is measured alone too, to show it is not the bottleneck
configs=(plain module limit modsec)
declare -A label=(
    [backend]="backend alone (\`return 200\`, for reference)"
    [plain]="plain proxy"
    [module]="module, shipped rules"
    [limit]="module + Redis limit per request"
    [modsec]="ModSecurity + OWASP CRS"
)

declare -A port=()
redis_pid=
redis_port=

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }


install_missing() {
    local missing=() p rc=0 own_policy=

    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done

    [ ${#missing[@]} -eq 0 ] && return 0

    say "installing: ${missing[*]}"
    [ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"

    # installing redis-server or an nginx module must not start or reload
    # the system's services; a policy already in place is left alone
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi

    # another build may hold the dpkg lock for a while: wait for it
    DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
               --no-install-recommends -o DPkg::Lock::Timeout=300 \
               "${missing[@]}" > /dev/null \
        || rc=$?

    [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] || die "apt-get install failed"
}


# Every nginx and the redis-server started here, by pid; an nginx that
# does not finish its requests within 5 s is stopped the fast way.
cleanup() {
    local pidfile pid i

    for pidfile in "$run"/*/nginx.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        kill -QUIT "$pid" 2>/dev/null || continue
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            [ "$i" -eq 50 ] && kill -TERM "$pid" 2>/dev/null
            sleep 0.1
        done
    done

    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi

    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$run"
}


# a free loopback port, not one already handed out to this run
free_port() {
    local p

    while :; do
        p=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
            LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1,
            ReuseAddr => 1)->sockport')
        [[ " ${port[*]} $redis_port " == *" $p "* ]] || break
    done

    echo "$p"
}


wait_port() {
    local i

    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done

    die "nothing answers on 127.0.0.1:$1 ($2)"
}


## machine

machine() {
    local cpu commit

    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    commit=$(git -C "$top" describe --always --dirty 2>/dev/null || echo '-')

    echo "## Machine"
    echo
    echo "- CPU: ${cpu:-unknown}; nproc: $(nproc)"
    echo "- $("$nginx" -v 2>&1 | sed 's/^nginx version: //')," \
         "libmodsecurity3 $(pkg_version libmodsecurity3)," \
         "modsecurity-crs $(pkg_version modsecurity-crs)," \
         "redis-server $(pkg_version redis-server)," \
         "wrk $(pkg_version wrk), valgrind $(pkg_version valgrind)"
    echo "- Debian $(cat /etc/debian_version), Linux $(uname -r)"
    echo "- commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
}


pkg_version() {
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '-'
}


## numbers

median() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) { print "-"; exit }
            m = int((NR + 1) / 2)
            print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2
        }'
}


# A / B, or "-" when either is not a number (a timeout, an error)
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a !~ /^[0-9.e+]+$/ || b !~ /^[0-9.e+]+$/ || b == 0) {
            print "-"; exit
        }
        r = a / b
        f = (r < 10) ? "%.2f\n" : (r < 100) ? "%.1f\n" : "%.0f\n"
        printf f, r
    }'
}


# microseconds as "0.84 ms" or "7.82 s"; T (timed out) and E (failed) as words
fmt_ms() {
    case $1 in
        T) echo ">$limit s" ;;
        E) echo "error" ;;
        -) echo "-" ;;
        *) awk -v v="$1" 'BEGIN {
               if (v >= 1e6) printf "%.2f s\n", v / 1e6
               else printf "%.2f ms\n", v / 1000 }' ;;
    esac
}


# microseconds as they are, from a second on in seconds: "47.0 s"
fmt_us() {
    case $1 in
        T) echo ">$limit s" ;;
        E) echo "error" ;;
        -) echo "-" ;;
        *) awk -v v="$1" 'BEGIN {
               if (v >= 1e6) { printf "%.1f s\n", v / 1e6; exit }
               f = (v < 100) ? "%.1f\n" : "%.0f\n"
               printf f, v }' ;;
    esac
}


fmt_count() {
    case $1 in
        T) echo ">$limit s" ;;
        E) echo "error" ;;
        -) echo "-" ;;
        *) awk -v v="$1" 'BEGIN {
               if (v >= 1e6) printf "%.1f M\n", v / 1e6
               else printf "%.0f k\n", v / 1e3 }' ;;
    esac
}


## 1. through nginx

# The request bodies: the first comment of comments.txt as the form a
# news site's comment box sends, a gambling promotion in the same form,
# and an XSS probe for ModSecurity.
write_bodies() {
    local text

    text=$(grep -v '^#' "$here/comments.txt" | head -1)

    form "$text" > "$run/ham.body"
    form "Daftar sekarang di situs slot gacor terpercaya, pasti maxwin" \
         "hari ini! Link di bio." > "$run/spam.body"
    form '<script>alert(document.cookie)</script>' > "$run/xss.body"
}


form() {
    perl -e '
        my $c = join " ", @ARGV;
        $c =~ s/([^A-Za-z0-9*._ -])/sprintf "%%%02X", ord $1/ge;
        $c =~ tr/ /+/;
        print "nama=Rina+Sari&email=rina.sari%40example.co.id",
              "&artikel=2024-06-jalan-rusak&komentar=$c";' "$@"
}


start_redis() {
    redis_port=$(free_port)
    mkdir -p "$run/redis"

    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
        --appendonly no --daemonize no --dir "$run/redis" \
        > "$run/redis/redis.log" 2>&1 &
    redis_pid=$!

    wait_port "$redis_port" redis-server
}


# The config every nginx shares: one worker (BACKEND's own count for the
# backend), everything it writes in its directory, no access log (the
# disk is not what is measured).
nginx_conf() {
    local name=$1 load=$2 workers=$3 http=$4 dir=$run/$1
    local user=

    [ "$(id -u)" -eq 0 ] && user='user root;'

    cat <<END
$load
$user
worker_processes $workers;
daemon on;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    default_type text/html;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    client_max_body_size 64k;

$http
}
END
}


start_backend() {
    local dir=$run/backend

    port[backend]=$(free_port)
    mkdir -p "$dir"

    # the proxies keep their connections: no reconnects every 1000 posts
    nginx_conf backend '' "$backend_workers" "
    keepalive_requests 1000000;

    server {
        listen 127.0.0.1:${port[backend]};

        location / {
            return 200 \"<p>Komentar diterima.</p>\n\";
        }
    }" > "$dir/nginx.conf"

    start_nginx backend
}


# one nginx with one worker for each configuration, proxying /komentar to
# the backend over kept-alive connections
start_front() {
    local name=$1 dir=$run/$1 load='' http='' loc=''

    port[$name]=$(free_port)
    mkdir -p "$dir"

    # shellcheck disable=SC2016  # nginx's variables, not the shell's
    local headers='
            proxy_set_header X-Comment-Moderation $comment_moderation_decision;
            proxy_set_header X-Comment-Moderation-Score $comment_moderation_score;
            proxy_set_header X-Comment-Moderation-Rules $comment_moderation_rules;'

    case $name in
        plain)
            ;;
        module)
            load="load_module $module;"
            http="comment_moderation_rules $rules;"
            loc="comment_moderation on;$headers"
            ;;
        limit)
            # a new key for every post, so each one costs a Redis round
            # trip, at a rate nothing reaches
            load="load_module $module;"
            http="comment_moderation_rules $rules;
    comment_moderation_redis 127.0.0.1:$redis_port;"
            loc="comment_moderation on;
            comment_moderation_limit key=\$request_id rate=1000000r/s;$headers"
            ;;
        modsec)
            load="load_module $modsec_module;"
            loc="modsecurity on;
            modsecurity_rules_file $dir/modsecurity.conf;"
            modsec_conf "$dir" > "$dir/modsecurity.conf"
            ;;
    esac

    nginx_conf "$name" "$load" 1 "
    $http

    upstream backend {
        server 127.0.0.1:${port[backend]};
        keepalive 32;
        keepalive_requests 1000000;
    }

    server {
        listen 127.0.0.1:${port[$name]};
        server_name berita.example.id;

        location = /komentar {
            $loc

            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_pass http://backend;
        }
    }" > "$dir/nginx.conf"

    start_nginx "$name"
}


# Debian's recommended settings (what /etc/nginx/modsecurity_includes.conf
# loads), turned from DetectionOnly to blocking, with the audit log and
# temp files moved into the run directory; then the CRS, in the order of
# Debian's owasp-crs.load (written for Apache: libmodsecurity 3 has no
# IncludeOptional), at its default paranoia level 1.
modsec_conf() {
    local dir=$1

    mkdir -p "$dir/modsec-tmp" "$dir/modsec-data"

    cat <<END
Include /etc/nginx/modsecurity.conf

SecRuleEngine On
SecRequestBodyAccess On
SecAuditLog $dir/modsec_audit.log
SecTmpDir $dir/modsec-tmp/
SecDataDir $dir/modsec-data/

Include /etc/modsecurity/crs/crs-setup.conf
Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf
Include /usr/share/modsecurity-crs/rules/*.conf
Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf
END
}


start_nginx() {
    local name=$1 dir=$run/$1

    # -e: not even the start-up may write to /var/log/nginx
    "$nginx" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" \
        || die "nginx for '$name' did not start, see $dir/error.log" \
               "(BENCH_KEEP=1 keeps it)"

    wait_port "${port[$name]}" "nginx $name"
}


post() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
        -H 'Host: berita.example.id' \
        -H 'Content-Type: application/x-www-form-urlencoded' \
        --data-binary "@$run/$2.body" "http://127.0.0.1:$1/komentar"
}


expect() {
    local name=$1 body=$2 want=$3 got

    got=$(post "${port[$name]}" "$body") || true
    [ "$got" = "$want" ] \
        || die "$name answered $got to the $body comment, not $want"
}


# Before measuring, each configuration must do what it is there for:
# pass the comment, and where it inspects, refuse what it should.
check_configs() {
    local before after name i

    expect backend ham 200

    for name in "${configs[@]}"; do
        expect "$name" ham 200
    done

    expect module spam 403

    # a worker whose Redis connection is not up yet lets posts through
    # unlimited (fail open): give it a moment to connect
    before=$(redis_commands)
    for i in $(seq 50); do
        expect limit ham 200
        after=$(redis_commands)
        # more than the INFO that read "before"
        [ "$after" -gt $((before + 1)) ] && break
        [ "$i" -eq 50 ] && die "the limit configuration did not ask Redis"
        sleep 0.1
    done
    expect limit spam 403

    # the CRS has no rule for gambling spam, but it does block XSS
    expect modsec xss 403
}


redis_commands() {
    redis-cli -p "$redis_port" info stats \
        | awk -F: '/^total_commands_processed:/ { print $2 + 0 }'
}


# One wrk run; prints "req/s p50 p99 non-2xx socket-errors cpu", the
# latencies in microseconds, cpu the microseconds of CPU the workers
# spent per request: on a busy machine req/s tells how much CPU nginx
# got, cpu what it did with it.
wrk_run() {
    local name=$1 secs=$2 before after

    before=$(worker_ticks "$name")

    BENCH_BODY=$run/ham.body wrk -t1 -c"$conns" -d"${secs}s" --latency \
        -s "$here/post.lua" "http://127.0.0.1:${port[$name]}/komentar" \
        > "$run/wrk.out"

    after=$(worker_ticks "$name")

    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        function us(v) {
            if (v ~ /us$/) return v + 0
            if (v ~ /ms$/) return v * 1000
            if (v ~ /m$/)  return v * 60e6
            if (v ~ /s$/)  return v * 1e6
            return v
        }
        /^ +50%/            { p50 = us($2) }
        /^ +99%/            { p99 = us($2) }
        / requests in /     { n = $1 }
        /^Requests\/sec/    { rps = $2 }
        /Non-2xx/           { bad = $NF }
        /Socket errors/     { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
        END {
            cpu = n > 0 ? ticks * 1e6 / hz / n : 0
            printf "%s %s %s %d %d %s\n", rps, p50, p99, bad, err, cpu
        }' "$run/wrk.out"
}


# user and system time of NAME's workers so far, in clock ticks
worker_ticks() {
    local master w t=0

    master=$(cat "$run/$1/nginx.pid")

    for w in $(ps -o pid= --ppid "$master"); do
        # fields 14 and 15 of stat, counted after the "(nginx)" name
        t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' \
                      "/proc/$w/stat" 2>/dev/null || echo 0)))
    done

    echo "$t"
}


# Rounds alternate between the configurations, each round starting one
# further along, so that a slow spell of the machine or a warm cache
# favours none of them.
measure() {
    local names=(backend "${configs[@]}") n r i name

    n=${#names[@]}

    : > "$run/results"

    if [ "$warmup" != 0 ]; then
        say "warm-up: ${warmup} s each"
        for name in "${names[@]}"; do
            wrk_run "$name" "$warmup" > /dev/null
        done
    fi

    for ((r = 0; r < rounds; r++)); do
        for ((i = 0; i < n; i++)); do
            name=${names[(r + i) % n]}
            say "round $((r + 1))/$rounds: $name, ${secs} s"
            echo "$name $(wrk_run "$name" "$secs")" >> "$run/results"
        done
    done
}


# field F (2 req/s, 3 p50, 4 p99, 5 non-2xx, 6 socket errors, 7 CPU
# per request) of NAME's rounds
rounds_of() {
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$run/results"
}


log_lines() {
    local f=$run/$1/error.log
    [ -f "$f" ] && wc -l < "$f" || echo 0
}


nginx_table() {
    local name rps p50 p99 cpu base_rps base_p50 base_p99 base_cpu
    local each bad err
    local -A started=() checked=()

    mkdir -p "$run"
    write_bodies
    start_redis
    start_backend

    for name in "${configs[@]}"; do
        start_front "$name"
    done

    # what a start logged is worth a note; what the checks logged (a
    # refused post) is expected; while measuring, the logs must stay quiet
    for name in backend "${configs[@]}"; do
        started[$name]=$(log_lines "$name")
    done

    check_configs

    for name in backend "${configs[@]}"; do
        checked[$name]=$(log_lines "$name")
    done

    measure

    base_rps=$(rounds_of plain 2 | median)
    base_p50=$(rounds_of plain 3 | median)
    base_p99=$(rounds_of plain 4 | median)
    base_cpu=$(rounds_of plain 7 | median)

    echo "## 1. Through nginx"
    echo
    echo "One nginx with one worker per configuration, on loopback;" \
         "wrk -t1 -c$conns posts a $(wc -c < "$run/ham.body")-byte" \
         "form (a reader comment) to \`/komentar\`; $rounds rounds of" \
         "$secs s per configuration, alternating; medians of the rounds." \
         "Every configuration proxies to a backend nginx with" \
         "$backend_workers workers answering \`return 200\` over" \
         "kept-alive connections.  Worker CPU per request: user and" \
         "system time of the nginx workers (/proc) over the requests" \
         "wrk counted, steadier than req/s when the machine is shared."
    echo
    echo "| configuration | req/s | vs plain | p50 | vs plain | p99 | vs plain | worker CPU per request | vs plain | req/s of each round | non-2xx | socket errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"

    for name in "${configs[@]}" backend; do
        rps=$(rounds_of "$name" 2 | median)
        p50=$(rounds_of "$name" 3 | median)
        p99=$(rounds_of "$name" 4 | median)
        cpu=$(rounds_of "$name" 7 | median)
        each=$(rounds_of "$name" 2 | awk '{ printf "%s%.0f", (NR > 1 ? " / " : ""), $1 }')
        bad=$(rounds_of "$name" 5 | awk '{ s += $1 } END { print s + 0 }')
        err=$(rounds_of "$name" 6 | awk '{ s += $1 } END { print s + 0 }')

        printf '| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "${label[$name]}" "$rps" "$(ratio "$rps" "$base_rps")" \
            "$(fmt_ms "$p50")" "$(ratio "$p50" "$base_p50")" \
            "$(fmt_ms "$p99")" "$(ratio "$p99" "$base_p99")" \
            "$(fmt_us "$cpu") us" "$(ratio "$cpu" "$base_cpu")" \
            "$each" "$bad" "$err"
    done

    echo
    echo "Checked first: every configuration answers 200 to the comment;" \
         "the module answers 403 to a gambling promotion, and with the" \
         "limit asks Redis (a redis-server on a free loopback port);" \
         "ModSecurity answers 403 to an XSS probe."

    for name in backend "${configs[@]}"; do
        log_notes "$name" 0 "${started[$name]}" 'error' "at start"
        log_notes "$name" "${checked[$name]}" '' 'warn' "while measured"
    done

    echo
}


# Lines FROM+1 to TO (to the end if empty) of an error.log at LEVEL or
# worse, as a note under the table
log_notes() {
    local name=$1 from=$2 to=$3 level=$4 when=$5 f=$run/$1/error.log
    local levels='emerg|alert|crit|error' lines

    [ -f "$f" ] || return 0
    [ "$level" = warn ] && levels+='|warn'

    lines=$(awk -v a="$from" -v b="$to" 'NR > a && (b == "" || NR <= b)' "$f" \
            | grep -E "\[($levels)\]|exited on signal" || true)
    [ -n "$lines" ] || return 0

    echo
    echo "**Note:** the error.log of ${label[$name]} got" \
         "$(wc -l <<< "$lines") line(s) $when, the first:" \
         "\`$(head -1 <<< "$lines" | cut -c1-200)\`"
}


## 2. engine

# One comment-check --bench run of N comments under the timeout; prints
# the microseconds per comment, or T (timed out) or E (failed).
bench_once() {
    local rules=$1 n=$2 body=${3:-} out rc=0
    local args=(-r "$rules" --bench "$n")

    [ -n "$body" ] && args+=(--bench-file "$body")

    out=$(timeout -k 5 "$limit" "$check" "${args[@]}" 2>&1) || rc=$?

    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo T
    elif [ $rc -ne 0 ] || [[ $out != bench:* ]]; then
        say "comment-check -r $rules failed: $(head -3 <<< "$out")"
        echo E
    else
        awk '/^bench:/ { print $2 }' <<< "$out"
    fi
}


# Microseconds per comment: one comment first, to size runs of about
# BENCH_TARGET seconds, then the median of BENCH_RUNS such runs.  A body
# whose one comment already takes longer is measured by that comment.
engine_us() {
    local rules=$1 body=${2:-} us n i all=()

    us=$(bench_once "$rules" 1 "$body")
    [[ $us == [TE] ]] && { echo "$us"; return; }

    n=$(awk -v us="$us" -v t="$target" 'BEGIN {
            n = int(t * 1e6 / (us > 0.1 ? us : 0.1))
            if (n > 1000000) n = 1000000
            print n }')
    [ "$n" -eq 0 ] && { echo "$us"; return; }

    for ((i = 0; i < runs; i++)); do
        us=$(bench_once "$rules" "$n" "$body")
        [[ $us == [TE] ]] && { echo "$us"; return; }
        all+=("$us")
    done

    printf '%s\n' "${all[@]}" | median
}


# Wall time of loading a rule file (comment-check --lint), in
# microseconds, the least of BENCH_RUNS runs: a short run is only ever
# made longer by other work on the machine.  The rule count it reports
# goes to the file named by $2.
load_us() {
    local rules=$1 count=$2 t0 t1 i rc out all=()

    echo '-' > "$count"

    for ((i = 0; i < runs; i++)); do
        rc=0
        t0=$EPOCHREALTIME
        out=$(timeout -k 5 "$limit" "$check" -r "$rules" --lint 2>&1) \
            || rc=$?
        t1=$EPOCHREALTIME

        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            echo T; return
        elif [ $rc -ne 0 ]; then
            say "comment-check -r $rules --lint: $(head -3 <<< "$out")"
            echo E; return
        fi

        awk '/rules OK/ { print $1 }' <<< "$out" > "$count"
        all+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) * 1e6 }')")
    done

    printf '%s\n' "${all[@]}" | sort -g | head -1
}


engine_table() {
    local n file path us load loaded base_us='' base_load='' what
    local ir base_ir='' irs='' rows=()

    mkdir -p "$out/rules" "$run"

    for n in 10 100 1000 10000; do
        "$here/gen-rules.pl" re "$n" "$out/rules/re-$n.rules"
        rows+=("re-$n")
    done

    for n in 100 100000; do
        "$here/gen-rules.pl" words "$n" "$out/rules/words-$n.rules"
        rows+=("words-$n")
    done

    echo "## 2. Engine"
    echo
    # shellcheck disable=SC2028  # the backslashes are the rule's own
    echo "comment-check on its built-in 1 KB comment (ordinary text)," \
         "with generated rule files in build/bench/rules/: regex rules" \
         "\`re N 3 /\\bword1\\s+word2\\b/\` over pairs of real words, and" \
         "one \`words\` rule on lists of words, phrases and made-up site" \
         "names.  Time per comment: median of $runs runs of about" \
         "$target s (\`--bench N\`).  Load: wall time of" \
         "\`comment-check -r FILE --lint\`, least of $runs.  Ratios are" \
         "to the 10-rule file, and for lists to the 100-entry list."
    if [ "$callgrind" != 0 ]; then
        echo "Instructions per comment: callgrind's, as in table 3."
        irs=" instructions per comment | vs smallest |"
    fi
    echo
    echo "| rules | loaded | us per comment | vs smallest | load | vs smallest |$irs"
    echo "|---|---:|---:|---:|---:|---:|${irs:+---:|---:|}"

    for file in shipped "${rows[@]}"; do
        case $file in
            shipped)   what="shipped rules (rules/main.rules), for reference"
                       path=$rules ;;
            re-*)      what="${file#re-} regex rules"
                       path=$out/rules/$file.rules ;;
            words-*)   what="word list of ${file#words-} entries"
                       path=$out/rules/$file.rules ;;
        esac

        say "engine: $what"
        load=$(load_us "$path" "$run/count")
        loaded=$(cat "$run/count")
        if [ "$load" = T ] || [ "$load" = E ]; then
            us=$load
        else
            us=$(engine_us "$path")
        fi

        ir=
        if [ "$callgrind" != 0 ] && [ "$us" != T ] && [ "$us" != E ]; then
            say "engine: $what under callgrind"
            ir=$(callgrind_ir "$path")
        fi

        case $file in
            re-10|words-100) base_us=$us base_load=$load base_ir=$ir ;;
        esac

        if [ "$file" = shipped ]; then
            printf '| %s | %s | %s | - | %s | - |' "$what" "$loaded" \
                "$(fmt_us "$us")" "$(fmt_ms "$load")"
            [ -n "$irs" ] && printf ' %s | - |' "$(fmt_count "${ir:-T}")"
        else
            printf '| %s | %s | %s | %s | %s | %s |' "$what" "$loaded" \
                "$(fmt_us "$us")" "$(ratio "$us" "$base_us")" \
                "$(fmt_ms "$load")" "$(ratio "$load" "$base_load")"
            [ -n "$irs" ] && printf ' %s | %s |' "$(fmt_count "${ir:-T}")" \
                "$(ratio "${ir:-T}" "${base_ir:-T}")"
        fi
        echo
    done

    echo
}


## 3. hostile

# Instructions of one comment: callgrind's total with --bench 2 minus
# the total with --bench 1, so that loading the rules (the same for
# every body) is not counted.  Arguments: the rules, and a body (none:
# the built-in 1 KB comment).  Prints T or E when a run times out or
# fails; valgrind runs PCRE2's JIT code as it is.
callgrind_ir() {
    local rules_file=$1 body=${2:-} n ir=()

    for n in 1 2; do
        ir+=("$(callgrind_total "$rules_file" "$n" "$body")")
        [[ ${ir[-1]} == [TE] ]] && { echo "${ir[-1]}"; return; }
    done

    echo $((ir[1] - ir[0]))
}


# callgrind's total for --bench N; a run that fails is tried once more
# before it counts as an error, as a shared machine may kill it
callgrind_total() {
    local rules_file=$1 n=$2 body=$3 try rc out file_args=()

    [ -n "$body" ] && file_args=(--bench-file "$body")

    for try in 1 2; do
        rc=0
        out=$(timeout -k 5 "$limit" valgrind --tool=callgrind \
                  --callgrind-out-file=/dev/null \
                  "$check" -r "$rules_file" --bench "$n" "${file_args[@]}" \
                  2>&1 >/dev/null) || rc=$?

        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            echo T; return
        elif [ $rc -eq 0 ]; then
            awk '/Collected :/ { print $NF }' <<< "$out"
            return
        fi

        say "callgrind, --bench $n on ${body:-the 1 KB comment}:" \
            "exit $rc (try $try):" \
            "$(grep -v '^==' <<< "$out" | head -3)"
    done

    echo E
}


hostile_table() {
    local kinds=(ordinary digit leet separated styled nearmiss phone)
    local -A what=(
        [ordinary]="ordinary text (real comments repeated)"
        [digit]="one digit repeated (\`1111…\`)"
        [leet]="leet symbols repeated (\`\$\\|@!+\$\\|@!+…\`)"
        [separated]="letters with separators (\`s.a.y.a w-a-r-g-a …\`)"
        [styled]="styled letters (𝐛𝐨𝐥𝐝, ｆｕｌｌｗｉｄｔｈ, ⓒⓘⓡⓒⓛⓔⓓ …)"
        [nearmiss]="near misses of list entries (one letter changed)"
        [phone]="phone-like digit groups (\`0812 3456 7890 …\`)"
    )
    local kind spam file us ir base_us='' base_ir='' name

    mkdir -p "$out/hostile" "$run"

    if [ "$callgrind" != 0 ]; then
        command -v valgrind > /dev/null || die "valgrind is not installed"
    fi

    echo "## 3. Hostile bodies"
    echo
    echo "comment-check with the shipped rules on 64 KB bodies" \
         "(\`--bench-file\`, built by t/bench/hostile.pl into" \
         "build/bench/hostile/), each also with a gambling promotion at" \
         "its end.  Time per comment as in table 2 (a body whose one" \
         "comment takes longer than $target s: that one comment), each" \
         "run stopped after $limit s.  Instructions per comment:" \
         "callgrind's \"Collected\" total with \`--bench 2\` minus that" \
         "with \`--bench 1\`, also stopped after $limit s, not run where" \
         "the time ran out.  Ratios are to ordinary text."
    echo
    echo "| body (64 KB) | us per comment | vs ordinary | instructions per comment | vs ordinary |"
    echo "|---|---:|---:|---:|---:|"

    for kind in "${kinds[@]}"; do
        for spam in '' --spam; do
            name=$kind${spam:+-spam}
            file=$out/hostile/$name.txt
            "$here/hostile.pl" "$kind" 65536 $spam > "$file"

            say "hostile: $name"
            us=$(engine_us "$rules" "$file")

            # a body that timed out natively would under valgrind as well
            if [ "$callgrind" = 0 ] || [ "$us" = T ] || [ "$us" = E ]; then
                ir=-
            else
                say "hostile: $name under callgrind"
                ir=$(callgrind_ir "$rules" "$file")
            fi

            if [ "$name" = ordinary ]; then
                base_us=$us base_ir=$ir
            fi

            printf '| %s%s | %s | %s | %s | %s |\n' "${what[$kind]}" \
                "${spam:+, + spam at the end}" \
                "$(fmt_us "$us")" "$(ratio "$us" "$base_us")" \
                "$(fmt_count "$ir")" "$(ratio "$ir" "$base_ir")"
        done
    done

    echo
}


main() {
    local tables=("$@") t

    [ ${#tables[@]} -gt 0 ] || tables=(nginx engine hostile)

    for t in "${tables[@]}"; do
        case $t in
            nginx|engine|hostile) ;;
            *) die "usage: $0 [nginx] [engine] [hostile]" ;;
        esac
    done

    [ -x "$check" ] || die "build first: ./build.sh build"
    [ -f "$module" ] || die "build first: ./build.sh build"

    install_missing

    rm -rf "$run"
    mkdir -p "$run"
    trap cleanup EXIT
    trap 'exit 130' INT TERM

    machine

    for t in "${tables[@]}"; do
        "${t}_table"
    done
}


main "$@"
