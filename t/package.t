#!/usr/bin/perl

# The Debian package (./build.sh package), installed into the system: the
# module is enabled through modules-enabled, nginx -t passes with a server
# block that uses the installed rules, a clean comment passes and a spam
# one is refused; then the maintainer scripts behave as those of Debian's
# libnginx-mod-* packages (an administrator's disabling survives an
# upgrade, remove keeps the conffiles and re-enables on reinstall), and
# purge leaves nothing behind.
#
# Only as root, and only in the plain pass (the package holds the plain
# module, not the instrumented one).  The system's nginx is not touched:
# nginx runs here on a free loopback port with its own prefix and config,
# and a policy-rc.d stops the nginx-reload trigger from reloading a
# running system nginx.  The test leaves alone a copy of the package that
# it did not install itself.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Fcntl qw(:flock);
use POSIX ();
use Test::More;
use CMTest;

my $pkg = 'libnginx-mod-http-comment-moderation';
my $top = $CMTest::REPO;

my $module = '/usr/lib/nginx/modules/ngx_http_comment_moderation_module.so';
my $snippet = '/usr/share/nginx/modules-available/'
    . 'mod-http-comment-moderation.conf';
my $link = '/etc/nginx/modules-enabled/50-mod-http-comment-moderation.conf';
my $etc = '/etc/nginx/comment-moderation';
my $bin = '/usr/bin/comment-check';
my $man = '/usr/share/man/man1/comment-check.1.gz';
my $doc = "/usr/share/doc/$pkg";

# marks a copy installed by this test, so that a run that was killed is
# cleaned up by the next one
my $marker = '/run/comment-moderation-package-test.installed';
my $policy = '/usr/sbin/policy-rc.d';

plan skip_all => 'needs root: installs the package into the system'
    if $> != 0;
plan skip_all => 'the package holds the plain module: plain pass only'
    if $ENV{TEST_NGINX_PRELOAD} || $ENV{TEST_NGINX_VALGRIND};

my ($deb) = sort { -M $a <=> -M $b } glob "$top/build/${pkg}_*.deb";
plan skip_all => 'no package in build/ (./build.sh package)' unless $deb;

# one run at a time on this machine (other checkouts run this file too)
open my $lock, '>', '/run/lock/comment-moderation-package-test.lock'
    or die "lock: $!\n";
flock $lock, LOCK_EX or die "lock: $!\n";

if (status() ne 'not-installed') {
    plan skip_all => "$pkg is installed, not by this test: left alone"
        unless -e $marker;
    my ($rc, $out) = dpkg('--purge', $pkg);
    die "cannot purge the copy a killed run left:\n$out" if $rc;
    unlink $marker;
}

my $own_policy;
my $t;

END {
    local $?;
    $t->stop if $t;
    if (-e $marker) {
        dpkg('--purge', $pkg);
        unlink $marker;
    }
    unlink $policy if $own_policy;
}

unless (-e $policy) {
    open my $fh, '>', $policy or die "$policy: $!\n";
    print $fh "#!/bin/sh\nexit 101\n";
    close $fh;
    chmod 0755, $policy;
    $own_policy = 1;
}


# runs a command; returns (exit status, stdout and stderr)
sub run {
    my (@cmd) = @_;

    local $ENV{DEBIAN_FRONTEND} = 'noninteractive';

    open my $fh, '-|' or do {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        exec @cmd or POSIX::_exit(127);
    };
    my $out = do { local $/; <$fh> };
    close $fh;

    return ($? >> 8, defined $out ? $out : '');
}


# dpkg does not wait for its lock (apt-get may be running for another
# checkout's tests): try again for up to five minutes
sub dpkg {
    my (@args) = @_;

    my ($rc, $out);

    for (1 .. 300) {
        ($rc, $out) = run('dpkg', @args);
        last unless $rc && $out =~ /lock/i;
        sleep 1;
    }

    return ($rc, $out);
}


sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return scalar <$fh>;
}


sub status {
    my ($rc, $out) = run('dpkg-query', '-W', '-f=${Status}', $pkg);
    return 'not-installed' if $rc || $out =~ /not-installed/;
    return $out =~ /(\S+)$/ ? $1 : $out;
}


sub field {
    my ($name) = @_;
    my ($rc, $out) = run('dpkg-query', '-W', "-f=\${$name}", $pkg);
    return $out;
}


# install, as an operator would: apt-get resolves the dependencies

open my $mk, '>', $marker or die "$marker: $!\n";
close $mk;

my ($rc, $out) = run('apt-get', 'install', '-y', '-q',
    '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', $deb);
is($rc, 0, 'apt-get install ./package') or diag($out);
is(status(), 'installed', 'installed');

