#!/usr/bin/perl

# Request tricks that hide a comment from the rules but not from the
# backend: spam in field names, compressed bodies, encoded multipart
# parts, file parts read as values, names that select a field the way
# PHP, Node or Go read them, text encoded twice, and the query string.
# Each is posted through nginx and must be rejected (or refused), while
# ordinary bodies still reach the backend byte for byte.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Compress::Deflate qw(deflate $DeflateError);
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Compress::RawDeflate qw(rawdeflate $RawDeflateError);
use MIME::Base64 qw(encode_base64);
use Test::More;
use CMTest;

my $t = CMTest->new;

$t->write_config(<<'END');
    client_max_body_size 64k;
    comment_moderation_rules %%RULES%%/basic.rules;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation on;

        location / {
            %%PROXY%%
        }

        location /komentar/ {
            comment_moderation_fields komentar;
            %%PROXY%%
        }

        location /php/ {
            comment_moderation_fields post_title;
            %%PROXY%%
        }

        location /file/ {
            client_body_in_file_only clean;
            %%PROXY%%
        }
    }
END

$t->run;

my $FORM = 'application/x-www-form-urlencoded';
my $JSON = 'application/json';
my $bd = 'cmtest-tricks-41c9';
my $MP = "multipart/form-data; boundary=$bd";


sub post {
    my ($uri, $body, $ct, %headers) = @_;
    $headers{'Content-Type'} = $ct if defined $ct;
    my ($status, $h, $b) = CMTest::parse_response(
        $t->http_post($uri, $body, %headers));
    return { status => $status, h => $h, body => $b };
}

sub rejected {
    my ($r, $name) = @_;

    subtest $name => sub {
        is($r->{status}, 403, 'status 403');
        is($r->{h}{'x-decision'}, 'reject', 'decision reject');
        ok(!defined $r->{h}{'x-backend-method'}, 'backend not reached');
    };
}

