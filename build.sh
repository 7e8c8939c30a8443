#!/usr/bin/env bash
#
# Build, test and run the comment moderation module.
#
#   ./build.sh [build]   build the nginx module, comment-check and unit tests
#   ./build.sh build --nginx-src DIR   (or NGINX_SRC=DIR ./build.sh build)
#                        the module against another nginx source tree, with
#                        --with-compat, into build/nginx-VERSION/
#   ./build.sh package   build, then build/libnginx-mod-http-comment-
#                        moderation_VERSION_ARCH.deb for Debian's nginx
#   ./build.sh nginx-src fetch Debian's nginx source (orig tarball) into
#                        build/nginx-orig/, for t/nginx_src.t
#   ./build.sh deps      install the Debian packages that are missing: what
#                        building, testing and benchmarking need
#   ./build.sh test      install what the tests need, build, then run every
#                        test (unit and integration)
#   ./build.sh run       install what the demo needs, build, then start the
#                        demo site on loopback
#   ./build.sh quality   measure the shipped rules on t/corpus
#   ./build.sh duplicates [MIN_LENGTH...]
#                        what duplicate counting recognises on the gambling
#                        corpus, offline (t/bench/dup-corpus.c): spam
#                        copies and ham flagged, exact and near-duplicate
#   ./build.sh bench [nginx|engine|hostile...]
#                        benchmarks as markdown tables (t/bench/bench.sh):
#                        through nginx against a plain proxy and
#                        ModSecurity, engine scaling, hostile bodies
#   ./build.sh model     train rules/models/spam.model on t/corpus
#   ./build.sh bench-limit  posts per second with and without a Redis limit
#   ./build.sh fuzz      run each libFuzzer target FUZZ_SECONDS (60)
#   ./build.sh tables    regenerate the look-alike and digit tables of
#                        module/engine/cm_confusables.h (needs ICU)
#   ./build.sh soak [SECONDS]  a mixed load for SECONDS (180) through two
#                        workers, with Redis outages and reloads; checks
#                        crashes, memory, fds and what the backend got
#   ./build.sh asan      integration tests with the module under ASan+UBSan,
#                        then some under valgrind
#   ./build.sh clean
#
# The module is built against Debian's nginx-dev tree, which is copied
# first: nginx's configure writes into the directory it runs in, and
# /usr/share/nginx/src must stay untouched.
#
# Only deps, test and run install packages; build and the others say what
# is missing and stop.

set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
build=$top/build
nginx_src=/usr/share/nginx/src

CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
WARN="-Wall -Wextra -Wno-unused-parameter -Wpointer-arith -Werror"
LIBS="-lpcre2-8 -lutf8proc -lz -lm"

# what building the module against Debian's nginx-dev tree needs
build_packages=(nginx-dev libpcre2-dev libhiredis-dev libutf8proc-dev
                zlib1g-dev liblinear-dev make gcc pkg-config)

# what a build against another nginx source tree needs: no Debian nginx,
# and zlib for the gzip module that nginx's configure enables by default
src_packages=(libpcre2-dev libhiredis-dev libutf8proc-dev zlib1g-dev
              liblinear-dev make gcc pkg-config)

# the demo site: nginx, Redis and the Perl backend
run_packages=(nginx redis-server perl)

# the tests: the demo's, Redis Sentinel (t/sentinel.t), valgrind,
# dpkg-dev for the package, a reader's browser (t/browser.t) and
# WordPress on php-fpm and MariaDB (t/wordpress.t); no service is
# started (policy-rc.d, below)
test_packages=(nginx redis-server redis-sentinel perl curl valgrind dpkg-dev
               chromium chromium-driver fonts-dejavu-core
               php-fpm php-cli php-mysql mariadb-server wordpress
               wordpress-theme-twentytwentyone)

# bench-limit (./build.sh bench installs its own) and tables
other_packages=(wrk libicu-dev)

pkg_name=libnginx-mod-http-comment-moderation

say() { printf '%s\n' "$*" >&2; }


# the given packages that are not installed, one a line
missing_packages() {
    local p

    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || printf '%s\n' "$p"
    done
}


