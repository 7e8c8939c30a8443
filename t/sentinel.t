#!/usr/bin/perl

# Redis Sentinel: a real master, a replica and three sentinels on
# loopback ports, two nginx instances that find the master through the
# sentinels.  The master is killed: the posts follow the failure policy
# while the sentinels fail over, the workers hear +switch-master and
# connect to the new master, and posts are limited again, with the state
# the replica had.  A second failover (SENTINEL FAILOVER) moves them back.
# A sentinel that names a replica is caught by ROLE at the handshake, and
# a master demoted behind the worker's back by READONLY.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(time sleep);
use CMTest;
use CMRedis;

plan skip_all => 'redis-server is not installed' unless -x '/usr/bin/redis-server';

my $a = CMTest->new;
my $b = CMTest->new;
my $dir = $a->dir;

my $m = CMTest::free_port();
my $r = CMTest::free_port();
my @s = map { CMTest::free_port() } 1 .. 3;

my $mpid = CMRedis::start_server($dir, $m);
my $rpid = CMRedis::start_server($dir, $r, '--replicaof', '127.0.0.1', $m);
my @spid = map { CMRedis::start_sentinel($dir, $_, 'cmmaster', $m, 2) } @s;

# the sentinels know each other and the replica before anything fails
ok(CMTest::wait_for(sub {
       my $ok = eval { CMRedis::command($s[0], 'SENTINEL', 'ckquorum',
                                        'cmmaster') };
       my $rep = eval { CMRedis::command($s[0], 'SENTINEL', 'replicas',
                                         'cmmaster') };
       my $sync = eval { CMRedis::command($r, 'INFO', 'replication') };
       return $ok && $ok =~ /3 usable/ && $rep && @$rep == 1
              && $sync =~ /master_link_status:up/;
   }, 30), 'master, replica and three sentinels are set up');

my $T = CMTest::scaled(0.3);
my $timeout = 'timeout=' . int($T * 1000) . 'ms';
my $sentinels = join ',', map { "127.0.0.1:$_" } @s;

(my $conf = <<'END') =~ s/%%SENTINELS%%/$sentinels/g;
    comment_moderation_redis sentinel=%%SENTINELS%% master=cmmaster
                             prefix=s1: %%TIMEOUT%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;
        comment_moderation on;

        location / {
            comment_moderation_limit key=$cookie_u rate=2r/m;
            %%PROXY%%
        }

        location /closed/ {
            comment_moderation_limit key=$cookie_u rate=2r/m;
            comment_moderation_redis_failure closed;
            %%PROXY%%
        }
    }
END

$conf =~ s/%%TIMEOUT%%/$timeout/g;

$a->write_config($conf)->run;
$b->write_config($conf)->run;


sub post {
    my ($t, $uri, $u) = @_;
    my ($s, $h) = CMTest::parse_response($t->http_post($uri, 'comment=halo',
        'Content-Type' => 'application/x-www-form-urlencoded',
        Cookie => "u=$u"));
    return ($s, $h);
}

my $user = 0;

# a fresh user's third post, across both machines, is limited
sub limited {
    my $u = 'w' . ++$user;
    my @st = ((post($a, '/', $u))[0], (post($b, '/', $u))[0],
              (post($a, '/', $u))[0]);
    return "@st" eq '200 200 429';
}


ok(CMTest::wait_for(\&limited, 10),
   'through the sentinels: posts are limited on both machines');

my ($s) = post($a, '/', 'x');
($s) = post($b, '/', 'x');
($s) = post($a, '/', 'x');
is($s, 429, 'x: the third post is limited');


my $keys = CMRedis::command($m, 'KEYS', 's1:limit:*');
ok(@$keys >= 1, 'the buckets are on the master');
ok(CMTest::wait_for(sub {
       @{ CMRedis::command($r, 'KEYS', 's1:limit:*') } == @$keys }, 5),
   'and the replica has them');


# the master dies: the failure policy meanwhile, then the new master

