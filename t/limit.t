#!/usr/bin/perl

# Rate limits through Redis: N posts pass and the next is refused with a
# correct Retry-After; limits stack and are all-or-nothing; keys are
# separate; an empty key (map exemption) skips; keys expire; the script
# is reloaded after SCRIPT FLUSH; only POSTs where moderation is on are
# counted; reload and shutdown with a live connection leave no alert.

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
CMRedis::start_server($t->dir, $redis);

(my $conf = <<'END') =~ s/%%REDIS%%/$redis/g;
    comment_moderation_redis 127.0.0.1:%%REDIS%% prefix=t1:;

    map $http_x_trusted $limit_client {
        default  $binary_remote_addr;
        yes      "";
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;
        comment_moderation on;

        location /one/ {
            comment_moderation_limit key=$limit_client rate=3r/m;
            %%PROXY%%
        }

        location /stack/ {
            comment_moderation_limit key=$cookie_u rate=3 r/m;
            comment_moderation_limit key=site rate=5r/m;
            %%PROXY%%
        }

        location /cookie/ {
            comment_moderation_limit key=$cookie_u rate=1r/h burst=2;
            comment_moderation_limit_status 420;
            comment_moderation_limit_message "Pelan-pelan saja.";
            %%PROXY%%
        }

        location /fast/ {
            comment_moderation_limit key=$cookie_u rate=2r/s burst=1;
            %%PROXY%%
        }

        location /nolimit/ {
            %%PROXY%%
        }

        location /fastest/ {
            comment_moderation_limit key=$cookie_u rate=1000000r/s burst=2;
            %%PROXY%%
        }

        location /yearly/ {
            comment_moderation_limit key=$cookie_u rate=1r/d burst=365;
            %%PROXY%%
        }

        location /errpage/ {
            comment_moderation_limit key=$cookie_u rate=1r/h burst=1;
            error_page 429 /slow.html;
            %%PROXY%%
        }

        location = /slow.html {
            root %%TESTDIR%%;
        }

        location /off/ {
            comment_moderation off;
            comment_moderation_limit key=$binary_remote_addr rate=1r/d;
            %%PROXY%%
        }

        location /redirect/ {
            comment_moderation_limit key=$cookie_u rate=1r/h burst=1;
            try_files /nonexistent @moderated;
        }

        location @moderated {
            comment_moderation_limit key=$cookie_u rate=1r/h burst=1;
            %%PROXY%%
        }
    }
END

$t->write_config($conf);
$t->write_file('slow.html', "pelan-pelan\n");
$t->run;


sub post {
    my ($uri, $body, %h) = @_;
    return CMTest::parse_response($t->http_post($uri, $body // 'comment=halo',
        'Content-Type' => 'application/x-www-form-urlencoded', %h));
}

sub keys_like {
    my ($pattern) = @_;
    return @{ CMRedis::command($redis, 'KEYS', $pattern) };
}


# N pass, the next is limited

for my $i (1 .. 3) {
    my ($s, $h) = post('/one/');
    is($s, 200, "post $i of 3 passes");
    is($h->{'x-decision'}, 'pass', "post $i decision pass");
}

my ($s, $h, $b) = post('/one/', 'comment=' . ('x' x 200000));
is($s, 429, 'fourth post limited, before its large body is read');
is($h->{'retry-after'}, 20, 'Retry-After is the emission interval (20 s)');
is($h->{'x-decision'}, 'limit', '$comment_moderation_decision is limit');
ok($b =~ /Terlalu banyak komentar/, 'Indonesian title');
ok($b =~ /terlalu cepat/, 'Indonesian message');
ok(!defined $h->{'x-backend-method'}, 'limited post never reached backend');

($s, $h, $b) = post('/one/', 'comment=halo', Accept => 'application/json');
is($s, 429, 'still limited, JSON');
like($h->{'content-type'}, qr{application/json}, 'JSON answer');
like($b, qr/"decision":"limit"/, 'JSON decision limit');
like($b, qr/"retry_after":(19|20)\}/, 'JSON carries retry_after');
ok($h->{'retry-after'} >= 19 && $h->{'retry-after'} <= 20, 'JSON Retry-After');

