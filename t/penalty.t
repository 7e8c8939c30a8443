#!/usr/bin/perl

# comment_moderation_penalty: a key whose posts were rejected N times
# within the window is banned, on every nginx sharing the Redis, and a
# banned key is answered like a limit (429, Retry-After) before its body
# is read.  Each new ban doubles, up to max.  Held posts do not count;
# detect mode counts and logs but bans no one; an empty key is exempt.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(time sleep);
use CMTest;
use CMRedis;

plan skip_all => 'redis-server is not installed' unless -x '/usr/bin/redis-server';

my $a = CMTest->new;
my $b = CMTest->new;

my $redis = CMTest::free_port();
my $rpid = CMRedis::start_server($a->dir, $redis);

my $timeout = 'timeout=' . int(CMTest::scaled(300)) . 'ms';

(my $conf = <<'END') =~ s/%%REDIS%%/$redis/g;
    comment_moderation_redis 127.0.0.1:%%REDIS%% prefix=p1: %%TIMEOUT%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;
        comment_moderation on;

        location / {
            comment_moderation_penalty key=$cookie_u after=3 within=1m
                                       ban=1s max=2s;
            %%PROXY%%
        }

        location /both/ {
            comment_moderation_limit key=$cookie_u rate=10r/m;
            comment_moderation_penalty key=$cookie_u after=2 within=1m
                                       ban=1h;
            %%PROXY%%
        }

        location /detect/ {
            comment_moderation_mode detect;
            comment_moderation_penalty key=$cookie_u after=2 within=1m
                                       ban=1h;
            %%PROXY%%
        }

        location /addr/ {
            comment_moderation_penalty key=$binary_remote_addr after=1
                                       within=1m ban=10m;
            %%PROXY%%
        }

        location = /status {
            comment_moderation_status;
        }
    }
END

$conf =~ s/%%TIMEOUT%%/$timeout/g;

$a->write_config($conf)->run;
$b->write_config($conf)->run;


my $spam = 'comment=judi+online';

sub post {
    my ($t, $uri, $u, $body) = @_;
    my ($s, $h, $b) = CMTest::parse_response($t->http_post($uri,
        $body // 'comment=halo',
        'Content-Type' => 'application/x-www-form-urlencoded',
        $u ? (Cookie => "u=$u") : ()));
    return ($s, $h, $b);
}

sub metrics {
    my ($t) = @_;
    my (undef, undef, $body) = CMTest::parse_response($t->http_get('/status'));
    my %m;
    for (split /\n/, $body // '') {
        $m{$1} = $2 if /^(\S+) (\d+)$/;
    }
    return \%m;
}

sub keys_like {
    return @{ CMRedis::command($redis, 'KEYS', $_[0]) };
}

# the rejection is recorded after its answer went out: wait for the ban
sub wait_banned {
    my ($t, $uri, $u) = @_;
    my ($s, $h);
    CMTest::wait_for(sub {
        ($s, $h) = post($t, $uri, $u, 'comment=' . ('x' x 10));
        return $s == 429;
    }, 5);
    return ($s, $h);
}


# three rejections, on both machines, ban the key on both

my ($s, $h, $body);

($s) = post($a, '/', 'a', $spam);
is($s, 403, 'A: a rejected post');
($s) = post($b, '/', 'a', $spam);
is($s, 403, 'B: a second');
($s, $h) = post($a, '/', 'a');
is($s, 200, 'two rejections: not banned yet');

my $mark = $b->log_mark;
($s) = post($b, '/', 'a', $spam);
is($s, 403, 'B: the third is rejected as usual');

($s, $h) = wait_banned($a, '/', 'a');
is($s, 429, 'A: then the key is banned');
is($h->{'retry-after'}, 1, 'Retry-After: the ban, 1 s');
is($h->{'x-decision'}, 'limit', 'answered as a limit');
ok(!defined $h->{'x-backend-method'}, 'never reaching the backend');

($s, $h, $body) = post($b, '/', 'a', 'comment=' . ('x' x 200000));
is($s, 429, 'B: banned too, before its large body is read');
my $m = metrics($b);
is($m->{comment_moderation_banned_total}, 1,
   "B's status counts the post the ban refused");
is($m->{'comment_moderation_decisions_total{decision="limit"}'}, 1,
   'as a limit');
is(metrics($a)->{comment_moderation_penalty_unrecorded_total}, 0,
   'Redis confirmed every record');
like($b->wait_log($mark, qr/banned for/),
     qr/penalty: key "a" banned for 1s after 3 rejections within 60000ms/,
     'the ban is logged');