my $mark_a = $a->log_mark;
my $mark_b = $b->log_mark;
my $killed = time;
CMRedis::stop_server($mpid, 'KILL');

like($a->wait_log($mark_a, qr/connection lost/), qr/connection lost/,
     'the worker notices the master is gone');
($s) = post($a, '/', 'y');
is($s, 200, 'meanwhile: posts fail open');
($s) = post($a, '/closed/', 'y');
is($s, 503, 'meanwhile: failure closed answers 503');

ok(CMTest::wait_for(\&limited, 30), 'after the failover posts are limited '
   . sprintf('again (%.1f s after the kill)', time - $killed));

my $new = CMRedis::command($s[1], 'SENTINEL', 'get-master-addr-by-name',
                           'cmmaster');
is($new->[1], $r, 'the replica is the new master');
like($a->error_log_since($mark_a),
     qr/failover, master "cmmaster" is now 127\.0\.0\.1:$r/,
     'A heard +switch-master');
like($b->error_log_since($mark_b),
     qr/the master is now 127\.0\.0\.1:$r/, 'B moved too');

($s) = post($b, '/', 'x');
is($s, 429, 'x is still limited: its bucket came with the replica');
ok(@{ CMRedis::command($r, 'KEYS', 's1:limit:*:w*') } > 0,
   'new buckets are written on the new master');


# the old master comes back as a replica, as the sentinels would have
# rewritten its configuration; a manual failover moves back

$mpid = CMRedis::start_server($dir, $m, '--replicaof', '127.0.0.1', $r);
ok(CMTest::wait_for(sub {
       my $info = eval { CMRedis::command($m, 'INFO', 'replication') };
       return $info && $info =~ /master_link_status:up/;
   }, 30), 'the old master rejoins as a replica');

# once: the sentinels refuse while they do not yet trust the replica
$mark_a = $a->log_mark;
$mark_b = $b->log_mark;
ok(CMTest::wait_for(sub {
       my $ok = eval { CMRedis::command($s[2], 'SENTINEL', 'failover',
                                        'cmmaster') };
       return $ok && $ok eq 'OK';
   }, 30), 'SENTINEL FAILOVER');
ok(CMTest::wait_for(sub {
       my $now = CMRedis::command($s[2], 'SENTINEL',
                                  'get-master-addr-by-name', 'cmmaster');
       return $now->[1] == $m;
   }, 30), 'makes the old master the master again');

ok(CMTest::wait_for(sub { limited() && limited() }, 30),
   'posts are limited through the second failover');

# a sentinel that did not lead the failover hears of it within seconds
ok(CMTest::wait_for(sub {
       $a->error_log_since($mark_a) =~ /is now 127\.0\.0\.1:$m/
       && $b->error_log_since($mark_b) =~ /is now 127\.0\.0\.1:$m/
   }, 10), 'the workers of both machines followed');


# the sentinels go away: the master's link stays

CMRedis::stop_server($_, 'KILL') for @spid;
ok(limited(), 'without sentinels the known master still limits');

# the old master the sentinels demote once they see it again
CMRedis::command($r, 'REPLICAOF', '127.0.0.1', $m);

$a->stop;
$b->stop;
unlike($a->error_log, qr/open socket/, 'no socket left open at exit');


# a sentinel that names a replica: ROLE catches it at the handshake

my $f = CMTest->new;
my $fake = fake_sentinel($f, $r, 0);       # a replica since the failback

(my $fconf = $conf) =~ s/sentinel=\S+/sentinel=127.0.0.1:$fake/;
$fconf =~ s/prefix=s1:/prefix=s2:/;
$f->write_config($fconf)->run;

ok(CMTest::wait_for(sub { $f->error_log =~ /not the master, asking/ }, 10),
   'a replica named by a sentinel is refused: "not the master"');
($s) = post($f, '/closed/', 'z');
is($s, 503, 'and posts follow the failure policy');
is(scalar(@{ CMRedis::command($m, 'KEYS', 's2:*') })
   + scalar(@{ CMRedis::command($r, 'KEYS', 's2:*') }), 0,
   'nothing was written anywhere');