($s) = post('/one/', 'comment=halo', 'X-Trusted' => 'yes');
is($s, 200, 'empty key (map exemption) skips the limit');

($s, $h) = CMTest::parse_response($t->http_get('/one/'));
isnt($s, 429, 'GET is not limited');

for (1 .. 3) { ($s) = post('/nolimit/'); }
is($s, 200, 'location without limits untouched');

for (1 .. 3) { ($s) = post('/off/'); }
is($s, 200, 'limits ignored where comment_moderation is off');


# expiry: the bucket of three posts at 3r/m is full again in 60 s

my @k = keys_like('t1:limit:*');
is(scalar @k, 1, 'one key for /one/');
like($k[0], qr/^t1:limit:[0-9a-f]{8}:\x7f\x00\x00\x01$/,
     'prefix, limit identity and the raw 4-byte address');
my $pttl = CMRedis::command($redis, 'PTTL', $k[0]);
ok($pttl > 55000 && $pttl <= 60000, "key expires when the bucket is full ($pttl ms)");


# stacking, all or nothing

for my $i (1 .. 3) {
    ($s) = post('/stack/', undef, Cookie => 'u=a');
    is($s, 200, "stack: a's post $i passes");
}
($s, $h) = post('/stack/', undef, Cookie => 'u=a');
is($s, 429, "stack: a's fourth post limited by the per-user limit");
is($h->{'retry-after'}, 20, 'per-user Retry-After');

# the refused post took nothing from the site's bucket: 2 more fit in it
for my $i (1 .. 2) {
    ($s) = post('/stack/', undef, Cookie => 'u=b');
    is($s, 200, "stack: b's post $i passes (site bucket 4 and 5 of 5)");
}
($s, $h) = post('/stack/', undef, Cookie => 'u=b');
is($s, 429, "stack: b's third post limited by the site limit");
is($h->{'retry-after'}, 12, 'site Retry-After (60 s / 5)');

is(scalar(keys_like('t1:limit:*')), 4, 'separate keys per limit and user');


# separate keys, burst, status and message

for my $u (qw(x y)) {
    for my $i (1 .. 2) {
        ($s) = post('/cookie/', undef, Cookie => "u=$u");
        is($s, 200, "cookie $u: post $i passes (burst 2)");
    }
}
($s, $h, $b) = post('/cookie/', undef, Cookie => 'u=x');
is($s, 420, 'comment_moderation_limit_status');
is($h->{'retry-after'}, 3600, 'Retry-After: 1r/h burst 2 -> one interval, 3600 s');
like($b, qr/Pelan-pelan saja/, 'comment_moderation_limit_message');

for (1 .. 3) { ($s) = post('/cookie/'); }
is($s, 200, 'no cookie: empty key, never limited');


# an internal redirect counts the post once

($s) = post('/redirect/', undef, Cookie => 'u=r');
is($s, 200, 'a post redirected to the same limit is counted once');
($s) = post('/redirect/', undef, Cookie => 'u=r');
is($s, 429, 'the next one is limited');


# counted whatever the rules decide, and rules still apply

my $first = time;
($s) = post('/fast/', 'comment=judi online', Cookie => 'u=f');
is($s, 403, 'a rejected post is rejected by the rules');
($s, $h) = post('/fast/', 'comment=halo', Cookie => 'u=f');
is($s, 429, 'and it was counted');
ok($h->{'retry-after'} >= 1, 'Retry-After at least 1 for sub-second waits');

# a refused post takes nothing: asking again and again is harmless
ok(CMTest::wait_for(sub {
       (post('/fast/', 'comment=halo', Cookie => 'u=f'))[0] == 200 }, 5),
   'after the interval a post passes again');
ok(time - $first >= 0.49, sprintf('not before it (%.2f s)', time - $first));


# NOSCRIPT: the script is loaded again

CMRedis::command($redis, 'SCRIPT', 'FLUSH');
($s) = post('/fast/', 'comment=halo', Cookie => 'u=g');
is($s, 200, 'post passes after SCRIPT FLUSH');
($s) = post('/fast/', 'comment=halo', Cookie => 'u=g');
is($s, 429, 'and limits still work');


# an error_page for the limit status answers instead of the built-in page

