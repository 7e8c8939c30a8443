#!/usr/bin/perl

# Two nginx instances sharing one Redis enforce one limit between them,
# as machines behind a balancer do; the limit lives in the configured
# database, under the configured prefix.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use CMTest;
use CMRedis;

plan skip_all => 'redis-server is not installed' unless -x '/usr/bin/redis-server';

my $a = CMTest->new;
my $b = CMTest->new;

my $c = CMTest->new;

my $redis = CMTest::free_port();
my $sock = $a->dir . '/redis.sock';
CMRedis::start_server($a->dir, $redis, '--unixsocket', $sock,
                      '--unixsocketperm', '777');

(my $conf = <<'END') =~ s/%%REDIS%%/$redis/g;
    comment_moderation_redis 127.0.0.1:%%REDIS%% db=2 prefix=shared:;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;
        comment_moderation on;

        location / {
            comment_moderation_limit key=$cookie_u rate=3r/m;
            %%PROXY%%
        }
    }
END

$a->write_config($conf)->run;
$b->write_config($conf)->run;

# a third machine reaches the same Redis through its unix socket
(my $uconf = $conf) =~ s/127\.0\.0\.1:$redis/unix:$sock/;
$c->write_config($uconf)->run;

sub post {
    my ($t, $u) = @_;
    my ($s, $h) = CMTest::parse_response($t->http_post('/', 'comment=halo',
        'Content-Type' => 'application/x-www-form-urlencoded',
        Cookie => "u=$u"));
    return ($s, $h);
}

my ($s, $h);

($s) = post($a, 'one');
is($s, 200, 'A: first post');
($s) = post($b, 'one');
is($s, 200, 'B: second post');
($s) = post($a, 'one');
is($s, 200, 'A: third post');

($s, $h) = post($b, 'one');
is($s, 429, 'B: the fourth post is limited by what A counted');
is($h->{'retry-after'}, 20, 'Retry-After from the shared bucket');
($s) = post($a, 'one');
is($s, 429, 'A: limited as well');

($s) = post($c, 'one');
is($s, 429, 'C, over a unix socket: limited as well');

($s) = post($b, 'two');
is($s, 200, 'another user is not affected');
($s) = post($c, 'two');
is($s, 200, 'C: second post of "two"');
($s) = post($a, 'two');
is($s, 200, 'A: third post of "two"');
($s) = post($a, 'two');
is($s, 429, 'A: the fourth, counted across B, C and A, is limited');

# ten posts at once, spread over both machines: the script is atomic, so
# exactly three pass

my @socks = map {
    CMRedis::post_start(($_ % 2 ? $a : $b)->port, '/', 'comment=halo',
                        Cookie => 'u=three')
} 1 .. 10;

my $passed = 0;
for my $sock (@socks) {
    ($s) = CMTest::parse_response(CMTest::read_to_eof($sock));
    $passed++ if $s == 200;
}
is($passed, 3, 'of 10 simultaneous posts on both machines, exactly 3 pass');

my $keys = CMRedis::command($redis, 'KEYS', 'shared:*');
is(scalar @$keys, 0, 'no keys in db 0');

my $r = CMRedis::command_db($redis, 2, 'KEYS', 'shared:limit:*');
is(scalar @$r, 3, 'three buckets in db 2');

$c->stop;

$a->stop;
$b->stop;

done_testing;
