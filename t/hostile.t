#!/usr/bin/perl

# Hostile traffic: bodies built to hurt the parsers (deep JSON, a megabyte
# of multipart parts, invalid UTF-8), and clients that misbehave on the
# wire (pipelined requests cut into small packets, a close in the middle
# of the body, HTTP/1.0 without a length), requests in flight across a
# reload, and a Redis killed or stopped under a flood of limited posts.
# Every answer must be sane and error.log free of alerts; "./build.sh
# asan" runs this with the module under AddressSanitizer.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Test::More;
use Time::HiRes qw(sleep time);
use CMTest;
use CMRedis;

my $t = CMTest->new;
my $redis = -x '/usr/bin/redis-server' ? CMTest::free_port() : undef;
my $h2port = CMTest::free_port();
my $rpid;

my $conf = <<'END';
    client_max_body_size 4m;
    comment_moderation_rules %%RULES%%/basic.rules;
    %%REDISCONF%%

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation on;

        location / {
            client_body_buffer_size 16k;
            %%PROXY%%
        }

        location /mem/ {
            client_body_buffer_size 4m;
            %%PROXY%%
        }

        location /big/ {
            client_max_body_size 16m;
            client_body_buffer_size 16m;
            %%PROXY%%
        }

        location /limited/ {
            %%LIMIT%%
            %%PROXY%%
        }

        location /static/ {
            comment_moderation off;
            return 200 "ok\n";
        }
    }

    server {
        listen 127.0.0.1:%%H2PORT%% http2;
        server_name localhost;

        location / {
            comment_moderation on;
            client_body_buffer_size 8k;
            %%PROXY%%
        }
    }
END

$conf =~ s/%%H2PORT%%/$h2port/g;

if ($redis) {
    my $ms = int(CMTest::scaled(200));
    $conf =~ s/%%REDISCONF%%/comment_moderation_redis 127.0.0.1:$redis
                              timeout=${ms}ms;/;
    $conf =~ s/%%LIMIT%%/comment_moderation_limit key=\$arg_u rate=100000r\/s;/;
    $rpid = CMRedis::start_server($t->dir, $redis);

} else {
    $conf =~ s/%%REDISCONF%%//;
    $conf =~ s/%%LIMIT%%//;
}

$t->write_config($conf)->run;

my $FORM = 'application/x-www-form-urlencoded';
my $JSON = 'application/json';


sub post {
    my ($uri, $body, $ct, %headers) = @_;
    $headers{'Content-Type'} = $ct if defined $ct;
    my ($status, $h) = CMTest::parse_response(
        $t->http_post($uri, $body, %headers));
    return ($status, $h->{'x-decision'} // '', $h->{'x-backend-length'});
}

sub connect_nginx {
    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => $t->port, Proto => 'tcp',
        Timeout => 5,
    ) or die "cannot connect: $!\n";
    binmode $s;
    setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
    return $s;
}

# writes the pieces with a pause between them, so that each is a packet
sub send_pieces {
    my ($s, $pause, @pieces) = @_;
    for my $p (@pieces) {
        my $off = 0;
        while ($off < length $p) {
            my $n = syswrite $s, $p, length($p) - $off, $off;
            return 0 unless defined $n;
            $off += $n;
        }
        sleep $pause if $pause;
    }
    return 1;
}

