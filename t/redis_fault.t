#!/usr/bin/perl

# Redis failures: down at start, killed while running, paused (SIGSTOP),
# and a fake Redis that answers in fragments, late, or drops the
# connection mid-reply.  Other locations keep answering at once, posts
# fail open (or closed) within the timeout, content rules still apply,
# one error line per episode, and limits come back without a reload.
#
# Time bounds are in units of the Redis timeout $T, 300 ms stretched by
# TEST_NGINX_TIMEOUT_SCALE: "at once" is under a third of it, "after the
# timeout" between 0.8 and 2 times it.  The few sleeps left are windows in
# which a line that should not be logged would be.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(time sleep);
use CMTest;
use CMRedis;

plan skip_all => 'redis-server is not installed' unless -x '/usr/bin/redis-server';

my $t = CMTest->new;
my $redis = CMTest::free_port();

my $T = CMTest::scaled(0.3);
my $timeout = 'timeout=' . int($T * 1000) . 'ms';

my $config = <<'END';
    comment_moderation_redis 127.0.0.1:%%REDIS%% %%OPTS%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;
        comment_moderation on;

        location /open/ {
            comment_moderation_limit key=$cookie_u rate=1r/m;
            %%PROXY%%
        }

        location /closed/ {
            comment_moderation_limit key=$cookie_u rate=1r/m;
            comment_moderation_redis_failure closed;
            %%PROXY%%
        }

        location /static/ {
            return 200 "ok\n";
        }

        location = /status {
            comment_moderation_status;
        }
    }
END

sub conf {
    my ($port, $opts) = @_;
    (my $c = $config) =~ s/%%REDIS%%/$port/g;
    $c =~ s/%%OPTS%%/$opts/g;
    return $c;
}

$t->write_config(conf($redis, $timeout))->run;


sub post {
    my ($inst, $uri, $body, %h) = @_;
    my $t0 = time;
    my @r = CMTest::parse_response($inst->http_post($uri,
        $body // 'comment=halo',
        'Content-Type' => 'application/x-www-form-urlencoded', %h));
    return (time - $t0, @r);
}

sub get_static {
    my ($inst) = @_;
    my $t0 = time;
    my ($s) = CMTest::parse_response($inst->http_get('/static/'));
    return (time - $t0, $s);
}

my $user = 0;

# polls until a fresh user's second post is limited: Redis is back
sub wait_limits {
    my ($inst, $timeout) = @_;
    return CMTest::wait_for(sub {
        my $u = 'w' . ++$user;
        my (undef, $s1) = post($inst, '/open/', undef, Cookie => "u=$u");
        my (undef, $s2) = post($inst, '/open/', undef, Cookie => "u=$u");
        return $s1 == 200 && $s2 == 429;
    }, $timeout);
}

sub redis_errors {
    my ($text) = @_;
    return scalar(() = $text =~ /\[error\][^\n]*redis/g);
}


# 1. Redis down at start (the first connect fails as the worker starts)

my $mark = 0;

my ($el, $s) = post($t, '/open/', undef, Cookie => 'u=a');
is($s, 200, 'down at start: post fails open');
ok($el < $T / 3,
   sprintf('at once, without waiting for a timeout (%.0f ms)', $el * 1000));

($el, $s) = post($t, '/open/', 'comment=judi online', Cookie => 'u=a');
is($s, 403, 'down at start: content rules still apply');

($el, $s) = post($t, '/closed/', undef, Cookie => 'u=a');
is($s, 503, 'down at start: failure closed answers 503');
ok($el < $T / 3, 'at once');

($el, $s) = get_static($t);
is($s, 200, 'other locations answer');

post($t, '/open/', undef, Cookie => 'u=a') for 1 .. 10;
sleep 0.5;    # retries at 100, 200 ms: a line each would be a bug
is(redis_errors($t->error_log_since($mark)), 1,
   'one error line for the whole episode')
    or diag($t->error_log_since($mark));

