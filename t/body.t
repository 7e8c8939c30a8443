#!/usr/bin/perl

# Request bodies: urlencoded decoding, multipart (binary file parts not
# scanned), JSON, raw types; bodies in temp files and chunked bodies;
# malformed bodies; and the body reaching the backend byte for byte as
# sent.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Select;
use IO::Socket::INET;
use Test::More;
use CMTest;

my $t = CMTest->new;

$t->write_config(<<'END');
    client_max_body_size 1m;
    comment_moderation_rules %%RULES%%/basic.rules;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location / {
            comment_moderation on;
            client_body_buffer_size 1k;
            %%PROXY%%
        }

        location /mem/ {
            comment_moderation on;
            client_body_buffer_size 64k;
            %%PROXY%%
        }

        location /small/ {
            comment_moderation on;
            client_max_body_size 1k;
            %%PROXY%%
        }

        location /unbuffered/ {
            comment_moderation on;
            client_body_buffer_size 1k;
            proxy_request_buffering off;
            %%PROXY%%
        }

        location /slow/ {
            comment_moderation on;
            client_body_timeout 1s;
            %%PROXY%%
        }

        location /file/ {
            comment_moderation on;
            client_body_in_file_only clean;
            %%PROXY%%
        }
    }
END

$t->run;

my $FORM = 'application/x-www-form-urlencoded';
my $JSON = 'application/json';


sub post {
    my ($uri, $body, $ct, %headers) = @_;
    $headers{'Content-Type'} = $ct if defined $ct;
    my ($status, $h, $b) = CMTest::parse_response(
        $t->http_post($uri, $body, %headers));
    return { status => $status, h => $h, body => $b };
}

sub chunked {
    my ($uri, $chunks, $ct) = @_;
    my ($status, $h, $b) = CMTest::parse_response(
        $t->http_post_chunked($uri, $chunks, 'Content-Type' => $ct));
    return { status => $status, h => $h, body => $b };
}