# requests that got a status in the access log
sub logged {
    my ($status) = @_;
    return scalar(() = $t->read_file('access.log') =~ /" $status /g);
}

# a worker started since these were
sub new_workers {
    my %old = map { $_ => 1 } @_;
    return CMTest::wait_for(sub { grep { !$old{$_} } $t->worker_pids });
}

sub still_serving {
    my ($name) = @_;
    my ($status) = CMTest::parse_response($t->http_get('/static/'));
    is($status, 200, "$name: nginx still serves");
}

sub req {
    my ($uri, $body, %h) = @_;
    my $r = "POST $uri HTTP/1.1\r\nHost: localhost\r\n"
        . 'Content-Length: ' . length($body) . "\r\n";
    $r .= "$_: $h{$_}\r\n" for sort keys %h;
    return $r . "\r\n" . $body;
}


# deep JSON: the parser stops at its depth limit, the raw body is still
# inspected

{
    my $n = 200000;
    my $deep = ('[' x $n) . '"judi online"' . (']' x $n);
    my ($s, $d) = post('/', $deep, $JSON);
    is($s, 403, 'JSON nested 200000 deep: rejected, raw body inspected');

    $deep = ('{"a":' x 50000) . '"casino"' . ('}' x 50000);
    ($s, $d) = post('/mem/', $deep, $JSON);
    is($s, 200, 'objects nested 50000 deep: answered');
    is($d, 'pass', 'objects nested 50000 deep: casino alone passes');

    # just under the limit, with long keys: names of ~63 KB each
    my $key = 'k' x 1000;
    my $ok = ('{"' . $key . '":' ) x 63 . '"judi online"' . ('}' x 63);
    ($s, $d) = post('/mem/', $ok, $JSON);
    is($s, 403, 'JSON 63 deep with 1000-byte keys: rejected');

    # many members under a long path: the name budget runs out
    my $wide = ('{"' . $key . '":') x 60 . '['
        . join(',', ('"x"') x 20000) . ',"judi online"]' . ('}' x 60);
    ($s, $d) = post('/', $wide, $JSON);
    is($s, 403, 'JSON array of 20000 under a long path: rejected');

    my $members = '{' . join(',', map { "\"$key$_\":\"x\"" } 1 .. 3000)
        . ',"z":"judi online"}';
    ($s, $d) = post('/', $members, $JSON);
    is($s, 403, 'JSON object of 3000 long keys: rejected');

    ($s) = post('/', '[' x 100000, $JSON);
    is($s, 200, 'unterminated deep JSON: answered');

    ($s) = post('/', '{"a":"\\ud800\\udbff\\u0000\\uDC00' . ('\\u' x 3), $JSON);
    is($s, 200, 'JSON with broken escapes at the end: answered');
}


# a megabyte of multipart, thousands of parts, in a temp file and in memory

{
    my $b = 'xYzBoUnDaRy';
    my $body = '';
    for my $i (1 .. 8000) {
        $body .= "--$b\r\nContent-Disposition: form-data; name=\"f$i\"\r\n"
            . "\r\n" . ('halo ' x 20) . "\r\n";
    }
    my $clean = $body . "--$b--\r\n";
    my $spam = $body . "--$b\r\nContent-Disposition: form-data; "
        . "name=\"komentar\"\r\n\r\njudi online\r\n--$b--\r\n";

    ok(length($spam) > 1000000, 'multipart body is over 1 MB');

    my ($s, $d, $len) = post('/', $clean, "multipart/form-data; boundary=$b");
    is($s, 200, '8000 parts in a temp file: passed');
    is($len, length $clean, '8000 parts: backend got every byte');

    ($s) = post('/', $spam, "multipart/form-data; boundary=$b");
    is($s, 403, '8000 parts, spam in the last: rejected');

    ($s) = post('/mem/', $spam, "multipart/form-data; boundary=$b");
    is($s, 403, '8000 parts in memory, spam in the last: rejected');

    # tiny parts, no closing boundary: inspected raw
    my $tiny = ("--$b\r\n\r\nx\r\n") x 60000 . "--$b\r\n\r\njudi online";
    ($s) = post('/', $tiny, "multipart/form-data; boundary=$b");
    is($s, 403, '60000 empty-header parts, unterminated: rejected');

    # headers that never end, folded Content-Disposition, odd params
    my $odd = "--$b\r\nContent-Disposition: form-data;\r\n name=\"a\\\"b\";"
        . " filename\r\n\r\njudi online\r\n--$b\r\n"
        . 'Content-Disposition: form-data; name="' . ('n' x 100000)
        . "\r\n\r\nx\r\n--$b--\r\n";
    ($s) = post('/', $odd, "multipart/form-data; boundary=$b");
    ok(defined $s && ($s == 200 || $s == 403), 'odd part headers: answered');

    my $long = 'b' x 5000;
    ($s) = post('/', "--$long\r\n\r\njudi online\r\n--$long--\r\n",
                "multipart/form-data; boundary=\"$long\"");
    is($s, 403, '5000-byte boundary: rejected');

    ($s) = post('/', "--$b\r\n" . ("Header: x\r\n" x 20000),
                "multipart/form-data; boundary=$b");
    is($s, 200, 'part headers without an end: answered');
}


# The time a body takes grows with its size and its number of fields,
# not with their square.  Fields over 1 KB need blocks of their own in
# the pool (as every block does under ASan), and freeing them one by one
# searched all of them.  Each time is the fastest of three posts answered
# 403 by the module (no backend).

{
    my $b = 'xYzBoUnDaRy';
    my $MP = "multipart/form-data; boundary=$b";

    my $fastest = sub {
        my ($body, $ct) = @_;
        my ($best, $status) = (1e9);
        for (1 .. 3) {
            my $t0 = time;
            ($status) = post('/big/', $body, $ct);
            $best = time - $t0 if time - $t0 < $best;
        }
        return ($best, $status);
    };

    # the same 8.8 MB of text in 8000 fields, and in 1000
    my $form = sub {
        my ($n, $len) = @_;
        return join('&', map { "f$_=" . ('a' x $len) } 1 .. $n)
            . '&k=judi+online';
    };

    my ($many, $s1) = $fastest->($form->(8000, 1100), $FORM);
    my ($few, $s2) = $fastest->($form->(1000, 8800), $FORM);
    is("$s1,$s2", '403,403', '8000 and 1000 form fields: rejected');
    ok($many < 3 * $few + CMTest::scaled(0.05),
       sprintf('8000 fields of 1100 bytes take %.1f times as long as 1000 '
               . 'of 8800 (%.0f ms)', $many / $few, $many * 1000));

    # 8 times as many empty-header parts, 8 times the time or so
    my $parts = sub {
        return ("--$b\r\n\r\nx\r\n") x $_[0] . "--$b\r\n\r\njudi online";
    };

    ($many, $s1) = $fastest->($parts->(64000), $MP);
    ($few, $s2) = $fastest->($parts->(8000), $MP);
    is("$s1,$s2", '403,403', '64000 and 8000 multipart parts: rejected');
    ok($many < 20 * $few + CMTest::scaled(0.05),
       sprintf('64000 parts take %.1f times as long as 8000 (%.0f ms)',
               $many / $few, $many * 1000));
}


# invalid UTF-8, NUL bytes and other junk in every body type

{
    my $junk = join '', map { chr } 0x80 .. 0xff, 0 .. 0x1f;
    my $bad = "judi \xff\xfe\xc0\xafonline\xed\xa0\x80\xf4\x90\x80\x80"
        . "\xe2\x82" . $junk x 100 . "\xf0\x9f";

    my ($s) = post('/', "komentar=$bad", $FORM);
    is($s, 403, 'form: invalid UTF-8 dropped, rejected');

    ($s) = post('/', $bad, 'text/plain');
    is($s, 403, 'raw: invalid UTF-8 dropped, rejected');

    ($s) = post('/', "{\"k\":\"$bad\"}", $JSON);
    is($s, 403, 'JSON: invalid UTF-8 in a string, rejected');

    ($s) = post('/', "\xff\xfe{\"k\":\"judi online\"}", $JSON);
    is($s, 403, 'JSON after a byte-order junk: rejected raw');

    ($s) = post('/', "--b\r\n\r\n$bad\r\n--b--\r\n",
                'multipart/form-data; boundary=b');
    is($s, 403, 'multipart: invalid UTF-8, rejected');

    my $rand = '';
    srand(42);
    $rand .= chr(int rand 256) for 1 .. 300000;
    ($s) = post('/', $rand, $FORM);
    ok(defined $s && ($s == 200 || $s == 403),
       '300 KB of random bytes: answered');

    ($s) = post('/', '%' x 1000 . '%4' . '&#' . '&#x' . '&' . ('&amp' x 1000)
                . '&#99999999999999999999;&#x', $FORM);
    is($s, 200, 'broken escapes and entities at the end: answered');

    ($s) = post('/', "komentar=\x{e2}\x{80}\x{8b}judi online", $FORM,
                'Content-Type' => "$FORM\xff\xfe");
    ok(defined $s, 'junk in the Content-Type: answered');
}


# pipelined requests, cut into small packets at awkward places

{
    my $pipe = req('/', 'komentar=halo', 'Content-Type' => $FORM)
        . req('/', 'komentar=judi+online', 'Content-Type' => $FORM)
        . "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: $FORM\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n"
        . "5\r\nkomen\r\n6\r\ntar=to\r\n3\r\ngel\r\n0\r\n\r\n"
        . "GET /static/ HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";

    for my $size (1, 7, 64, length $pipe) {
        my $s = connect_nginx();
        my @pieces = unpack("(a$size)*", $pipe);
        send_pieces($s, $size < 10 ? 0.001 : 0.01, @pieces);
        my @r = CMTest::parse_responses(CMTest::read_to_eof($s));

        is(scalar @r, 4, "pipelined in $size-byte packets: 4 answers");
        is(join(',', map { $_->[0] // '-' } @r), '200,403,200,200',
           "pipelined in $size-byte packets: statuses");
        is(join(',', map { $_->[1]{'x-decision'} // '-' } @r[0, 2]),
           'pass,hold', "pipelined in $size-byte packets: decisions");
    }
}


# clients that close in the middle of the body

{
    my $before = logged(400);

    for my $case (['/', 200000, 50000], ['/', 200000, 1], ['/mem/', 2000000,
                  1500000], ['/', 100, 0])
    {
        my ($uri, $cl, $sent) = @$case;
        my $s = connect_nginx();
        send_pieces($s, 0.05,
                    "POST $uri HTTP/1.1\r\nHost: localhost\r\n"
                    . "Content-Type: $FORM\r\nContent-Length: $cl\r\n\r\n",
                    'komentar=' . ('a' x $sent));
        close $s;
    }

    my $s = connect_nginx();
    send_pieces($s, 0.05, "POST / HTTP/1.1\r\nHost: localhost\r\n"
                . "Content-Type: $FORM\r\nTransfer-Encoding: chunked\r\n\r\n",
                "100\r\n" . ('a' x 100), "ff");
    close $s;

    # half-closed: the client is done writing but still reads
    $s = connect_nginx();
    send_pieces($s, 0, "POST / HTTP/1.1\r\nHost: localhost\r\n"
                . "Content-Type: $FORM\r\nContent-Length: 1000\r\n\r\n"
                . 'komentar=judi+online');
    shutdown $s, 1;
    my $resp = CMTest::read_to_eof($s, 5);
    like($resp, qr{^(HTTP/1\.1 400|)}, 'half-closed mid-body: 400 or nothing');

    ok(CMTest::wait_for(sub { logged(400) >= $before + 6 }),
       'the six bodies cut short are done with (400)');
    still_serving('after closes mid-body');
    my ($st) = post('/', 'komentar=judi+online', $FORM);
    is($st, 403, 'after closes mid-body: still moderating');
}


# HTTP/1.0 without Content-Length, and other old or odd framing

{
    my $s = connect_nginx();
    send_pieces($s, 0.05, "POST / HTTP/1.0\r\nContent-Type: $FORM\r\n\r\n",
                'komentar=judi+online');
    shutdown $s, 1;
    my ($status, $h) = CMTest::parse_response(CMTest::read_to_eof($s));
    ok(defined $status && $status =~ /^(200|400|411)$/,
       "HTTP/1.0 POST without a length: $status");
    is($h->{'x-backend-length'}, 0, 'HTTP/1.0 without a length: empty body')
        if defined $status && $status == 200;

    $s = connect_nginx();
    send_pieces($s, 0, "POST / HTTP/1.0\r\nContent-Type: $FORM\r\n"
                . "Content-Length: 20\r\n\r\nkomentar=judi+online");
    ($status) = CMTest::parse_response(CMTest::read_to_eof($s));
    is($status, 403, 'HTTP/1.0 with a length: rejected');

    $s = connect_nginx();
    send_pieces($s, 0, "POST / HTTP/1.1\r\nHost: localhost\r\n"
                . "Content-Type: $FORM\r\nConnection: close\r\n"
                . "Transfer-Encoding: chunked\r\n\r\n"
                . join('', map { "1;ext=$_\r\nx\r\n" } 1 .. 5000)
                . "b\r\n&k=judi+onl\r\n3\r\nine\r\n0\r\nTrailer: x\r\n\r\n");
    ($status) = CMTest::parse_response(CMTest::read_to_eof($s));
    is($status, 403, '5000 one-byte chunks with extensions: rejected');

    $s = connect_nginx();
    send_pieces($s, 0, "POST / HTTP/1.1\r\nHost: localhost\r\n"
                . "Content-Type: $FORM\r\nConnection: close\r\n"
                . "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhalo!!");
    ($status) = CMTest::parse_response(CMTest::read_to_eof($s));
    is($status, 400, 'two Content-Length headers: 400');

    ($status) = CMTest::parse_response($t->http_post('/', 'x' x 5000000,
                                                      'Content-Type' => $FORM));
    is($status, 413, 'body over client_max_body_size: 413');
}


# HTTP/2: bodies come in DATA frames, through nginx's other body reader

SKIP: {
    skip 'curl is not installed', 3 unless -x '/usr/bin/curl';

    my $f = $t->write_file('h2body', 'komentar=' . ('halo+' x 20000)
                           . 'judi+online');
    my @curl = ('/usr/bin/curl', '-s', '-o', '/dev/null', '-w',
                '%{http_code} %{http_version}', '--http2-prior-knowledge',
                '-H', "Content-Type: $FORM");

    my ($rc, $out) = CMTest::run_cmd(@curl, '--data-binary', "\@$f",
                                     "http://127.0.0.1:$h2port/");
    is($out, '403 2', 'HTTP/2, 100 KB body: rejected');

    ($rc, $out) = CMTest::run_cmd(@curl, '--data-binary', 'komentar=halo',
                                  "http://127.0.0.1:$h2port/");
    is($out, '200 2', 'HTTP/2, small body: passed');

    ($rc, $out) = CMTest::run_cmd(@curl, '-H', 'Transfer-Encoding: chunked',
                                  '--data-binary', "\@$f",
                                  "http://127.0.0.1:$h2port/");
    is($out, '403 2', 'HTTP/2 without a length: rejected');
}


# requests in flight across reloads

{
    my (@socks, @want);

    for my $round (1 .. 3) {
        for my $i (1 .. 8) {
            my $s = connect_nginx();
            my $spam = $i % 2;
            my $body = $spam ? 'komentar=judi+online' : 'komentar=halo';
            my $uri = $i % 3 ? '/' : '/mem/';
            my $head = "POST $uri HTTP/1.1\r\nHost: localhost\r\n"
                . "Connection: close\r\nContent-Type: $FORM\r\n"
                . 'Content-Length: ' . (length($body) + 30000) . "\r\n\r\n";
            send_pieces($s, 0, $head, 'x=' . ('a' x 19997));
            push @socks, [$s, 'y=' . ('b' x 9998) . "&$body"];
            push @want, $spam ? 403 : 200;
        }

        my @before = $t->worker_pids;

        if ($round == 2) {
            my ($rc, $out) = $t->signal_cmd('reload');
            is($rc, 0, 'nginx -s reload with requests in flight');
        } else {
            kill 'HUP', $t->master_pid;
        }

        ok(new_workers(@before), "reload $round: new workers");
    }

    # a fresh request while old workers drain
    my ($st) = post('/', 'komentar=judi+online', $FORM);
    is($st, 403, 'a new request during the reloads: rejected');

    send_pieces($_->[0], 0, $_->[1]) for @socks;

    my @got = map {
        my ($status) = CMTest::parse_response(CMTest::read_to_eof($_->[0]));
        $status // '-';
    } @socks;

    is(join(',', @got), join(',', @want),
       'requests begun before three reloads: answered by old workers');

    my @w;
    CMTest::wait_for(sub { (@w = $t->worker_pids) == 1 });
    is(scalar @w, 1, 'old workers gone after the reloads');
    still_serving('after reloads');
}


# Redis killed, or stopped, under a flood of limited posts

SKIP: {
    skip 'redis-server is not installed', 8 unless $redis;

    my $flood = sub {
        my ($n, $uri) = @_;
        return map {
            my $s = connect_nginx();
            send_pieces($s, 0, req("$uri?u=$_", $_ % 2 ? 'komentar=halo'
                                   : 'komentar=judi+online',
                                   'Content-Type' => $FORM,
                                   'Connection' => 'close'));
            $s;
        } 1 .. $n;
    };

    my $collect = sub {
        return join ',', map {
            my ($status) = CMTest::parse_response(CMTest::read_to_eof($_, 5));
            $status // '-';
        } @_;
    };

    my $want = join ',', map { $_ % 2 ? 200 : 403 } 1 .. 20;

    # until the worker has its connection and the script: a post leaves
    # a key in an empty Redis
    my $connected = sub {
        return CMTest::wait_for(sub {
            $collect->($flood->(1, '/limited/'));
            return (eval { CMRedis::command($redis, 'DBSIZE') } // 0) > 0;
        });
    };

    $connected->();

    my $pid = $rpid;

    for my $round (1 .. 3) {
        my @s = $flood->(20, '/limited/');
        CMRedis::stop_server($pid, 'KILL');
        is($collect->(@s), $want, "redis killed under a flood ($round)");
        $pid = CMRedis::start_server($t->dir, $redis);
        $connected->();
    }

    kill 'STOP', $pid;
    my @s = $flood->(20, '/limited/');
    is($collect->(@s), $want, 'redis stopped under a flood: timed out, open');
    @s = $flood->(20, '/limited/');
    kill 'CONT', $pid;
    is($collect->(@s), $want, 'redis resumed under a flood');

    # a reload while posts wait for Redis
    kill 'STOP', $pid;
    @s = $flood->(10, '/limited/');
    my @before = $t->worker_pids;
    kill 'HUP', $t->master_pid;
    new_workers(@before);
    kill 'CONT', $pid;
    is($collect->(@s), join(',', map { $_ % 2 ? 200 : 403 } 1 .. 10),
       'reload while posts wait for redis');

    # the flood goes on while Redis is killed for good
    @s = $flood->(20, '/limited/');
    CMRedis::stop_server($pid, 'KILL');
    is($collect->(@s), $want, 'redis killed for good under a flood');
    @s = $flood->(20, '/limited/');
    is($collect->(@s), $want, 'no redis at all: posts go through');
}

$t->done_testing;