my (undef, undef, $metrics) = CMTest::parse_response($t->http_get('/status'));
like($metrics, qr/^comment_moderation_redis_failures_total 13$/m,
     'every post Redis could not answer is counted');

my $rpid = CMRedis::start_server($t->dir, $redis);
ok(wait_limits($t, 12), 'Redis started: limits apply without a reload');
like($t->error_log_since($mark), qr/redis "127\.0\.0\.1:\d+": connected/,
     'the recovery is logged');


# 2. killed while running

$mark = $t->log_mark;
CMRedis::stop_server($rpid, 'KILL');
like($t->wait_log($mark, qr/connection lost/), qr/connection lost/,
     'killed: the worker notices');

($el, $s) = post($t, '/open/', undef, Cookie => 'u=b');
is($s, 200, 'killed: post fails open');
ok($el < $T, sprintf('without waiting for the timeout (%.0f ms)', $el * 1000));

($el, $s) = post($t, '/closed/', undef, Cookie => 'u=b');
is($s, 503, 'killed: failure closed answers 503');

($el, $s) = get_static($t);
is($s, 200, 'other locations answer');

post($t, '/open/', undef, Cookie => 'u=b') for 1 .. 10;
sleep 1;    # retries at 100, 200, 400 ms
is(redis_errors($t->error_log_since($mark)), 1,
   'one error line for the whole episode');

$rpid = CMRedis::start_server($t->dir, $redis);
ok(wait_limits($t, 12), 'restarted on the same port: limits apply again');


# 3. paused: the worker never waits

$mark = $t->log_mark;
kill 'STOP', $rpid;

my $t0 = time;
my $pending = CMRedis::post_start($t->port, '/open/', 'comment=halo',
                                  Cookie => 'u=c');
sleep 0.02;    # the post first, if it can
($el, $s) = get_static($t);
is($s, 200, 'paused: another location answers');
ok($el < $T / 3,
   sprintf('without waiting while a post waits (%.1f ms)', $el * 1000));

my ($ps) = CMTest::parse_response(CMTest::read_to_eof($pending));
my $waited = time - $t0;
is($ps, 200, 'paused: the waiting post fails open');
ok($waited >= 0.8 * $T && $waited < 2 * $T,
   sprintf('after the timeout (%.0f ms)', $waited * 1000));

($el, $s) = post($t, '/closed/', undef, Cookie => 'u=c');
is($s, 503, 'paused: failure closed answers 503');
ok($el < 2 * $T, sprintf('within the timeout (%.0f ms)', $el * 1000));

($el, $s) = post($t, '/open/', 'comment=judi online', Cookie => 'u=c');
is($s, 403, 'paused: content rules still apply');

# a client that gives up while its post waits
my $gone = CMRedis::post_start($t->port, '/open/', 'comment=halo',
                               Cookie => 'u=gone');
sleep 0.05;
close $gone;

# a reload with commands pending on the paused Redis
$pending = CMRedis::post_start($t->port, '/open/', 'comment=halo',
                               Cookie => 'u=d');
sleep 0.02;
ok($t->reload, 'reload while Redis is paused');
($ps) = CMTest::parse_response(CMTest::read_to_eof($pending));
is($ps, 200, 'the pending post is answered across the reload');

for (1 .. 5) {
    ($el, $s) = post($t, '/open/', undef, Cookie => 'u=e');
    last if $el > 2 * $T;
}
ok($el < 2 * $T, 'posts keep failing open within the timeout');

sleep 0.5;    # reconnections time out: a line each would be a bug
ok(redis_errors($t->error_log_since($mark)) <= 2,
   'at most one error line per worker and episode');

kill 'CONT', $rpid;
ok(wait_limits($t, 15), 'resumed (SIGCONT): limits apply again');


# 4. a fake Redis: fragments, late, dropped