# passed on: the backend got exactly the bytes sent
sub passed {
    my ($r, $sent, $name) = @_;

    subtest $name => sub {
        is($r->{status}, 200, 'status 200');
        is($r->{h}{'x-decision'}, 'pass', 'decision pass');
        is($r->{h}{'x-backend-method'}, 'POST', 'reached the backend');
        ok(defined $r->{body} && $r->{body} eq $sent,
           'backend got the body byte for byte')
            or diag(sprintf "sent %d bytes, echoed %d", length $sent,
                            length($r->{body} // ''));
    };
}

sub refused {
    my ($r, $status, $name) = @_;

    subtest $name => sub {
        is($r->{status}, $status, "status $status");
        ok(!defined $r->{h}{'x-backend-method'}, 'backend not reached');
    };
}

# parts: [headers of Content-Disposition after "form-data", content,
# more header lines]
sub multipart {
    my (@parts) = @_;
    my $s = '';
    for my $p (@parts) {
        my ($disp, $content, @more) = @$p;
        $s .= "--$bd\r\nContent-Disposition: form-data; $disp\r\n";
        $s .= "$_\r\n" for @more;
        $s .= "\r\n$content\r\n";
    }
    return $s . "--$bd--\r\n";
}

sub gz {
    my ($in) = @_;
    my $out;
    gzip(\$in => \$out, Minimal => 1) or die $GzipError;
    return $out;
}

sub warned {
    my ($mark, $re) = @_;
    return $t->wait_log($mark, $re) =~ $re;
}


# spam in field names: names are attacker text too

rejected(post('/', 'judi+online=x', $FORM), 'form: spam in a name');
rejected(post('/', 'a=1&judi%20online', $FORM),
         'form: spam in a name without a value');
rejected(post('/', '{"judi online": 1}', $JSON), 'json: spam in a key');
rejected(post('/', '[{"x": {"judi online": null}}]', $JSON),
         'json: spam in a nested key');
rejected(post('/', multipart(['name="judi online"', 'halo']), $MP),
         'multipart: spam in a part name');
rejected(post('/', multipart(['name="f"; filename="judi online.jpg"',
                              "\x89PNG", 'Content-Type: image/png']), $MP),
         'multipart: spam in a file name');
rejected(post('/komentar/', 'komentar[judi+online]=halo', $FORM),
         'fields komentar: spam in a key of komentar[...]');
rejected(post('/komentar/', '{"komentar": {"judi online": "x"}}', $JSON),
         'fields komentar: spam in a key inside komentar');

my $b = 'judul=judi+online&komentar=halo';
passed(post('/komentar/', $b, $FORM), $b,
       'fields komentar: other fields, names and values, not inspected');

$b = 'komentar=Terima+kasih+atas+beritanya&nama=Budi&id=7';
passed(post('/', $b, $FORM), $b, 'form: an ordinary body passes whole');


# Content-Encoding: the inflated body is inspected, the backend gets the
# compressed bytes

my $spam = 'komentar=judi+online';

rejected(post('/', gz($spam), $FORM, 'Content-Encoding' => 'gzip'),
         'gzip: inflated and inspected');
rejected(post('/', gz($spam), $FORM, 'Content-Encoding' => 'x-gzip'),
         'x-gzip: inflated and inspected');

{
    my ($z, $raw);
    deflate(\$spam => \$z) or die $DeflateError;
    rawdeflate(\$spam => \$raw) or die $RawDeflateError;

    rejected(post('/', $z, $FORM, 'Content-Encoding' => 'deflate'),
             'deflate (zlib): inflated and inspected');
    rejected(post('/', $raw, $FORM, 'Content-Encoding' => 'Deflate'),
             'deflate (raw): inflated and inspected');
}

rejected(post('/komentar/', gz('{"komentar": "judi online"}'), $JSON,
              'Content-Encoding' => 'gzip'),
         'gzip: JSON with a field filter');
rejected(post('/', gz('komentar=halo&') . gz($spam), $FORM,
              'Content-Encoding' => 'gzip'),
         'gzip: spam in a second member');
rejected(post('/file/', gz($spam), $FORM, 'Content-Encoding' => 'gzip'),
         'gzip: body in a temp file');

{
    my $mark = $t->log_mark;
    my $z = gz('komentar=judi+online' . ('+' x 2000) . 'halo');

    rejected(post('/', substr($z, 0, length($z) - 20), $FORM,
                  'Content-Encoding' => 'gzip'),
             'gzip: a stream cut short is inspected as far as it goes');
    ok(warned($mark, qr/malformed body \(the compressed body is cut short/),
       'gzip: cut short: warned as malformed');
}

$b = gz('komentar=Terima+kasih&nama=Budi');
passed(post('/', $b, $FORM, 'Content-Encoding' => 'gzip'), $b,
       'gzip: an ordinary body passes with its compressed bytes');

$b = gz('komentar=' . ('berita bagus ' x 4000));
ok(length $b < 2000 && 13 * 4000 < 64 * 1024, 'gzip: 52 KB in 2 KB');
passed(post('/', $b, $FORM, 'Content-Encoding' => 'gzip'), $b,
       'gzip: inflating to less than client_max_body_size passes');

{
    my $mark = $t->log_mark;
    my $bomb = gz("komentar=" . ("\0" x (8 * 1024 * 1024)));

    ok(length $bomb < 64 * 1024, 'zip bomb: 8 MB in less than 64 KB');
    refused(post('/', $bomb, $FORM, 'Content-Encoding' => 'gzip'), 413,
            'zip bomb: 413 at client_max_body_size');
    ok(warned($mark, qr/inflates to more than 65536 bytes/),
       'zip bomb: logged');
}

refused(post('/', 'komentar=halo', $FORM, 'Content-Encoding' => 'br'), 415,
        'br: 415');
refused(post('/', gz(gz($spam)), $FORM, 'Content-Encoding' => 'gzip, gzip'),
        415, 'two codings: 415');

$b = 'komentar=halo';
passed(post('/', $b, $FORM, 'Content-Encoding' => 'identity'), $b,
       'identity: read as it is');


# multipart: transfer encodings decoded, file parts that are text read

rejected(post('/', multipart(['name="komentar"',
                              encode_base64('ini judi online', ''),
                              'Content-Transfer-Encoding: base64']), $MP),
         'multipart: base64 part decoded');
rejected(post('/', multipart(['name="komentar"', 'ini judi=20online',
                              'Content-Transfer-Encoding: quoted-printable'
                             ]), $MP),
         'multipart: quoted-printable part decoded');
rejected(post('/', multipart(['name="komentar"', "ini judi on=\r\nline",
                              'Content-Transfer-Encoding: Quoted-Printable'
                             ]), $MP),
         'multipart: quoted-printable soft line break');
rejected(post('/', multipart(['name="komentar"', 'ini judi online!',
                              'Content-Transfer-Encoding: base64']), $MP),
         'multipart: a base64 part that does not decode is inspected raw');
rejected(post('/', multipart(['name="komentar"; filename=""',
                              'judi online']), $MP),
         'multipart: filename="" is a value');
rejected(post('/', multipart(['name="komentar"; filename="a.txt"',
                              'judi online', 'Content-Type: text/plain']),
              $MP),
         'multipart: a text/plain file is read as text');
rejected(post('/', multipart(['name="komentar"; filename="a.txt"',
                              'judi online']), $MP),
         'multipart: a file without a Content-Type is text/plain');

$b = multipart(['name="komentar"', 'Terima kasih'],
               ['name="foto"; filename="a.bin"', "judi online \x00\xff",
                'Content-Type: application/octet-stream'],
               ['name="nama"', encode_base64('Budi', ''),
                'Content-Transfer-Encoding: base64']);
passed(post('/', $b, $MP), $b,
       'multipart: an ordinary body, a binary file part skipped');


# which fields "comment_moderation_fields komentar" selects: every name a
# backend could read as komentar

my %sel = (
    "name*=UTF-8''komentar"         => 'RFC 5987 name*=',
    "name*=\"UTF-8''kom%65ntar\""   => 'RFC 5987 name*=, quoted, escaped',
    'name="x"; name="komentar"'     => 'the last name="" (PHP)',
    'name="komentar"; name="x"'     => 'the first name=""',
    'name*0="kom"; name*1="entar"'  => 'RFC 2231 pieces',
    "name*1*=%65ntar; name*0*=UTF-8''kom" => 'RFC 2231 pieces out of order',
    'name="komentar[]"'             => 'PHP array komentar[]',
);

for my $disp (sort keys %sel) {
    rejected(post('/komentar/', multipart(['name="judul"', 'halo'],
                                          [$disp, 'judi online']), $MP),
             "fields komentar: $sel{$disp}");
}

rejected(post('/komentar/',
              multipart(['name="komentar"', 'halo'],
                        ['name="komentar"', 'judi online']), $MP),
         'fields komentar: a repeated part');
rejected(post('/komentar/',
              "--$bd\r\nContent-Disposition: form-data; name=\"x\"\r\n"
              . "Content-Disposition: form-data; name=\"komentar\"\r\n"
              . "\r\njudi online\r\n--$bd--\r\n", $MP),
         'fields komentar: a repeated Content-Disposition');

for my $body ('komentar[]=judi+online', 'komentar[a]=judi+online',
              'komentar[a][]=judi+online', 'komentar%5B%5D=judi+online',
              'komentar=halo&komentar=judi+online')
{
    rejected(post('/komentar/', $body, $FORM), "fields komentar: $body");
}

for my $body ('{"komentar": {"x": "judi online"}}',
              '{"komentar": [{"x": ["judi online"]}]}',
              '{"komentar": "halo", "komentar": "judi online"}')
{
    rejected(post('/komentar/', $body, $JSON), "fields komentar: $body");
}

for my $body ('post.title=judi+online', 'post+title=judi+online',
              'post[title]=judi+online', '+post_title=judi+online',
              'post_title[x]=judi+online')
{
    rejected(post('/php/', $body, $FORM),
             "fields post_title: $body, as PHP reads it");
}

$b = 'post_titles=judi+online&post=judi+online&komentar=halo';
passed(post('/php/', $b, $FORM), $b,
       'fields post_title: names PHP reads otherwise are not selected');


# text encoded twice or thrice, as backends that decode again show it

for my $body ('komentar=%256Audi%2520online',
              'komentar=%25256Audi%252520online',
              'komentar=judi%252Bonline',
              'komentar=judi%20online')
{
    rejected(post('/komentar/', $body, $FORM), "decoded again: $body");
}

{
    my $mark = $t->log_mark;
    $b = 'komentar=%2525256Audi';
    post('/', $b, $FORM);
    ok(warned($mark, qr/still encoded after 3 rounds/),
       'decoded again: text still encoded after 3 rounds is reported');
}

$b = 'komentar=Diskon+50%25+untuk+C%2B%2B&x=100%';
passed(post('/', $b, $FORM), $b,
       'decoded again: ordinary text with % and + passes');

# HTML entities whose '&' is an entity too, as a backend that decodes
# once and a browser that decodes again show them: "&amp;#106;udi" is
# "judi"; in a form, a JSON string and a multipart part

for my $text ('&amp;#106;&amp;#117;&amp;#100;&amp;#105; online',
              '&#38;#x6A;udi &amp;amp;#111;nline')
{
    (my $form = $text) =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge;
    rejected(post('/', "komentar=$form", $FORM),
             "entities decoded again, form: $text");
    rejected(post('/', qq({"komentar": "$text"}), $JSON),
             "entities decoded again, JSON: $text");
}

$b = 'komentar=' . 'Harga+%26amp%3B+kualitas%3A+%26amp%3Blt%3B+5%25';
passed(post('/', $b, $FORM), $b,
       'entities decoded again: ordinary text with &amp; passes');


# the query string of a POST, which many backends merge into the form

rejected(post('/?komentar=judi+online', 'x=halo', $FORM),
         'query: a spam argument');
rejected(post('/?judi%20online', '', $FORM), 'query: spam in a name');
rejected(post('/?q=%256Audi%2520online', 'x=halo', $FORM),
         'query: decoded again');
rejected(post('/komentar/?komentar=judi+online', 'komentar=halo', $FORM),
         'query: a selected argument');
rejected(post('/komentar/?komentar[]=judi+online',
              '{"komentar": "halo"}', $JSON),
         'query: a selected argument, JSON body');

$b = 'komentar=halo';
passed(post('/komentar/?judul=judi+online', $b, $FORM), $b,
       'query: arguments not selected are not inspected');
passed(post('/?page=2&sort=new', $b, $FORM), $b,
       'query: an ordinary query passes');

$t->done_testing;
