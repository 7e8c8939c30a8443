#!/usr/bin/perl

# comment_moderation_duplicates: copies of one comment counted across the
# site in Redis, by two nginx instances sharing it.  Re-styled copies
# (case, spacing, punctuation, styled letters) are the same comment;
# near copies (another site name, a word changed) count too, unless
# near=off; short comments never count.  From the threshold-th copy on
# the post gets the score as a rule with the id would: in
# $comment_moderation_rules, the log line and the status counters.  A
# Redis that cannot answer follows comment_moderation_redis_failure.

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

my $T = CMTest::scaled(0.3);
my $timeout = 'timeout=' . int($T * 1000) . 'ms';

(my $conf = <<'END') =~ s/%%REDIS%%/$redis/g;
    comment_moderation_redis 127.0.0.1:%%REDIS%% prefix=d1: %%TIMEOUT%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;
        comment_moderation on;
        comment_moderation_duplicates window=10m threshold=3 score=5;

        location / {
            %%PROXY%%
        }

        location /strict/ {
            comment_moderation_duplicates window=11m threshold=2 score=10
                                          min_length=30 id=77;
            %%PROXY%%
        }

        location /exact/ {
            comment_moderation_duplicates window=12m threshold=2 score=5
                                          near=off;
            %%PROXY%%
        }

        location /brief/ {
            comment_moderation_duplicates window=1s threshold=2 score=5;
            %%PROXY%%
        }

        location /closed/ {
            comment_moderation_redis_failure closed;
            %%PROXY%%
        }

        location /detect/ {
            comment_moderation_mode detect;
            comment_moderation_duplicates window=13m threshold=2 score=10;
            %%PROXY%%
        }

        location /off/ {
            comment_moderation_duplicates off;
            %%PROXY%%
        }

        location /timed/ {
            comment_moderation_duplicates window=9m threshold=2 score=1;
            add_header X-Time $comment_moderation_time always;
            add_header X-Tags $comment_moderation_tags always;
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


sub post {
    my ($t, $uri, $text, %h) = @_;
    my $t0 = time;
    my ($s, $hd, $body) = CMTest::parse_response($t->http_post($uri,
        'comment=' . uri($text),
        'Content-Type' => 'application/x-www-form-urlencoded', %h));
    return ($s, $hd, $body, time - $t0);
}

sub uri {
    my ($s) = @_;
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
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


# exact copies, re-styled, across both machines

my $text = 'Mantap sekali kontennya bang, sehat selalu buat keluarga';
my ($s, $h);

($s, $h) = post($a, '/', $text);
is($s, 200, 'A: the first post passes');
is($h->{'x-rules'} // '', '', 'no rule for it');

($s, $h) = post($b, '/', $text);
is($h->{'x-decision'}, 'pass', 'B: the second copy passes (threshold 3)');

my $mark = $a->log_mark;
($s, $h) = post($a, '/', "MANTAP sekali,  kontennya BANG!!! \x{1F602} "
                          . "sehat selalu buat keluarga...");
is($h->{'x-decision'}, 'hold', 'A: the third, re-styled copy is held');
is($h->{'x-score'}, 5, 'with the score of the duplicates');
is($h->{'x-rules'}, '9001', '$comment_moderation_rules names the default id');
is($h->{'x-backend-rules'}, '9001', 'and the backend is told');
like($a->wait_log($mark, qr/decision=hold/),
     qr/decision=hold score=5 rules=9001 field=comment mode=enforce/,
     'the log line names it as a rule');

# styled letters: U+1D5E0... "𝗠𝗮𝗻𝘁𝗮𝗽" reads "mantap"
($s, $h) = post($b, '/', "\x{1D5E0}\x{1D5EE}\x{1D5FB}\x{1D601}\x{1D5EE}"
                          . "\x{1D5FD} sekali kontennya bang sehat selalu "
                          . 'buat keluarga');
is($h->{'x-rules'}, '9001', 'B: a copy in styled letters counts too');

($s, $h) = post($a, '/', "casino $text");
is($h->{'x-rules'}, '1,9001', 'with a rule: both ids, the rule first');
is($h->{'x-score'}, 8, 'their scores add up');

my $m = metrics($a);
is($m->{'comment_moderation_rule_hits_total{rule="9001"}'}, 2,
   "A's status counts the duplicates' id as a rule hit");
is($m->{comment_moderation_duplicates_total}, 2,
   'and the posts counted as copies');
is($m->{'comment_moderation_tag_total{tag="duplicate",decision="hold"}'}, 2,
   'and the tag "duplicate", by decision');


# near copies: another site name, a word changed

my $near = 'Seperti biasa sehat selalu kang semangat ngonten dan '
         . 'dilancarkan segala urusannya salam dari ';

($s, $h) = post($a, '/', $near . 'VISI4D');
is($h->{'x-decision'}, 'pass', 'near: the first passes');
($s, $h) = post($b, '/', $near . 'WETON88');
is($h->{'x-decision'}, 'pass', 'near: another site name is a second copy');
($s, $h) = post($a, '/', $near . 'SGI88 bang');
is($h->{'x-rules'}, '9001', 'near: the third is counted as a copy');

($s) = post($a, '/exact/', $near . 'ALEXIS17');
is($s, 200, 'near=off: a first copy');
($s, $h) = post($b, '/exact/', $near . 'GARUDA99');
is($h->{'x-rules'} // '', '', 'near=off: a near copy is not counted');
($s, $h) = post($b, '/exact/', $near . 'alexis 17 !!');
is($h->{'x-rules'}, '9001', 'near=off: an exact copy is');


# short, common comments never count

for my $short ('mantap', 'terima kasih', 'Sehat selalu bang') {
    my @d = map { (post($_ % 2 ? $a : $b, '/', $short))[1]{'x-decision'} }
            1 .. 4;
    is(join(',', @d), 'pass,pass,pass,pass',
       "\"$short\" four times: shorter than min_length, never counted");
}

my $long = 'Komentar ini cukup panjang untuk dihitung';   # 35 letters
($s) = post($a, '/strict/', $long);
($s, $h) = post($a, '/strict/', $long);
is($s, 403, 'min_length=30: 35 letters are counted (threshold 2)');
($s, $h) = post($a, '/strict/', 'Panjangnya dua puluh lima huruf');
($s, $h) = post($a, '/strict/', 'Panjangnya dua puluh lima huruf');
is($s, 200, 'min_length=30: 27 letters are not');


# a score that rejects; JSON

my $flood = 'Gabung sekarang juga di grup kami, dijamin untung setiap hari';
($s) = post($a, '/strict/', $flood);
is($s, 200, 'strict: the first passes');
my $body;
($s, $h, $body) = post($b, '/strict/', $flood, Accept => 'application/json');
is($s, 403, 'strict: the second copy is rejected (score 10)');
like($body, qr/"decision":"reject","score":10/, 'JSON answer');
is($h->{'x-rules'}, '77', 'with the configured id');
ok(!defined $h->{'x-backend-method'}, 'it never reached the backend');

($s, $h) = post($a, '/detect/', $flood . ' lagi');
($s, $h) = post($b, '/detect/', $flood . ' lagi');
is($s, 200, 'detect mode: a copy that would be rejected passes');
is($h->{'x-decision'}, 'reject', 'as a reject not enforced');

for (1 .. 3) { ($s, $h) = post($a, '/off/', $flood) }
is($h->{'x-rules'} // '', '', 'comment_moderation_duplicates off');

my $timed = 'Komentar ini dihitung dan diukur waktunya oleh modul';
($s, $h) = post($a, '/timed/', $timed);
is($h->{'x-tags'} // '', '', 'no tag for a first copy');
like($h->{'x-time'}, qr/^\d+\.\d{3}$/, '$comment_moderation_time is set');
($s, $h) = post($b, '/timed/', $timed);
is($h->{'x-tags'}, 'duplicate', '$comment_moderation_tags names a copy');
is($h->{'x-decision'}, 'pass', 'score=1 passes it');


# what Redis keeps: hashes, counters that expire, no text

my $keys = CMRedis::command($redis, 'KEYS', 'd1:dup:*');
ok(@$keys > 0, 'counters under the prefix');
is(scalar(grep { !/^d1:dup:[0-9a-f]{8}:(x|\d+):[0-9a-f]{16}$/ } @$keys), 0,
   'every key is a hash, no comment text');
my $pttl = CMRedis::command($redis, 'PTTL', $keys->[0]);
ok($pttl > 0 && $pttl <= 13 * 60000, "each expires ($pttl ms)");


# the window

my $brief = 'Pesan singkat yang dikirim dua kali berturut';
my %before = map { $_ => 1 } @{ CMRedis::command($redis, 'KEYS', 'd1:dup:*') };
post($a, '/brief/', $brief);
my @brief = grep { !$before{$_} }
            @{ CMRedis::command($redis, 'KEYS', 'd1:dup:*') };
($s, $h) = post($a, '/brief/', $brief);
is($h->{'x-rules'}, '9001', 'window=1s: a copy within the window counts');
is(scalar @brief, 13, 'one text: its exact hash and 12 bands');
ok(CMTest::wait_for(sub {
       !grep { CMRedis::command($redis, 'EXISTS', $_) } @brief }, 5),
   'window=1s: its counters expire');
($s, $h) = post($a, '/brief/', $brief);
is($h->{'x-rules'} // '', '', 'after the window the count starts again');


# timing: one Redis round trip more

my $t0 = time;
post($a, '/', "Komentar berbeda nomor $_ untuk mengukur waktu") for 1 .. 20;
my $per = (time - $t0) / 20;
ok($per < CMTest::scaled(0.05),
   sprintf('a counted post answers fast (%.1f ms)', $per * 1000));


# Redis down: open passes uncounted, closed answers 503, a reject stays

$mark = $a->log_mark;
CMRedis::stop_server($rpid, 'KILL');

my $el;
($s, $h, undef, $el) = post($a, '/', $text);
is($s, 200, 'down: the post passes (failure open)');
is($h->{'x-rules'} // '', '', 'uncounted');
ok($el < $T, sprintf('without waiting for a timeout (%.0f ms)', $el * 1000));

($s) = post($a, '/closed/', $text);
is($s, 503, 'down: failure closed answers 503');
($s) = post($a, '/closed/', 'judi online judi online judi online');
is($s, 403, 'down: a post the rules reject is still rejected');
($s) = post($a, '/closed/', 'mantap');
is($s, 200, 'down: a short comment, never counted, passes');

$m = metrics($a);
ok($m->{comment_moderation_redis_failures_total} >= 3,
   'the failures are counted');

# paused: the post waits the timeout at most; a client that leaves
$rpid = CMRedis::start_server($a->dir, $redis);
ok(CMTest::wait_for(sub {
       post($a, '/', "Redis kembali hidup, hitung lagi komentar ini $_")
           for 1 .. 2;
       my $k = CMRedis::command($redis, 'KEYS', 'd1:dup:*');
       return @$k > 0;
   }, 12), 'Redis back: counting starts again without a reload');

kill 'STOP', $rpid;
my $gone = CMRedis::post_start($a->port, '/', 'comment=' . uri($text));
sleep 0.05;
close $gone;
my $t1 = time;
($s) = post($a, '/closed/', $text);
my $waited = time - $t1;
is($s, 503, 'paused: failure closed answers 503');
ok($waited >= 0.8 * $T && $waited < 2 * $T,
   sprintf('after the timeout (%.0f ms)', $waited * 1000));
kill 'CONT', $rpid;

# the inspection time is the engine's: a post that waited for Redis the
# whole timeout was inspected in far less

my $probe = 0;
ok(CMTest::wait_for(sub {
       my $t = 'Komentar percobaan nomor ' . $probe++
             . ' untuk menunggu Redis kembali';
       post($a, '/strict/', $t);
       return (post($a, '/strict/', $t))[0] == 403;
   }, 12), 'Redis counts again');

kill 'STOP', $rpid;
$t1 = time;
($s, $h) = post($a, '/timed/', "$timed, sekali lagi");
$waited = time - $t1;
kill 'CONT', $rpid;
is($s, 200, 'paused: failure open passes after the timeout');
ok($waited >= 0.8 * $T, sprintf('waited (%.0f ms)', $waited * 1000));
ok(defined $h->{'x-time'} && $h->{'x-time'} < $T * 1000 / 2,
   sprintf('$comment_moderation_time leaves the wait for Redis out '
           . '(%s ms)', $h->{'x-time'} // '-'));


# reload and shutdown with a live connection

ok($a->reload, 'reload');
ok(CMTest::wait_for(sub {
       (post($a, '/strict/', $flood))[0] == 403 }, 5),
   'copies counted before the reload still count');

$a->stop;
$b->stop;
unlike($a->error_log, qr/open socket/, 'no socket left open at exit');

done_testing;