ok(-f $module, 'module in /usr/lib/nginx/modules');
ok(-f $snippet, 'load_module snippet in modules-available');
is(readlink($link), $snippet, 'enabled by a symlink in modules-enabled');
like(slurp($snippet), qr{^load_module \Q$module\E;$}m,
     'the snippet loads the installed module');

my @shipped = map { s{^\Q$top\E/rules}{$etc}r }
    sort glob("$top/rules/*.rules"), glob("$top/rules/lists/*"),
    glob("$top/rules/models/*");
my @conffiles = sort map { (split ' ')[0] } grep { /\S/ }
    split /\n/, field('Conffiles');
is_deeply(\@conffiles, [sort @shipped], 'the shipped rules are conffiles');
ok(-f $_, "$_ installed") for @shipped;

ok(-x $bin, 'comment-check in /usr/bin');
($rc, $out) = run($bin, '-r', "$etc/main.rules", '--lint');
is($rc, 0, 'comment-check --lint on the installed rules');
like($out, qr/\d+ rules OK/, 'the installed rules load');
($rc, $out) = run('sh', '-c', "gzip -dc $man");
like($out, qr/^\.TH COMMENT-CHECK 1 /m, 'man page in section 1, gzipped');
ok(-f "$doc/copyright", 'copyright in /usr/share/doc');

my $abi = (run('dpkg-query', '-W', '-f=${Provides}', 'nginx'))[1]
    =~ /(nginx-abi-[\w.~+-]+)/ ? $1 : 'nginx-abi-?';
my $depends = field('Depends');
like($depends, qr/(?:^|, )\Q$abi\E(?:,|$)/,
     "depends on $abi, the ABI of the system's nginx");
like($depends, qr/\b$_\b/, "depends on $_")
    for qw(libpcre2-8-0 libutf8proc2 libhiredis0.14);


# the installed module and rules in an nginx of its own

$t = CMTest->new(no_module => 1);

my $d = $t->dir;
my $port = $t->port;

$t->write_file($t->conf_path, <<"END");
include $link;

user root;
daemon on;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log info;

events {
    worker_connections 64;
}

http {
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    access_log $d/access.log;

    comment_moderation_rules $etc/main.rules;

    server {
        listen 127.0.0.1:$port;

        location = /komentar {
            comment_moderation on;
            proxy_pass http://127.0.0.1:$port/diterima;
        }

        # the backend: return runs before the moderation's phase, so it
        # cannot stand in the moderated location itself
        location = /diterima {
            return 200 "diterima\\n";
        }
    }
}
END

($rc, $out) = $t->test_config;
is($rc, 0, 'nginx -t with the installed module and rules') or diag($out);

$t->run;

my $form = 'application/x-www-form-urlencoded';

my ($status, $h, $body) = CMTest::parse_response($t->http_post('/komentar',
    'komentar=Terima+kasih+atas+beritanya%2C+semoga+jalan+di+desa+kami'
    . '+segera+diperbaiki.', 'Content-Type' => $form));
is($status, 200, 'a clean comment passes');
is($body, "diterima\n", 'and reaches the backend');

($status) = CMTest::parse_response($t->http_post('/komentar',
    'komentar=daftar+slot+gacor+maxwin+hari+ini', 'Content-Type' => $form));
is($status, 403, 'a spam comment is rejected');

$t->stop;
undef $t;


# maintainer scripts: an administrator's disabling survives an upgrade

unlink $link;
($rc, $out) = dpkg('-i', $deb);
is($rc, 0, 'dpkg -i again (upgrade to the same version)') or diag($out);
ok(!-e $link && !-l $link, 'a module disabled by hand stays disabled');
symlink $snippet, $link or die "symlink: $!\n";

# remove: the module goes, the conffiles stay, the link is set aside

($rc, $out) = dpkg('--remove', $pkg);
is($rc, 0, 'dpkg --remove') or diag($out);
is(status(), 'config-files', 'only the conffiles are left');
ok(!-e $module, 'module removed');
ok(!-e $snippet, 'snippet removed');
ok(!-l $link, 'symlink gone from modules-enabled');
is(readlink("$link.removed"), $snippet, 'set aside as .removed');
ok(-f "$etc/main.rules", 'rules kept');

($rc, $out) = dpkg('-i', $deb);
is($rc, 0, 'dpkg -i after remove') or diag($out);
is(readlink($link), $snippet, 'enabled again');
ok(!-l "$link.removed", '.removed link gone');

# purge, after a moderator's edit: nothing is left

open my $fh, '>>', "$etc/main.rules" or die "$etc/main.rules: $!\n";
print $fh "# edited by a moderator\n";
close $fh;

($rc, $out) = dpkg('--purge', $pkg);
is($rc, 0, 'dpkg --purge') or diag($out);
unlink $marker;
is(status(), 'not-installed', 'purged');

ok(!-e $_ && !-l $_, "$_ gone")
    for $module, $snippet, $link, "$link.removed", $etc, $bin, $man, $doc;

done_testing;