$f->stop;


# a new worker's first posts wait for a slow sentinel's answer, as they
# wait for a handshake, instead of failing

my $g = CMTest->new;
my $slow = fake_sentinel($g, $m, $T / 3);
(my $gconf = $conf) =~ s/sentinel=\S+/sentinel=127.0.0.1:$slow/;
$gconf =~ s/prefix=s1:/prefix=s4:/;
$g->write_config($gconf)->run;

my @first = map { (post($g, '/closed/', 'first'))[0] } 1 .. 3;
is("@first", '200 200 429',
   'the first posts wait for the sentinel: limited, none fails (closed)');
$g->stop;


# without Sentinel: the master demoted behind the worker's back answers
# READONLY; the worker drops it, and its handshake (ROLE) waits, with
# backoff, until it is a master again

my $p = CMTest->new;
(my $pconf = $conf) =~ s/sentinel=\S+ master=cmmaster/127.0.0.1:$m/;
$pconf =~ s/prefix=s1:/prefix=s3:/;
$p->write_config($pconf)->run;

my $pu = 0;
sub plimited {
    my $u = 'p' . ++$pu;
    my @st = map { (post($p, '/', $u))[0] } 1 .. 3;
    return "@st" eq '200 200 429';
}

ok(CMTest::wait_for(\&plimited, 10), 'plain: limited');

my $mark = $p->log_mark;
CMRedis::command($r, 'REPLICAOF', 'NO', 'ONE');
CMRedis::command($m, 'REPLICAOF', '127.0.0.1', $r);

($s) = post($p, '/closed/', 'q');
is($s, 503, 'demoted: the post fails (closed)');
like($p->wait_log($mark, qr/READONLY/),
     qr/redis "127\.0\.0\.1:$m": READONLY .*, reconnecting/,
     'READONLY drops the link');
($s) = post($p, '/', 'q');
is($s, 200, 'meanwhile posts fail open');
sleep 0.5;    # retries at 100, 200 ms: a line each would be a bug
unlike($p->error_log_since($mark), qr/connected/,
       'ROLE keeps the replica from being used again');
is(scalar(() = $p->error_log_since($mark) =~ /\[error\]/g), 2,
   'two error lines for the episode: READONLY, and the post it failed');

CMRedis::command($m, 'REPLICAOF', 'NO', 'ONE');
ok(CMTest::wait_for(\&plimited, 12), 'a master again: limited again');
$p->stop;

done_testing;


# a sentinel of instance $t that always says, after $delay seconds, that
# the master is 127.0.0.1:$port
sub fake_sentinel {
    my ($t, $port, $delay) = @_;

    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
        Listen => 16, ReuseAddr => 1,
    ) or die "fake sentinel: $!\n";

    my $fport = $listen->sockport;
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        $SIG{TERM} = sub { _exit(0) };
        $SIG{CHLD} = 'IGNORE';
        while (my $c = $listen->accept) {
            next if fork;
            binmode $c;
            my $buf = '';
            while (sysread $c, $buf, 65536, length $buf) {
                while (1) {
                    my ($cmd, $rest) = CMRedis::parse($buf);
                    last unless defined $rest;
                    $buf = $rest;
                    my $name = uc $cmd->[0];
                    sleep $delay if $name eq 'SENTINEL';
                    syswrite $c, $name eq 'SENTINEL'
                        ? "*2\r\n\$9\r\n127.0.0.1\r\n\$" . length($port)
                          . "\r\n$port\r\n"
                        : $name eq 'SUBSCRIBE'
                        ? "*3\r\n\$9\r\nsubscribe\r\n\$14\r\n+switch-master"
                          . "\r\n:1\r\n"
                        : "+PONG\r\n";
                }
            }
            _exit(0);
        }
        _exit(0);
    }

    close $listen;
    push @{ $t->{pids} }, $pid;

    return $fport;
}