my $f = CMTest->new;
my ($fpid, $fport) = CMRedis::start_fake($f->dir);
$f->write_config(conf($fport, $timeout))->run;

sub fake { CMRedis::set_fake_mode($f->dir, $_[0]) }

sub wait_fake_limit {
    return CMTest::wait_for(sub {
        my (undef, $s) = post($f, '/open/', undef, Cookie => 'u=f');
        return $s == 429;
    });
}

fake('pass');
(undef, $s) = post($f, '/open/');
is($s, 200, 'fake: pass');

fake('limit 2000000');
ok(wait_fake_limit(), 'fake: a limit reply is a 429');

fake('fragments');
($el, $s, my $h) = post($f, '/open/', undef, Cookie => 'u=f');
is($s, 429, 'fake: a reply in 10 one-byte fragments is read whole');
is($h->{'retry-after'}, 3, 'and decoded: Retry-After 3');

fake('late ' . int(2.5 * $T * 1000));
($el, $s) = post($f, '/open/', undef, Cookie => 'u=f');
is($s, 200, 'fake late: fails open');
ok($el >= 0.8 * $T && $el < 2 * $T,
   sprintf('after the timeout (%.0f ms)', $el * 1000));
($el, $s) = post($f, '/closed/', undef, Cookie => 'u=f');
ok($s == 503 && $el < 2 * $T,
   'fake late: closed answers 503 within the timeout');

fake('limit 2000000');
ok(wait_fake_limit(), 'fake: answers again after the late reply');

# one edge-triggered read event for 100 KB: all of it must be read now
my $fmark = $f->log_mark;
fake('big');
($el, $s) = post($f, '/open/', undef, Cookie => 'u=f');
is($s, 200, 'fake big reply: not an integer, fails open');
ok($el < 0.8 * $T,
   sprintf('at once: the socket was drained (%.0f ms)', $el * 1000));
my $since = $f->wait_log($fmark, qr/unexpected redis reply/);
like($since, qr/unexpected redis reply type 1\b/, 'the odd reply is logged');
unlike($since, qr/no answer/, 'no timeout');

fake('drop');
($el, $s) = post($f, '/open/', undef, Cookie => 'u=f');
is($s, 200, 'fake drop mid-reply: fails open');
ok($el < $T, sprintf('without waiting for the timeout (%.0f ms)', $el * 1000));

fake('limit 2000000');
ok(wait_fake_limit(), 'fake: reconnected after the drop');

# NOSCRIPT on a fresh connection: SCRIPT LOAD, then EVALSHA again
fake('drop');
post($f, '/open/', undef, Cookie => 'u=f');
fake('noscript');
my $ok = CMTest::wait_for(sub {
    (undef, $s) = post($f, '/open/', undef, Cookie => 'u=f');
    return join(',', CMRedis::fake_log($f->dir)) =~ /EVALSHA,SCRIPT,EVALSHA$/;
});
ok($ok, 'fake NOSCRIPT: the script is loaded again and the post retried');
is($s, 200, 'and the post passes');

$f->stop;
unlike($f->error_log, qr/\[alert\]|\[crit\]|exited on signal/, 'fake: no alert, no crash');


# 5. a handshake that fails: one error line, posts fail open

my $a = CMTest->new;
$a->write_config(conf($redis, "password=wrong db=2 $timeout"))->run;
($el, $s) = post($a, '/open/', undef, Cookie => 'u=g');
is($s, 200, 'AUTH refused: post fails open');
post($a, '/open/', undef, Cookie => 'u=g') for 1 .. 5;
like($a->wait_log(0, qr/handshake failed/), qr/handshake failed: ERR/,
     "the refusal is logged, with Redis's words");
sleep 0.3;    # retries at 100, 200 ms
is(redis_errors($a->error_log), 1, 'once');
$a->stop;


$t->stop;
unlike($t->error_log, qr/open socket/, 'no socket left open');

done_testing;
