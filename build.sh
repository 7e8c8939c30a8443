#!/usr/bin/env bash
#
# Build, test and run the comment moderation module.
#
#   ./build.sh [build]   build the nginx module, comment-check and unit tests
#   ./build.sh deps      install the Debian packages that are missing
#   ./build.sh test      build, then run every test (unit and integration)
#   ./build.sh run       build, then start the demo site on loopback
#   ./build.sh quality   measure the shipped rules on t/corpus
#   ./build.sh model     train rules/models/spam.model on t/corpus
#   ./build.sh bench     print engine speed on a 1 KB comment
#   ./build.sh bench-limit  posts per second with and without a Redis limit
#   ./build.sh fuzz      run each libFuzzer target FUZZ_SECONDS (60)
#   ./build.sh asan      integration tests with the module under ASan+UBSan,
#                        then some under valgrind
#   ./build.sh clean
#
# The module is built against Debian's nginx-dev tree, which is copied
# first: nginx's configure writes into the directory it runs in, and
# /usr/share/nginx/src must stay untouched.

set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
build=$top/build
nginx_src=/usr/share/nginx/src

CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
WARN="-Wall -Wextra -Wno-unused-parameter -Wpointer-arith -Werror"
LIBS="-lpcre2-8 -lutf8proc -lm"

packages=(nginx nginx-dev libpcre2-dev libhiredis-dev libutf8proc-dev
          liblinear-dev redis-server perl make gcc pkg-config curl wrk
          valgrind)

say() { printf '%s\n' "$*" >&2; }