# installs the missing ones of the given packages (default: all the
# project needs)
deps() {
    local missing=() want=("$@")

    [ ${#want[@]} -gt 0 ] || want=("${build_packages[@]}" \
                                   "${test_packages[@]}" \
                                   "${other_packages[@]}")

    if ! command -v dpkg-query >/dev/null; then
        say "not a Debian system: make sure these are installed: ${want[*]}"
        return 0
    fi

    mapfile -t missing < <(missing_packages "${want[@]}")

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


# stops, saying what to install, when one of the given packages is missing
need() {
    local missing=()

    command -v dpkg-query >/dev/null || return 0

    mapfile -t missing < <(missing_packages "$@")

    [ ${#missing[@]} -eq 0 ] && return 0

    say "missing: ${missing[*]}"
    say "install them with: sudo $0 deps (or apt-get install ${missing[*]})"
    exit 1
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
            -DCM_TEST_TOP="\"$top\"" "$src" "$build/libcmengine.a" $LIBS \
            -o "$build/unit/$(basename "${src%.c}")"
    done
}


# The module against an nginx source tree ($1), into $2/: the tree is
# copied to $2/nginx-src (nginx's configure writes into the directory it
# runs in, and the given tree must stay untouched), copied again when it
# changes, and configured with --with-compat, after Debian's configure
# flags when it is Debian's nginx-dev tree (which has conf_flags).
build_module_in() {
    local src=$1 out=$2
    local objs=$out/nginx-objs copy=$out/nginx-src stamp='' flags=() f

    mkdir -p "$out"

    for f in configure src/core/nginx.h conf_flags; do
        if [ -e "$src/$f" ]; then
            stamp+=" $f:$(stat -c %Y "$src/$f")"
        fi
    done
    stamp="$(cd "$src" && pwd -P)$stamp"

    if [ ! -f "$copy/configure" ] \
       || [ "$(cat "$out/nginx-src.stamp" 2>/dev/null)" != "$stamp" ]; then
        rm -rf "$copy" "$objs/Makefile"
        cp -a "$src" "$copy"
        printf '%s\n' "$stamp" > "$out/nginx-src.stamp"
    fi

    if [ -f "$copy/conf_flags" ]; then
        # shellcheck disable=SC1091
        . "$copy/conf_flags"
        flags=("${NGX_CONF_FLAGS[@]}")
    fi

    if [ ! -f "$objs/Makefile" ] || [ "$top/module/config" -nt "$objs/Makefile" ]
    then
        (
            cd "$copy"
            ./configure "${flags[@]}" --with-compat \
                --builddir="$objs" \
                --add-dynamic-module="$top/module" > "$out/configure.log" 2>&1 \
                || { tail -20 "$out/configure.log" >&2; exit 1; }
        )
    fi

    make -s -C "$copy" -f "$objs/Makefile" modules \
        > "$out/make.log" 2>&1 || { cat "$out/make.log" >&2; exit 1; }

    # a new file, renamed over the old: a running nginx keeps its mapping
    cp "$objs/ngx_http_comment_moderation_module.so" "$out/.module.so.new"
    mv -f "$out/.module.so.new" "$out/ngx_http_comment_moderation_module.so"
}


# against Debian's nginx-dev tree, into build/ (build/nginx-src is also
# the tree build_asan configures)
build_module() {
    build_module_in "$nginx_src" "$build"
}


do_build() {
    need "${build_packages[@]}"
    build_engine
    build_cli
    build_unit
    build_module
    say "built: build/ngx_http_comment_moderation_module.so build/comment-check"
}


# ./build.sh build --nginx-src DIR: the module against another nginx
# source tree (nginx.org's, OpenResty's bundle/nginx-X.Y.Z), with
# --with-compat, into build/nginx-VERSION/; comment-check as usual.  The
# Debian module in build/ and the tests are left alone.
do_build_src() {
    local src=$1 version out

    if [ ! -f "$src/configure" ] || [ ! -f "$src/src/core/nginx.h" ]; then
        say "--nginx-src $src: not an nginx source tree (no configure and" \
            "src/core/nginx.h); for OpenResty, give its bundle/nginx-X.Y.Z"
        exit 1
    fi

    src=$(cd "$src" && pwd)
    version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' \
              "$src/src/core/nginx.h")
    out=$build/nginx-${version:-unknown}

    need "${src_packages[@]}"
    build_engine
    build_cli
    build_module_in "$src" "$out"
    say "built: ${out#"$top"/}/ngx_http_comment_moderation_module.so" \
        "(nginx $version from $src, --with-compat) build/comment-check"
}


# The .deb's version: VERSION, and for a commit that is not tagged
# vVERSION, ~gitN.HASH (N commits), which sorts before the release
package_version() {
    local v n h

    v=$(tr -d ' \n' < "$top/VERSION")

    if git -C "$top" rev-parse --git-dir >/dev/null 2>&1 \
       && ! git -C "$top" describe --tags --exact-match --match "v$v" \
                >/dev/null 2>&1
    then
        n=$(git -C "$top" rev-list --count HEAD)
        h=$(git -C "$top" rev-parse --short=7 HEAD)
        v="$v~git$n.$h"
    fi

    printf '%s\n' "$v"
}


# build/libnginx-mod-http-comment-moderation_VERSION_ARCH.deb, laid out as
# Debian's libnginx-mod-* packages are: the module in
# /usr/lib/nginx/modules, its load_module snippet in modules-available,
# enabled by packaging/postinst with a symlink in modules-enabled; the
# rules as conffiles in /etc/nginx/comment-moderation; comment-check and
# its man page.  It depends on the nginx ABI of the nginx-dev tree it was
# built against, and on the libraries dpkg-shlibdeps finds.
package_deb() {
    local stage=$build/package root version arch abi shlibs deb f line size
    local doc=usr/share/doc/$pkg_name

    root=$stage/debian/$pkg_name
    version=$(package_version)
    arch=$(dpkg --print-architecture)
    deb=$build/${pkg_name}_${version}_${arch}.deb

    abi=$(sed -n 's/^nginx:abi=//p' \
          "$nginx_src/debian/libnginx-mod.abisubstvars" 2>/dev/null || true)
    if [ -z "$abi" ]; then
        say "package: no nginx:abi in" \
            "$nginx_src/debian/libnginx-mod.abisubstvars (nginx-dev)"
        exit 1
    fi

    umask 022
    rm -rf "$stage"
    mkdir -p "$root/DEBIAN"

    install -D -m 644 "$build/ngx_http_comment_moderation_module.so" \
        "$root/usr/lib/nginx/modules/ngx_http_comment_moderation_module.so"
    strip --remove-section=.comment --remove-section=.note --strip-unneeded \
        "$root/usr/lib/nginx/modules/ngx_http_comment_moderation_module.so"
    install -D -m 644 "$top/packaging/mod-http-comment-moderation.conf" \
        "$root/usr/share/nginx/modules-available/mod-http-comment-moderation.conf"

    install -D -m 755 "$build/comment-check" "$root/usr/bin/comment-check"
    strip --remove-section=.comment --remove-section=.note \
        "$root/usr/bin/comment-check"
    mkdir -p "$root/usr/share/man/man1"
    gzip -9n < "$top/doc/comment-check.1" \
        > "$root/usr/share/man/man1/comment-check.1.gz"

    mkdir -p "$root/etc/nginx/comment-moderation/lists"
    install -m 644 "$top"/rules/*.rules "$root/etc/nginx/comment-moderation/"
    install -m 644 "$top"/rules/lists/* \
        "$root/etc/nginx/comment-moderation/lists/"
    mkdir -p "$root/etc/nginx/comment-moderation/models"
    install -m 644 "$top"/rules/models/* \
        "$root/etc/nginx/comment-moderation/models/"

    mkdir -p "$root/$doc"
    install -m 644 "$top/packaging/copyright" "$root/$doc/copyright"
    gzip -9n < "$top/README.md" > "$root/$doc/README.md.gz"
    {
        printf '%s (%s) unstable; urgency=medium\n\n' "$pkg_name" "$version"
        printf '  * Built by ./build.sh package from commit %s.\n\n' \
            "$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)"
        printf ' -- %s  %s\n' "$(package_maintainer)" \
            "$(git -C "$top" log -1 --format=%aD 2>/dev/null || date -R)"
    } | gzip -9n > "$root/$doc/changelog.gz"

    for f in postinst prerm postrm; do
        install -m 755 "$top/packaging/$f" "$root/DEBIAN/$f"
    done

    (cd "$root" && find etc -type f | sort | sed 's|^|/|') \
        > "$root/DEBIAN/conffiles"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' \
        | sort | xargs md5sum) > "$root/DEBIAN/md5sums"

    # dpkg-shlibdeps wants a debian/control and the files in debian/PKG/
    printf 'Source: comment-moderation\n\nPackage: %s\nArchitecture: any\n' \
        "$pkg_name" > "$stage/debian/control"
    shlibs=$(cd "$stage" && dpkg-shlibdeps -O \
        -e"debian/$pkg_name/usr/lib/nginx/modules/ngx_http_comment_moderation_module.so" \
        -e"debian/$pkg_name/usr/bin/comment-check")
    shlibs=${shlibs#shlibs:Depends=}

    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    while IFS= read -r line; do
        line=${line//@VERSION@/"$version"}
        line=${line//@ARCH@/"$arch"}
        line=${line//@MAINTAINER@/"$(package_maintainer)"}
        line=${line//@SIZE@/"$size"}
        line=${line//@DEPENDS@/"$abi, $shlibs"}
        printf '%s\n' "$line"
    done < "$top/packaging/control.in" > "$root/DEBIAN/control"

    rm -f "$build/${pkg_name}"_*.deb
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null

    say "built: ${deb#"$top"/}"
    say "  Depends: $abi, $shlibs"
}


package_maintainer() {
    printf '%s <%s>\n' "${DEBFULLNAME:-Comment moderation maintainers}" \
        "${DEBEMAIL:-comment-moderation@localhost}"
}


# Debian's nginx source, for t/nginx_src.t: a deb-src entry for the
# archive the Debian sources already use (added once, in its own file),
# then the orig tarball into build/nginx-orig/.  apt-get source may
# complain about the .dsc afterwards; the tarball is all that is needed.
fetch_nginx_src() {
    local list=/etc/apt/sources.list.d/comment-moderation-deb-src.sources
    local dir=$build/nginx-orig

    if [ "$(id -u)" -ne 0 ]; then
        say "need root to add a deb-src entry: sudo $0 nginx-src"
        exit 1
    fi

    if ! grep -rqsE '^(deb-src|Types:.*deb-src)' \
            /etc/apt/sources.list /etc/apt/sources.list.d/
    then
        if [ -f /etc/apt/sources.list.d/debian.sources ]; then
            sed 's/^Types: *deb$/Types: deb-src/' \
                /etc/apt/sources.list.d/debian.sources > "$list"
        elif [ -f /etc/apt/sources.list ]; then
            list=${list%.sources}.list
            sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$list"
        else
            say "nginx-src: no Debian sources to copy a deb-src entry from"
            exit 1
        fi
        say "added $list"

        # only the new entry's indexes are fetched
        apt-get update -qq -o Dir::Etc::sourcelist="$list" \
            -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
    fi

    mkdir -p "$dir"
    chmod 755 "$dir"
    (cd "$dir" && apt-get source -qq --download-only nginx) || true

    if ! ls "$dir"/nginx_*.orig.tar.gz >/dev/null 2>&1; then
        say "nginx-src: no nginx_*.orig.tar.gz in ${dir#"$top"/}"
        exit 1
    fi
    say "fetched: $(cd "$top" && ls build/nginx-orig/nginx_*.orig.tar.gz)"
}


do_test() {
    local rc=0

    deps "${build_packages[@]}" "${test_packages[@]}"
    do_build
    package_deb

    # t/nginx_src.t builds the module against Debian's plain nginx source;
    # without root or a network it is skipped and says why
    if ! ls "$build"/nginx-orig/nginx_*.orig.tar.gz >/dev/null 2>&1 \
       && [ -z "${TEST_NGINX_SRC:-}" ] && [ "$(id -u)" -eq 0 ]
    then
        (fetch_nginx_src) || say "nginx-src: not fetched"
    fi

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


# what comment_moderation_duplicates would count on the gambling corpus,
# with the engine's own signatures, without nginx or Redis
do_duplicates() {
    build_engine
    $CC $CFLAGS $WARN -std=gnu99 -I"$top/module/engine" \
        "$top/t/bench/dup-corpus.c" "$build/libcmengine.a" $LIBS \
        -o "$build/dup-corpus"
    "$build/dup-corpus" "$top/t/corpus/judol-youtube-id.dev.tsv" "$@"
}


# The generated part of cm_confusables.h, between its "begin:" and "end:"
# lines, from ICU's Unicode data and module/engine/tools/lookalikes.txt.
# The header is committed: only this step needs libicu-dev.
do_tables() {
    local h=$top/module/engine/cm_confusables.h tools=$top/module/engine/tools

    need libicu-dev libutf8proc-dev gcc pkg-config
    mkdir -p "$build"

    $CC $CFLAGS $WARN -std=gnu99 "$tools/cm_gen_tables.c" \
        $(pkg-config --cflags --libs icu-i18n icu-uc) -lutf8proc \
        -o "$build/cm_gen_tables"

    "$build/cm_gen_tables" "$tools/lookalikes.txt" > "$build/tables.inc"

    awk -v inc="$build/tables.inc" '
        /^\/\* end: generated by / { skip = 0 }
        !skip { print }
        /^\/\* begin: generated by / {
            while ((getline line < inc) > 0) print line
            skip = 1
        }' "$h" > "$build/cm_confusables.h.new"

    if cmp -s "$h" "$build/cm_confusables.h.new"; then
        say "tables: $h unchanged"
        rm -f "$build/cm_confusables.h.new"
    else
        mv "$build/cm_confusables.h.new" "$h"
        say "tables: $h rewritten"
    fi
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
    local asan ubsan ubsan_opts rc=0 start

    asan=$(gcc -print-file-name=libasan.so)
    ubsan=$(gcc -print-file-name=libubsan.so)

    say "== integration tests, module with ASan and UBSan"
    start=$SECONDS

    ubsan_opts=print_stacktrace=1:halt_on_error=0
    ubsan_opts+=:suppressions=$top/t/ubsan.supp

    # the harness preloads the runtimes into nginx only (not perl, not
    # redis-server) and sends each nginx's reports to its test dir; its
    # waits and time bounds are stretched for the instrumented module.
    # t/ubsan.supp lists known engine findings awaiting their fix.
    TEST_NGINX_MODULE=$build/asan/ngx_http_comment_moderation_module.so \
    TEST_NGINX_PRELOAD="$asan $ubsan" \
    TEST_NGINX_TIMEOUT_SCALE=${TEST_NGINX_TIMEOUT_SCALE:-3} \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 \
    UBSAN_OPTIONS=$ubsan_opts \
        prove -r "$top/t" || rc=1

    say "asan: $((SECONDS - start)) s"

    # valgrind sees what ASan cannot: reads of uninitialised memory.  The
    # files whose Redis timeouts survive its slowness (the fleet-wide ones
    # scale theirs), the usual module.
    if ! command -v valgrind >/dev/null; then
        say "valgrind: skipped, not installed"
        return $rc
    fi

    say "== integration tests under valgrind"
    start=$SECONDS

    $CC -shared -fPIC -O2 "$top/t/valgrind/nojit.c" -o "$build/asan/nojit.so"

    TEST_NGINX_VALGRIND=1 TEST_NGINX_PRELOAD=$build/asan/nojit.so \
    TEST_NGINX_TIMEOUT_SCALE=${TEST_NGINX_TIMEOUT_SCALE:-10} \
        prove "$top"/t/{basic,body,fields,tricks,response,answer}.t \
              "$top"/t/{log,status,status_metrics,hostile}.t \
              "$top"/t/{duplicates,penalty,sentinel}.t \
        || rc=1

    say "valgrind: $((SECONDS - start)) s"
    return $rc
}


usage() {
    say "usage: $0 [deps|build [--nginx-src DIR]|test|asan|run|quality|model|bench"
    say "       |duplicates [MIN_LENGTH...]"
    say "       [nginx|engine|hostile...]|bench-limit|soak|fuzz|tables|package|"
    say "       nginx-src|clean]"
    exit 2
}


cmd=${1:-build}
[ $# -gt 0 ] && shift

# --nginx-src DIR (or NGINX_SRC=DIR) for build; the other subcommands use
# Debian's nginx-dev tree, which the tests and the package need
src_dir=
[ "$cmd" = build ] && src_dir=${NGINX_SRC:-}

while [ "$cmd" != bench ] && [ "$cmd" != soak ] && [ "$cmd" != duplicates ] \
      && [ $# -gt 0 ]; do
    case "$1" in
        --nginx-src=*) src_dir=${1#*=}; shift ;;
        --nginx-src)   [ $# -ge 2 ] || usage; src_dir=$2; shift 2 ;;
        *)             usage ;;
    esac
    [ "$cmd" = build ] || { say "--nginx-src is for build only"; usage; }
done

case "$cmd" in
    deps)     deps ;;
    build)    if [ -n "$src_dir" ]; then do_build_src "$src_dir"
              else do_build; fi ;;
    engine)   build_engine; build_cli; build_unit ;;
    test)     do_test ;;
    run)      deps "${build_packages[@]}" "${run_packages[@]}"
              do_build; exec "$top/config/demo.sh" ;;
    quality)  do_build >/dev/null; exec "$top/t/quality.sh" ;;
    model)    do_model ;;
    duplicates) do_duplicates "$@" ;;
    fuzz)     do_fuzz ;;
    tables)   do_tables ;;
    asan)     do_build; build_asan; test_asan ;;
    bench-limit) need wrk redis-server nginx; do_build >/dev/null
              exec "$top/t/bench/limit-bench.sh" ;;
    soak)     do_build >/dev/null; exec "$top/t/soak.pl" "${1:-180}" ;;
    bench)    do_build >/dev/null; exec "$top/t/bench/bench.sh" "$@" ;;
    package)  need dpkg-dev; do_build; package_deb ;;
    nginx-src) fetch_nginx_src ;;
    clean)    rm -rf "$build" ;;
    *)        usage ;;
esac
