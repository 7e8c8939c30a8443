#!/usr/bin/perl

# Redis as workers start: the first posts after a start or a reload wait
# for the new worker's connection and handshake (AUTH, SELECT, SCRIPT
# LOAD) instead of failing, and a healthy Redis, over TCP or a unix
# socket, logs nothing, however long the configuration took to read; a
# refused password is logged with Redis's own words.
#
# The configuration includes a named pipe that a helper opens only after
# a while, so that reading it takes that long, as a large rule set on a
# busy machine does: the master's cached time is then that much behind
# when it forks the workers.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use POSIX qw(mkfifo _exit);
use Test::More;
use Time::HiRes qw(sleep);
use CMTest;
use CMRedis;

plan skip_all => 'redis-server is not installed' unless -x '/usr/bin/redis-server';

my $timeout = int(CMTest::scaled(200));    # ms, the Redis timeout
my $stall = CMTest::scaled(1);             # s, reading the configuration

my $config = <<'END';
    include %%TESTDIR%%/stall.conf;

    comment_moderation_redis %%REDIS%% db=1 timeout=%%TIMEOUT%%ms %%OPTS%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;
        comment_moderation on;

        location / {
            comment_moderation_limit key=$cookie_u rate=1r/m;
            comment_moderation_redis_failure closed;
            %%PROXY%%
        }
    }
END

my @stallers;

# an instance whose configuration takes $stall seconds to read
sub instance {
    my ($redis, $opts) = @_;

    my $t = CMTest->new(workers => 2);

    mkfifo($t->dir . '/stall.conf', 0600) or die "mkfifo: $!\n";

    (my $c = $config) =~ s/%%REDIS%%/$redis/;
    $c =~ s/%%TIMEOUT%%/$timeout/;
    $c =~ s/%%OPTS%%/$opts || ''/e;

    return $t->write_config($c);
}

# the next read of the configuration waits $stall seconds for the pipe
sub stall {
    my ($t) = @_;

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        alarm CMTest::scaled(60);
        sleep $stall;
        open my $fh, '>', $t->dir . '/stall.conf' or _exit(1);
        close $fh;
        _exit(0);
    }

    push @stallers, $pid;
}

my $user = 0;

# two posts of a new user: the first passes, the second is limited; a
# post Redis could not answer is a 503 (failure closed)
sub pair {
    my ($t) = @_;

    my $u = 'u' . ++$user;

    return join ',', map {
        my ($s) = CMTest::parse_response($t->http_post('/', 'comment=halo',
            'Content-Type' => 'application/x-www-form-urlencoded',
            Cookie => "u=$u"));
        $s // '-';
    } 1 .. 2;
}

sub redis_lines {
    my ($t) = @_;
    return join "\n", grep { /comment moderation: redis/ }
        split /\n/, $t->error_log;
}


my $d = CMTest->new;
my $port = CMTest::free_port();
my $sock = $d->dir . '/redis.sock';
CMRedis::start_server($d->dir, $port, '--unixsocket', $sock,
                      '--unixsocketperm', '777');

for my $case (['TCP', "127.0.0.1:$port"], ['unix socket', "unix:$sock"]) {
    my ($name, $addr) = @$case;

    my $t = instance($addr);

    stall($t);
    $t->run;

    my @got = map { pair($t) } 1 .. 8;
    is(join(' ', @got), join(' ', ('200,429') x 8),
       "$name: the first posts after a start wait for Redis");

    for my $i (1 .. 3) {
        my @during;

        stall($t);
        ok($t->reload(sub { push @during, pair($t); sleep 0.05 }),
           "$name: reload $i");
        push @during, map { pair($t) } 1 .. 8;

        is(join(' ', grep { $_ ne '200,429' } @during), '',
           "$name: posts during and right after reload $i are limited");
    }

    $t->stop;

    is(redis_lines($t), '', "$name: no redis errors at start and reloads");
}


# a wrong password: Redis's own answer is logged, once

my $aport = CMTest::free_port();
CMRedis::start_server($d->dir, $aport);
CMRedis::command($aport, 'CONFIG', 'SET', 'requirepass', 'right');

my $w = instance("127.0.0.1:$aport", 'password=wrong');

stall($w);
$w->run;

my @got = map { pair($w) } 1 .. 3;
is(join(' ', @got), '503,503 503,503 503,503',
   'wrong password: posts fail closed');

my $log = $w->wait_log(0, qr/handshake failed/);
like($log, qr/\[error\] .*redis "127\.0\.0\.1:\d+": handshake failed: WRONGPASS/,
     "wrong password: Redis's WRONGPASS is logged");
unlike($log, qr/timed out/, 'not as a timeout');

# each worker's handshake fails on its own: wait for the second line
CMTest::wait_for(sub {
    (() = redis_lines($w) =~ /\[error\]/g) >= 2;
}, 5);

$w->stop;

my @errors = grep { /\[error\]/ } split /\n/, redis_lines($w);
is(scalar @errors, 2, 'one line per worker');

for my $pid (@stallers) {
    kill 'KILL', $pid;
    waitpid($pid, 0);
}

$d->done_testing;