# a decision that let the request through: the backend got exactly $sent
sub passed {
    my ($r, $sent, $decision, $score, $name) = @_;

    subtest $name => sub {
        is($r->{status}, 200, 'status 200');
        is($r->{h}{'x-decision'}, $decision, "decision $decision");
        is($r->{h}{'x-score'}, $score, "score $score");
        is($r->{h}{'x-backend-method'}, 'POST', 'reached the backend');
        is($r->{h}{'x-backend-length'}, length $sent,
           'backend got as many bytes as sent');
        ok(defined $r->{body} && $r->{body} eq $sent,
           'backend got the body byte for byte')
            or diag(sprintf "sent %d bytes, echoed %d", length $sent,
                            length($r->{body} // ''));
    };
}

sub rejected {
    my ($r, $score, $name) = @_;

    subtest $name => sub {
        is($r->{status}, 403, 'status 403');
        is($r->{h}{'x-decision'}, 'reject', 'decision reject');
        is($r->{h}{'x-score'}, $score, "score $score");
        ok(!defined $r->{h}{'x-backend-method'}, 'backend not reached');
    };
}

sub warned_since {
    my ($mark) = @_;
    my $log = $t->wait_log($mark, qr/\[warn\]/, 1);
    return grep { /\[warn\]/ && !/buffered to a temporary file/ }
        split /\n/, $log;
}


# urlencoded

my $b = 'comment=slot+gacor';
passed(post('/', $b, $FORM), $b, 'hold', 6, "form: '+' decoded as a space");

$b = 'comment=%73lot%20%67acor';
passed(post('/', $b, $FORM), $b, 'hold', 6, 'form: %XX decoded');

$b = 'comment=%73LOT%2fx%2Fx+%47ACOR';
passed(post('/', $b, $FORM), $b, 'pass', 0,
       'form: decoded text that does not match passes');

rejected(post('/', 'comment=%6Audi%20%6Fnline', $FORM), 12,
         'form: upper case hex digits');

rejected(post('/', 'comment=%zz+judi+online+%', $FORM), 12,
         'form: malformed escapes do not stop decoding');

$b = 'comment=hello%zz%4&x=%&y=%%%0&%=%=';
passed(post('/', $b, $FORM), $b, 'pass', 0,
       'form: malformed escapes pass through unchanged');

$b = 'comment=slot+gacor';
passed(post('/', $b, "$FORM; charset=UTF-8"), $b, 'hold', 6,
       'form: Content-Type with parameters');

$b = 'comment=judi&title=online';
passed(post('/', $b, $FORM), $b, 'pass', 0,
       'form: fields are matched one by one, not joined');


# multipart

my $bd = '----cmtestBOUNDARY42';
my $MP = "multipart/form-data; boundary=$bd";

sub multipart {
    my (@parts) = @_;
    my $s = '';
    for my $p (@parts) {
        my ($name, $value, $filename) = @$p;
        $s .= "--$bd\r\nContent-Disposition: form-data; name=\"$name\"";
        $s .= "; filename=\"$filename\"\r\n"
             . "Content-Type: application/octet-stream"
            if defined $filename;
        $s .= "\r\n\r\n$value\r\n";
    }
    return $s . "--$bd--\r\n";
}

$b = multipart(['author', 'budi'], ['comment', 'main slot gacor'],
               ['upload', "judi online\njudi online\n", 'spam.txt']);
passed(post('/', $b, $MP), $b, 'hold', 6,
       'multipart: text part counts, file part does not');

$b = multipart(['author', 'budi'],
               ['upload', "judi online \x00\xff\xfe binary", 'a.bin']);
passed(post('/', $b, $MP), $b, 'pass', 0,
       'multipart: spam only in a file part passes');

rejected(post('/', multipart(['title', 'x'], ['comment', 'judi online']),
              $MP), 12, 'multipart: text part rejected');


# JSON

$b = '{"post":{"author":"budi","comment":"judi online"},"id":7}';
rejected(post('/', $b, $JSON), 12, 'json: nested string value');

$b = '{"comment":"judi \u006fnline"}';
rejected(post('/', $b, "$JSON; charset=utf-8"), 12,
         'json: \u escapes decoded');

$b = '{"comments":["halo","slot gacor"],"n":12,"ok":true,"x":null}';
passed(post('/', $b, $JSON), $b, 'hold', 6, 'json: array elements');

$b = '{"comment":"slot\\"gacor"}';
passed(post('/', $b, $JSON), $b, 'pass', 0,
       'json: escaped quote is part of the value');


# other types: the whole raw body

rejected(post('/', 'tolong judi online', 'text/plain'), 12,
         'text/plain: raw body');

rejected(post('/', 'comment=judi online', undef), 12,
         'no Content-Type: raw body');

$b = 'slot+gacor';
passed(post('/', $b, 'text/plain'), $b, 'pass', 0,
       "text/plain: '+' is not decoded");


# invalid UTF-8 and NUL bytes cannot split a spam phrase

$b = "slot\x00 gacor";
passed(post('/', $b, 'text/plain'), $b, 'hold', 6,
       'raw: NUL byte inside the phrase');

$b = "sl\xffot ga\xc3cor";
passed(post('/', $b, 'text/plain'), $b, 'hold', 6,
       'raw: invalid UTF-8 inside the phrase');

$b = 'comment=slot%00+gac%FFor';
passed(post('/', $b, $FORM), $b, 'hold', 6,
       'form: decoded NUL and invalid UTF-8 inside the phrase');

rejected(post('/', "ju\x00di \xc0\x80online", 'text/plain'), 12,
         'raw: NUL and overlong NUL encoding inside a rejected phrase');

$b = join '', map { chr } 0 .. 255;
$b = $b x 4;
passed(post('/', $b, 'application/octet-stream'), $b, 'pass', 0,
       'binary body: all byte values pass unchanged');

$b = "comment=\xff\xfe\x00\x01%zz\r\n\x80";
passed(post('/', $b, $FORM), $b, 'pass', 0,
       'form: binary junk passes unchanged');


# malformed bodies: not rejected for being broken, still inspected raw

my $mark = $t->log_mark;
$b = '{"comment":"terima kasih"}';
passed(post('/', $b, $JSON), $b, 'pass', 0, 'json: well formed');
is(scalar warned_since($mark), 0, 'json: well formed: no warning');

$mark = $t->log_mark;
$b = '{"comment": "terima kasih",';
passed(post('/', $b, $JSON), $b, 'pass', 0, 'json: truncated, clean');
ok(scalar warned_since($mark), 'json: truncated: warning logged')
    or diag($t->error_log_since($mark));

rejected(post('/', '{"comment": "judi online"', $JSON), 12,
         'json: truncated with spam is still caught');

rejected(post('/', '{"comment": "halo"} judi online', $JSON), 12,
         'json: spam after the document is still caught');

rejected(post('/', '{"comment": "ok", judi online: "x"}', $JSON), 12,
         'json: spam in a syntax error is still caught');

$mark = $t->log_mark;
$b = "--$bd\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\n"
   . "terima kasih";
passed(post('/', $b, $MP), $b, 'pass', 0, 'multipart: unterminated, clean');
ok(scalar warned_since($mark), 'multipart: unterminated: warning logged')
    or diag($t->error_log_since($mark));

rejected(post('/', "--$bd\r\nContent-Disposition: form-data; name=\"c\""
                   . "\r\n\r\njudi online", $MP), 12,
         'multipart: unterminated with spam is still caught');

rejected(post('/', "no boundary here, judi online",
              'multipart/form-data; boundary=nothere'), 12,
         'multipart: boundary never seen, spam still caught');


# bodies in temp files (client_body_buffer_size 1k)

my $filler = join ' ', ('berita hari ini sangat menarik') x 700;
ok(length $filler > 20000, 'filler is over 20 KB');

$mark = $t->log_mark;
$b = "comment=" . $filler;
passed(post('/', $b, $FORM), $b, 'pass', 0, 'temp file: clean 20 KB');
like($t->wait_log($mark, qr/temporary file/),
     qr/buffered to a temporary file/, 'temp file: body was in a file');

$b = "comment=$filler+slot+gacor";
passed(post('/', $b, $FORM), $b, 'hold', 6,
       'temp file: phrase at the end of 20 KB');

$b = "comment=slot+gacor+$filler";
passed(post('/', $b, $FORM), $b, 'hold', 6,
       'temp file: phrase at the start of 20 KB');

rejected(post('/', "comment=$filler+judi+online", $FORM), 12,
         'temp file: reject at the end of 20 KB');

$b = '{"a":{"b":"' . $filler . ' judi online"}}';
rejected(post('/', $b, $JSON), 12, 'temp file: 20 KB JSON');

$b = multipart(['upload', $filler . ' judi online', 'big.txt'],
               ['comment', $filler . ' slot gacor']);
passed(post('/', $b, $MP), $b, 'hold', 6, 'temp file: 40 KB multipart');

$b = $filler . "\x00\xff" . $filler;
passed(post('/', $b, 'application/octet-stream'), $b, 'pass', 0,
       'temp file: binary 40 KB unchanged');

$b = 'comment=slot+gacor';
passed(post('/file/', $b, $FORM), $b, 'hold', 6,
       'client_body_in_file_only: small body read from the file');
rejected(post('/file/', 'comment=judi+online', $FORM), 12,
         'client_body_in_file_only: reject');

$b = "comment=$filler+slot+gacor";
passed(post('/mem/', $b, $FORM), $b, 'hold', 6,
       'in memory: 20 KB with a 64k buffer');


# chunked

rejected(chunked('/', ['comment=judi+on', 'line'], $FORM), 12,
         'chunked: phrase split across chunks');

my @chunks = ('comment=', 'slot', '+', 'gacor', '&x=%zz');
passed(chunked('/', \@chunks, $FORM), join('', @chunks), 'hold', 6,
       'chunked: small body');

@chunks = (("comment=" . $filler) =~ /(.{1,900})/gs, '+slot+gac', 'or');
passed(chunked('/', \@chunks, $FORM), join('', @chunks), 'hold', 6,
       'chunked: 20 KB in many chunks, temp file');

@chunks = map { chr($_) x 300 } 0 .. 255;
passed(chunked('/', \@chunks, 'application/octet-stream'),
       join('', @chunks), 'pass', 0, 'chunked: binary unchanged');

@chunks = ('comment=slot+', 'gacor');
passed(chunked('/file/', \@chunks, $FORM), join('', @chunks), 'hold', 6,
       'chunked: client_body_in_file_only');



# proxy_request_buffering off: the module has read the whole body first,
# and the backend still gets all of it

$b = "comment=$filler+slot+gacor";
passed(post('/unbuffered/', $b, $FORM), $b, 'hold', 6,
       'proxy_request_buffering off: 20 KB held and passed whole');
rejected(post('/unbuffered/', "comment=$filler+judi+online", $FORM), 12,
         'proxy_request_buffering off: rejected');

@chunks = (("comment=" . $filler) =~ /(.{1,700})/gs, '+slot+gacor');
passed(chunked('/unbuffered/', \@chunks, $FORM), join('', @chunks), 'hold',
       6, 'proxy_request_buffering off: chunked');


# client_max_body_size is nginx's answer, before any inspection

my $r = post('/small/', 'comment=' . ('x' x 5000), $FORM);
is($r->{status}, 413, 'too large: 413');
ok(!defined $r->{h}{'x-backend-method'}, 'too large: backend not reached');

$r = chunked('/small/', [('comment=' . ('x' x 5000)) =~ /(.{1,500})/gs],
             $FORM);
is($r->{status}, 413, 'too large chunked: 413');


# Expect: 100-continue

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    binmode $s;

    my $body = 'comment=slot+gacor';
    print $s "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        . "Content-Type: $FORM\r\nExpect: 100-continue\r\n"
        . 'Content-Length: ' . length($body) . "\r\n\r\n";

    my $sel = IO::Select->new($s);
    my $got = '';
    while ($got !~ /\r\n\r\n/ && $sel->can_read(5)) {
        sysread($s, $got, 4096, length $got) or last;
    }
    like($got, qr{^HTTP/1\.1 100 Continue\r\n}, 'Expect: 100 Continue sent');

    print $s $body;
    my $rest = '';
    while ($sel->can_read(5)) {
        sysread($s, $rest, 65536, length $rest) or last;
    }
    close $s;

    my ($status, $h, $echo) = CMTest::parse_response($rest);
    is($status, 200, 'Expect: then 200');
    is($h->{'x-decision'}, 'hold', 'Expect: body inspected');
    is($echo, $body, 'Expect: body passed');
}


# a client that goes away or stalls in the middle of its body

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    print $s "POST / HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: $FORM\r\nContent-Length: 10000\r\n\r\n"
        . 'comment=judi+online' . ('x' x 3000);
    select undef, undef, undef, 0.1;
    close $s;

    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    print $s "POST / HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: $FORM\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "13\r\ncomment=slot+gacor\r\n5\r\nabc";
    select undef, undef, undef, 0.1;
    close $s;

    my $raw = $t->http("POST /slow/ HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: $FORM\r\nContent-Length: 100\r\n\r\ncomment=x");
    my ($status) = CMTest::parse_response($raw);
    ok(!defined $status || $status == 408,
       'stalled body: connection closed or 408');
    unlike($raw, qr/X-Backend-Method/i, 'stalled body: backend not reached');
    like($t->read_file('access.log'), qr{"POST /slow/ HTTP/1\.1" 408 },
         'stalled body: 408 in the access log');
}

$b = 'comment=slot+gacor';
passed(post('/', $b, $FORM), $b, 'hold', 6,
       'after aborted bodies: still serving');

$t->done_testing;