like($b->wait_log($mark, qr/reason=penalty/),
     qr/decision=limit retry_after=1 reason=penalty/,
     'and so is each refused post');

($s) = post($a, '/', 'other');
is($s, 200, 'another key is not banned');

my ($ban) = keys_like('p1:pen:*:b:a');
ok($ban, 'the ban is a key in Redis');
my ($level) = keys_like('p1:pen:*:l:a');
my $pttl = CMRedis::command($redis, 'PTTL', $level);
ok($pttl > 2000 && $pttl <= 3000,
   "the ban count lives ban + max ($pttl ms)");


# the ban ends; the next one is twice as long, up to max

ok(CMTest::wait_for(sub { (post($a, '/', 'a'))[0] == 200 }, 5),
   'after a second the key may post again');

post($a, '/', 'a', $spam) for 1 .. 3;
($s, $h) = wait_banned($b, '/', 'a');
is($h->{'retry-after'}, 2, 'the second ban is twice as long: 2 s');

CMRedis::command($redis, 'DEL', $ban);    # as if it had run out
post($b, '/', 'a', $spam) for 1 .. 3;
($s, $h) = wait_banned($a, '/', 'a');
is($h->{'retry-after'}, 2, 'the third is at most max: 2 s');


# held posts do not count; refused posts do not count

for (1 .. 5) { ($s, $h) = post($a, '/', 'h', 'comment=togel') }
is($h->{'x-decision'}, 'hold', 'held five times');
($s) = post($a, '/', 'h');
is($s, 200, 'held posts do not ban');

($s) = post($a, '/', '', $spam) for 1 .. 4;
($s) = post($a, '/', '');
is($s, 200, 'an empty key (no cookie) is never banned');


# with a rate limit: one script checks both; a ban costs no bucket

($s) = post($a, '/both/', 'c', $spam);
($s) = post($b, '/both/', 'c', $spam);
($s, $h) = wait_banned($a, '/both/', 'c');
is($s, 429, 'penalty beside a limit: banned after 2');
ok($h->{'retry-after'} > 3590, "for an hour ($h->{'retry-after'} s)");
my ($bucket) = keys_like('p1:limit:*:c');
my $tat = CMRedis::command($redis, 'GET', $bucket);
post($b, '/both/', 'c') for 1 .. 3;
is(CMRedis::command($redis, 'GET', $bucket), $tat,
   'refused by the ban: the limit\'s bucket is untouched');


# detect mode: counted and logged, never banned

$mark = $a->log_mark;
for (1 .. 4) { ($s, $h) = post($a, '/detect/', 'd', $spam) }
is($s, 200, 'detect: rejections are not enforced');
is($h->{'x-decision'}, 'reject', 'but decided');
like($a->wait_log($mark, qr/would be banned/),
     qr/penalty: key "d" would be banned for 3600s after 2 rejections .*detect mode/,
     'detect: the ban it would make is logged');
($s) = post($a, '/detect/', 'd');
is($s, 200, 'detect: never banned');
is(scalar(keys_like('p1:pen:*:b:d')), 0, 'no ban in Redis');


# a binary key is logged in hex

$mark = $a->log_mark;
($s) = post($a, '/addr/', undef, $spam);
like($a->wait_log($mark, qr/banned for/),
     qr/penalty: key 0x"7f000001" banned for 600s/,
     '$binary_remote_addr: logged in hex');
($s) = wait_banned($b, '/addr/', undef);
is($s, 429, 'the address is banned on B');
($s) = post($b, '/', 'z');
is($s, 200, 'only where that penalty applies');


# Redis down: nothing is banned or checked, posts fail open

CMRedis::stop_server($rpid, 'KILL');
($s) = post($a, '/', 'e', $spam);
is($s, 403, 'down: rejections still rejected');
ok(CMTest::wait_for(sub {
       metrics($a)->{comment_moderation_penalty_unrecorded_total}
   }, 10), 'down: the record it could not make is counted');
($s) = post($a, '/both/', 'c');
is($s, 200, 'down: the ban cannot be checked, the post fails open');

$rpid = CMRedis::start_server($a->dir, $redis);
ok(CMTest::wait_for(sub {
       post($a, '/addr/', undef, $spam);
       return (post($a, '/addr/', undef))[0] == 429;
   }, 12), 'Redis back: bans again without a reload');

$a->stop;
$b->stop;
unlike($a->error_log . $b->error_log, qr/penalty script failed/,
       'the script never failed');

done_testing;