($s) = post('/errpage/', undef, Cookie => 'u=e');
is($s, 200, 'error_page location: first post passes');
($s, $h, $b) = post('/errpage/', undef, Cookie => 'u=e');
is($s, 429, 'error_page location: limited post keeps its status');
is($b, "pelan-pelan\n", 'the operator\'s error_page answers it');
ok($h->{'retry-after'} >= 3599, 'with Retry-After');


# the extremes the configuration accepts are ones Redis can store: one
# post a microsecond, and a key that lives a year

for my $i (1 .. 3) {
    ($s) = post('/fastest/', undef, Cookie => 'u=fastest');
    is($s, 200, "1000000r/s: post $i passes");
}
unlike($t->error_log, qr/limit script failed/, '1000000r/s: Redis took them');

my $year = time;
my @yearly = map { (post('/yearly/', undef, Cookie => 'u=yearly'))[0] } 1 .. 365;
is(join(',', grep { $_ != 200 } @yearly), '', '1r/d burst=365: 365 posts pass');
($s, $h) = post('/yearly/', undef, Cookie => 'u=yearly');
is($s, 429, '1r/d burst=365: the 366th is limited');
ok($h->{'retry-after'} <= 86400
   && $h->{'retry-after'} >= 86400 - int(time - $year),
   "for a day from the first post ($h->{'retry-after'} s)");
my ($yk) = keys_like('t1:limit:*:yearly');
$pttl = CMRedis::command($redis, 'PTTL', $yk);
ok($pttl > 364 * 86400000 && $pttl <= 365 * 86400000,
   "1r/d burst=365: the key lives a year ($pttl ms)");


# timing: one Redis round trip

my $t0 = time;
post('/stack/', undef, Cookie => 'u=timing') for 1 .. 20;
my $per = (time - $t0) / 20;
ok($per < CMTest::scaled(0.05),
   sprintf('a limited location answers fast (%.1f ms/post)', $per * 1000));


# reload and shutdown with a live connection

ok($t->reload, 'reload');
($s) = post('/cookie/', undef, Cookie => 'u=x');
is($s, 420, 'limits hold across a reload (state is in Redis)');
($s) = post('/cookie/', undef, Cookie => 'u=new');
is($s, 200, 'new workers talk to Redis');

my $log = $t->error_log;
unlike($log, qr/\[error\].*redis/, 'no redis errors logged');

$t->stop;
unlike($t->error_log, qr/open socket/, 'no socket left open at exit');


# configuration errors

my $c = CMTest->new;
$c->expect_emerg;
$c->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            comment_moderation_limit key=$binary_remote_addr rate=1r/s;
        }
    }
END
my ($rc, $out) = $c->test_config;
isnt($rc, 0, 'limit without redis refused');
like($out, qr/needs "comment_moderation_redis"/, 'with a clear message');

for my $bad ('rate=1r/w', 'rate=0r/s', 'rate=x', 'burst=0 rate=1r/s',
             'rate=1r/s', 'key=a rate=1r/s bogus=1')
{
    my $args = $bad =~ /key=/ ? $bad : "key=\$binary_remote_addr $bad";
    $args = 'rate=1r/s' if $bad eq 'rate=1r/s';
    $c->write_config(<<"END");
    comment_moderation_redis 127.0.0.1:6399;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            comment_moderation_limit $args;
        }
    }
END
    ($rc, $out) = $c->test_config;
    isnt($rc, 0, "\"comment_moderation_limit $args\" refused");
}

$c->write_config(<<'END');
    comment_moderation_redis 127.0.0.1:6399 timeout=2s db=3 password=x prefix=p:;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            comment_moderation_limit key=$binary_remote_addr rate=10 r/s burst=20;
            comment_moderation_limit key=$cookie_a$cookie_b rate=100r/d;
            comment_moderation_redis_failure closed;
        }
    }
END
($rc, $out) = $c->test_config;
is($rc, 0, 'a full configuration is accepted') or diag($out);

$c->write_config(<<'END');
    comment_moderation_redis 127.0.0.1:6399;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            comment_moderation_limit key=$binary_remote_addr rate=1r/s;
            comment_moderation_limit key=$binary_remote_addr rate=1r/s;
        }
    }
END
($rc, $out) = $c->test_config;
isnt($rc, 0, 'a duplicate limit refused');

$c->done_testing;
