#!/usr/bin/perl

# ./build.sh build --nginx-src DIR against a plain nginx source tree (not
# Debian's nginx-dev tree), as the operators of nginx.org's packages or
# OpenResty build it: configured with --with-compat and without Debian's
# flags.  An nginx is built from the same source with --with-compat, and
# the module loads into it and moderates; the module and Debian's build
# of it are also swapped between that nginx and Debian's, which nginx
# accepts when the versions match.
#
# Needs a source: TEST_NGINX_SRC (a tree or a .tar.gz), or the orig tarball
# that "./build.sh nginx-src" fetches into build/nginx-orig/.  Plain pass
# only: it builds nginx (a minute on two cores) and runs no instrumented
# module.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use POSIX ();
use Test::More;
use CMTest;

my $top = $CMTest::REPO;
my $so = 'ngx_http_comment_moderation_module.so';

plan skip_all => 'builds nginx from source: plain pass only'
    if $ENV{TEST_NGINX_PRELOAD} || $ENV{TEST_NGINX_VALGRIND};

my ($given) = $ENV{TEST_NGINX_SRC}
    || glob "$top/build/nginx-orig/nginx_*.orig.tar.gz";
plan skip_all => 'no nginx source: ./build.sh nginx-src fetches Debian\'s'
    . ' (or set TEST_NGINX_SRC to a tree or a .tar.gz)'
    unless $given && -e $given;


# runs a command; returns (exit status, stdout and stderr)
sub run {
    my (@cmd) = @_;

    open my $fh, '-|' or do {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        exec @cmd or POSIX::_exit(127);
    };
    my $out = do { local $/; <$fh> };
    close $fh;

    return ($? >> 8, defined $out ? $out : '');
}


sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return scalar <$fh>;
}


my $tmp = tempdir('cmsrc-XXXXXX', TMPDIR => 1,
                  CLEANUP => !$ENV{TEST_NGINX_LEAVE});
my $src = $given;

if (-f $given) {
    my ($rc, $out) = run('tar', '-xzf', $given, '-C', $tmp);
    is($rc, 0, 'source unpacked') or diag($out);
    ($src) = grep { -d } glob "$tmp/nginx-*";
    BAIL_OUT("no nginx-* directory in $given") unless $src;
}

my $version = `sed -n 's/^#define NGINX_VERSION *"\\(.*\\)"/\\1/p' \\
               $src/src/core/nginx.h`;
chomp $version;
ok(!-e "$src/conf_flags", "nginx $version: a plain source tree, no conf_flags");


# the module, as an operator builds it

my ($rc, $out) = run("$top/build.sh", 'build', '--nginx-src', $src);
is($rc, 0, 'build.sh build --nginx-src') or diag($out);

my $module = "$top/build/nginx-$version/$so";
ok(-f $module, "module in build/nginx-$version/");

my $auto = slurp("$top/build/nginx-$version/nginx-objs/ngx_auto_config.h");
my ($args) = $auto =~ /#define NGX_CONFIGURE "(.*)"/;
$args = '' unless defined $args;
like($args, qr/--with-compat/, 'configured --with-compat');
unlike($args, qr/--with-http_ssl_module|--prefix=/,
       'without Debian\'s configure flags');


# an nginx from the same source, as nginx.org's packages are: --with-compat

my $ngx = "$tmp/nginx-build";
($rc, $out) = run('sh', '-c', "cp -a $src $ngx && cd $ngx && ./configure --with-compat"
    . " --prefix=$tmp/prefix && make -j2");
is($rc, 0, 'nginx built from the source with --with-compat')
    or diag(substr($out, -3000));

my $nginx = "$ngx/objs/nginx";
($rc, $out) = run($nginx, '-V');
like($out, qr/nginx version: nginx\/\Q$version\E/, 'nginx -V: its version');
like($out, qr/configure arguments: --with-compat/, 'nginx -V: --with-compat');


# the module in that nginx

$ENV{TEST_NGINX_BINARY} = $nginx;
$ENV{TEST_NGINX_MODULE} = $module;

my $t = CMTest->new;

$t->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;

        comment_moderation_rules %%REPO%%/rules/main.rules;

        location / {
            comment_moderation on;
            %%PROXY%%
        }
    }
END

($rc, $out) = $t->test_config;
is($rc, 0, 'nginx -t: the module loads into the nginx built from source')
    or diag($out);

$t->run;

my $form = 'application/x-www-form-urlencoded';

my ($status, $h) = CMTest::parse_response($t->http_post('/',
    'komentar=Terima+kasih+atas+beritanya.', 'Content-Type' => $form));
is($status, 200, 'a clean comment passes');
is($h->{'x-backend-moderation'}, 'pass', 'and reaches the backend');

($status) = CMTest::parse_response($t->http_post('/',
    'komentar=daftar+slot+gacor+maxwin+hari+ini', 'Content-Type' => $form));
is($status, 403, 'a spam comment is rejected');

$t->stop;


# --with-compat on both sides: the same version's builds are interchangeable

my $nginx_v = (run('/usr/sbin/nginx', '-v'))[1];

SKIP: {
    skip "Debian's nginx is not $version", 2
        unless $nginx_v =~ m{nginx/\Q$version\E\b} && -f "$top/build/$so";

    for my $case ([ '/usr/sbin/nginx', $module,
                    'the module from source loads into Debian\'s nginx' ],
                  [ $nginx, "$top/build/$so",
                    'Debian\'s build of the module loads into the nginx'
                    . ' from source' ])
    {
        $ENV{TEST_NGINX_BINARY} = $case->[0];
        $ENV{TEST_NGINX_MODULE} = $case->[1];

        my $c = CMTest->new;
        $c->write_config(<<'END');
    comment_moderation_rules %%REPO%%/rules/main.rules;
END
        ($rc, $out) = $c->test_config;
        is($rc, 0, $case->[2]) or diag($out);
        $c->stop;
    }
}

done_testing;