deps() {
    local missing=() p

    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done

    [ ${#missing[@]} -eq 0 ] && return 0

    say "installing: ${missing[*]}"

    if [ "$(id -u)" -ne 0 ]; then
        say "need root to install packages: sudo $0 deps"
        exit 1
    fi

    # installing nginx or redis must not start their system services
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' RETURN

    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}


build_engine() {
    local src obj objs=()

    mkdir -p "$build/engine" "$build/unit"

    for src in "$top"/module/engine/*.c; do
        obj=$build/engine/$(basename "${src%.c}").o
        if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] \
           || [ "$top/module/engine/cm_engine.h" -nt "$obj" ] \
           || [ -n "$(find "$top/module/engine" -name '*.h' -newer "$obj")" ]
        then
            $CC $CFLAGS $WARN -std=gnu99 -fPIC -c "$src" -o "$obj"
        fi
        objs+=("$obj")
    done

    rm -f "$build/libcmengine.a"
    ar rcs "$build/libcmengine.a" "${objs[@]}"
}


# comment-check alone links LIBLINEAR, for "comment-check train": the
# module and the engine never do
build_cli() {
    local probe='#include <linear.h>
int main(void) { return liblinear_version == 0; }'

    if ! printf '%s\n' "$probe" \
         | $CC -x c - -llinear -o "$build/.linear-probe" 2>/dev/null
    then
        say "comment-check needs LIBLINEAR: apt-get install liblinear-dev"
        exit 1
    fi

    rm -f "$build/.linear-probe"

    $CC $CFLAGS $WARN -std=gnu99 -I"$top/module/engine" \
        "$top"/module/cli/*.c "$build/libcmengine.a" $LIBS -llinear \
        -o "$build/comment-check"
}


build_unit() {
    local src

    for src in "$top"/t/unit/*_test.c; do
        [ -e "$src" ] || continue
        $CC $CFLAGS $WARN -std=gnu99 -I"$top/module/engine" -I"$top/t/unit" \
            "$src" "$build/libcmengine.a" $LIBS \
            -o "$build/unit/$(basename "${src%.c}")"
    done
}


build_module() {
    local objs=$build/nginx-objs

    mkdir -p "$build"

    # a private copy of the headers-only tree, refreshed when Debian's is
    if [ ! -f "$build/nginx-src/configure" ] \
       || [ "$nginx_src/conf_flags" -nt "$build/nginx-src/configure" ]; then
        rm -rf "$build/nginx-src"
        cp -a "$nginx_src" "$build/nginx-src"
        touch "$build/nginx-src/configure"
    fi

    if [ ! -f "$objs/Makefile" ] || [ "$top/module/config" -nt "$objs/Makefile" ]
    then
        (
            cd "$build/nginx-src"
            # shellcheck disable=SC1091
            . ./conf_flags
            ./configure "${NGX_CONF_FLAGS[@]}" --with-compat \
                --builddir="$objs" \
                --add-dynamic-module="$top/module" > "$build/configure.log" 2>&1 \
                || { tail -20 "$build/configure.log" >&2; exit 1; }
        )
    fi

    make -s -C "$build/nginx-src" -f "$objs/Makefile" modules \
        > "$build/make.log" 2>&1 || { cat "$build/make.log" >&2; exit 1; }

    # a new file, renamed over the old: a running nginx keeps its mapping
    cp "$objs/ngx_http_comment_moderation_module.so" "$build/.module.so.new"
    mv -f "$build/.module.so.new" "$build/ngx_http_comment_moderation_module.so"
}


do_build() {
    deps
    build_engine
    build_cli
    build_unit
    build_module
    say "built: build/ngx_http_comment_moderation_module.so build/comment-check"
}


do_test() {
    local rc=0

    do_build

    say "== unit tests"
    prove -e '' "$build"/unit/*_test || rc=1

    say "== integration tests"
    prove -r "$top/t" || rc=1

    build_asan
    test_asan || rc=1

    say "== rule quality on the labelled corpora"
    "$top/t/quality.sh" || rc=1

    return $rc
}


# The shipped model: spam against ham, trained on the even half of each
# corpus (the half t/quality.sh develops on), so that the odd half stays
# unseen and measures it.  Abuse lines are left out: too few to learn
# from, they only taught it that insults are what ham with a rude word
# in it looks like.  The same corpora and code give the same bytes.
do_model() {
    local tmp f

    build_engine
    build_cli

    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN

    for f in "$top"/t/corpus/*.tsv; do
        perl -MDigest::MD5=md5 -ne '
            chomp(my $line = $_);
            print "$line\n" unless ord(md5($line)) & 1;
        ' "$f" > "$tmp/$(basename "$f")"
    done

    mkdir -p "$top/rules/models"

    "$build/comment-check" train --flag spam \
        --out "$top/rules/models/spam.model" "$tmp"/*.tsv
}


# libFuzzer targets in t/fuzz, built with clang and run FUZZ_SECONDS each
do_fuzz() {
    local src name

    command -v clang >/dev/null || { say "fuzz: needs clang"; exit 1; }
    mkdir -p "$build/fuzz"

    for src in "$top"/t/fuzz/fuzz_*.c; do
        name=$(basename "${src%.c}")
        clang -g -O1 -fsanitize=fuzzer,address,undefined \
            -I"$top/module/engine" "$src" "$top"/module/engine/*.c \
            $LIBS -o "$build/fuzz/$name"
        mkdir -p "$build/fuzz/corpus-$name"
        say "== $name, ${FUZZ_SECONDS:-60} s"
        (cd "$top" && "$build/fuzz/$name" -max_total_time="${FUZZ_SECONDS:-60}" \
            -max_len=65536 "$build/fuzz/corpus-$name") 2>&1 | tail -3
    done
}


# The module again, with AddressSanitizer and UBSan, into build/asan/, and
# the integration tests with it loaded into Debian's nginx.  The nginx
# binary is not instrumented: gcc's libasan is preloaded so that the
# module's allocations and nginx's malloc() are both watched.
# NGX_DEBUG_PALLOC gives each engine allocation a block of its own, since
# overruns inside a pool block are invisible to the sanitizer.  Reports
# go to files in each test's dir (a daemon's stderr is lost), which the
# harness checks when it stops nginx: a report fails the test file.
build_asan() {
    local objs=$build/asan/nginx-objs
    local san='-fsanitize=address,undefined'

    mkdir -p "$build/asan"

    if [ ! -f "$objs/Makefile" ] \
       || [ "$top/module/config" -nt "$objs/Makefile" ] \
       || [ "$top/build.sh" -nt "$objs/Makefile" ]
    then
        (
            cd "$build/nginx-src"
            # shellcheck disable=SC1091
            . ./conf_flags
            ./configure "${NGX_CONF_FLAGS[@]}" --with-compat \
                --builddir="$objs" \
                --with-cc-opt="$san -fno-omit-frame-pointer -g -O1 \
                               -DNGX_DEBUG_PALLOC=1" \
                --with-ld-opt="$san" \
                --add-dynamic-module="$top/module" \
                > "$build/asan/configure.log" 2>&1 \
                || { tail -20 "$build/asan/configure.log" >&2; exit 1; }
        )
    fi

    make -s -C "$build/nginx-src" -f "$objs/Makefile" modules \
        > "$build/asan/make.log" 2>&1 \
        || { cat "$build/asan/make.log" >&2; exit 1; }

    cp "$objs/ngx_http_comment_moderation_module.so" \
        "$build/asan/.module.so.new"
    mv -f "$build/asan/.module.so.new" \
        "$build/asan/ngx_http_comment_moderation_module.so"
}


test_asan() {
    local asan ubsan rc=0 start

    asan=$(gcc -print-file-name=libasan.so)
    ubsan=$(gcc -print-file-name=libubsan.so)

    say "== integration tests, module with ASan and UBSan"
    start=$SECONDS

    # the harness preloads the runtimes into nginx only (not perl, not
    # redis-server) and sends each nginx's reports to its test dir; its
    # waits and time bounds are stretched for the instrumented module
    TEST_NGINX_MODULE=$build/asan/ngx_http_comment_moderation_module.so \
    TEST_NGINX_PRELOAD="$asan $ubsan" \
    TEST_NGINX_TIMEOUT_SCALE=${TEST_NGINX_TIMEOUT_SCALE:-3} \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=0 \
        prove -r "$top/t" || rc=1

    say "asan: $((SECONDS - start)) s"

    # valgrind sees what ASan cannot: reads of uninitialised memory.  The
    # files whose Redis timeouts survive its slowness, the usual module.
    if ! command -v valgrind >/dev/null; then
        say "valgrind: skipped, not installed"
        return $rc
    fi

    say "== integration tests under valgrind"
    start=$SECONDS

    $CC -shared -fPIC -O2 "$top/t/valgrind/nojit.c" -o "$build/asan/nojit.so"

    TEST_NGINX_VALGRIND=1 TEST_NGINX_PRELOAD=$build/asan/nojit.so \
    TEST_NGINX_TIMEOUT_SCALE=${TEST_NGINX_TIMEOUT_SCALE:-10} \
        prove "$top"/t/{basic,body,fields,response,log,status,hostile}.t \
        || rc=1

    say "valgrind: $((SECONDS - start)) s"
    return $rc
}


case "${1:-build}" in
    deps)     deps ;;
    build)    do_build ;;
    engine)   build_engine; build_cli; build_unit ;;
    test)     do_test ;;
    run)      do_build; exec "$top/config/demo.sh" ;;
    quality)  do_build >/dev/null; exec "$top/t/quality.sh" ;;
    model)    do_model ;;
    fuzz)     do_fuzz ;;
    asan)     do_build; build_asan; test_asan ;;
    bench-limit) do_build >/dev/null; exec "$top/t/bench/limit-bench.sh" ;;
    bench)    build_engine; build_cli; exec "$build/comment-check" \
                  -r "$top/rules/main.rules" --bench ;;
    clean)    rm -rf "$build" ;;
    *)        say "usage: $0 [deps|build|test|asan|run|quality|model|bench|bench-limit|fuzz|clean]"; exit 2 ;;
esac
