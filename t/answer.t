#!/usr/bin/perl

# The page a refused reader sees: a link back to the page the comment was
# written on when the Referer is this host (else "/"), and for a reject
# from such a page the form again, the text in a textarea to edit and the
# other fields kept; everything escaped, no URL of another host ever
# written.  The limit page says when to try again.  A template replaces
# the built-in page; an unknown placeholder fails nginx -t.  JSON answers
# stay JSON.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Compress::Gzip qw(gzip);
use Test::More;
use CMTest;
use CMRedis;

my $REDIS = -x '/usr/bin/redis-server';

my $t = CMTest->new;
my $redis = CMTest::free_port();
CMRedis::start_server($t->dir, $redis) if $REDIS;

$t->write_file('page.html', <<'END');
<html><title>{{title}}</title><body class="{{decision}}">
<p>{{message}}</p><p>skor={{score}} status={{status}} tunggu={{retry_after}}</p>
{{retry}}{{form}}<a href="{{back}}">{{back_label}}</a></body></html>
END

my $limits = $REDIS ? <<'END' : '';
        location /limit/ {
            comment_moderation_limit key=$cookie_u rate=3r/m burst=1;
            %%PROXY%%
        }

        location /hourly/ {
            comment_moderation_limit key=$cookie_u rate=1r/h burst=1;
            comment_moderation_template %%TESTDIR%%/page.html;
            %%PROXY%%
        }
END

# a timeout that survives valgrind
my $timeout = int(CMTest::scaled(0.5) * 1000);

$t->write_config(($REDIS ? "comment_moderation_redis 127.0.0.1:$redis "
                           . "timeout=${timeout}ms prefix=answer:;\n" : '')
                 . <<"END");
    comment_moderation_rules %%RULES%%/basic.rules;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation on;

        location / {
            %%PROXY%%
        }

        location /custom/ {
            comment_moderation_template %%TESTDIR%%/page.html;
            comment_moderation_reject_message "Ditolak <b>moderator</b>.";
            %%PROXY%%
        }

$limits
    }
END

$t->run;

my $FORM = 'application/x-www-form-urlencoded';
my $SPAM = 'nama=Budi&komentar=judi+online+%22%3E%3Cscript%3Ealert(1)%3C'
           . '%2Fscript%3E+%26amp%3B&artikel_id=42';


sub post {
    my ($uri, $body, %headers) = @_;
    $headers{'Content-Type'} ||= $FORM;
    my ($status, $h, $b) = CMTest::parse_response(
        $t->http_post($uri, $body, %headers));
    return { status => $status, h => $h, body => $b // '' };
}

# the href of the "back" link, and whether the page has a form
sub back { ($_[0]->{body} =~ /<a id="back" href="([^"]*)"/)[0] }
sub form { $_[0]->{body} =~ /<form\b/ }


# a reject from a page of this site: back to it, the text to edit

my $r = post('/komentar', $SPAM,
             Referer => 'http://localhost/berita/polisi-bongkar?hal=2');

is($r->{status}, 403, 'rejected');
like($r->{h}{'content-type'}, qr{^text/html}, 'an HTML page');
like($r->{body}, qr/<html lang="id">/, 'in Indonesian');
like($r->{body}, qr{<title>Komentar ditolak</title>}, 'titled');
like($r->{body}, qr/melanggar pedoman komunitas/, 'with the reason');
unlike($r->{body}, qr/<script|<link|\bsrc=/,
       'self-contained: no script, stylesheet or image');
is(back($r), '/berita/polisi-bongkar?hal=2', 'links back to the article');
like($r->{body}, qr/Kembali ke artikel/, 'saying so');

like($r->{body}, qr{<form id="edit" method="post" action="/komentar"},
     'the form posts to the same place again');
like($r->{body},
     qr{<textarea id="text" rows="6" name="komentar">\njudi online &quot;&gt;&lt;script&gt;alert\(1\)&lt;/script&gt; &amp;amp;</textarea>},
     "the reader's text in a textarea, escaped");
like($r->{body}, qr{<input type="hidden" name="nama" value="Budi">},
     'the name kept, hidden');
like($r->{body}, qr{<input type="hidden" name="artikel_id" value="42">},
     'the article id kept, hidden');
like($r->{body}, qr{<button type="submit">Kirim ulang</button>},
     'a button to send it again');
is(length $r->{body}, $r->{h}{'content-length'}, 'Content-Length');
ok(!defined $r->{h}{'x-backend-method'}, 'backend not reached');


# the worst field, when it is not the comment, is shown to be edited

$r = post('/komentar', 'nama=judi+online&komentar=Artikel+yang+bagus+sekali',
          Referer => 'http://localhost/');
like($r->{body}, qr{<p><label>nama<br><input name="nama" value="judi online"></label></p>},
     'the name the rules refused, in a text input');
like($r->{body}, qr{<textarea[^>]*name="komentar">\nArtikel yang bagus sekali</textarea>},
     'the comment, in the textarea');
is(back($r), '/', 'the Referer "/" kept');


# the query of the post is kept, escaped; names are escaped too

$r = post('/komentar?artikel=5&x=%22a%22', 'a%22b=c&komentar=judi+online',
          Referer => 'http://localhost/artikel/5');
like($r->{body}, qr{action="/komentar\?artikel=5&amp;x=%22a%22"},
     'the query of the post, escaped');
like($r->{body}, qr{<input type="hidden" name="a&quot;b" value="c">},
     'a field name, escaped');


# multipart: posted back as multipart

my $mp = "--XyZ\r\nContent-Disposition: form-data; name=\"komentar\"\r\n\r\n"
       . "judi online\r\n--XyZ\r\nContent-Disposition: form-data; "
       . "name=\"nama\"\r\n\r\nAni\r\n--XyZ--\r\n";
$r = post('/komentar', $mp, Referer => 'http://localhost/a',
          'Content-Type' => 'multipart/form-data; boundary=XyZ');
like($r->{body}, qr{enctype="multipart/form-data"}, 'multipart: enctype');
like($r->{body}, qr{<textarea[^>]*name="komentar">\njudi online</textarea>},
     'multipart: the text to edit');


# no form when the post is not the form as typed

gzip(\'komentar=judi+online', \my $gz);
$r = post('/komentar', $gz, Referer => 'http://localhost/a',
          'Content-Encoding' => 'gzip');
is($r->{status}, 403, 'gzip: rejected');
ok(!form($r), 'gzip: no form');
is(back($r), '/a', 'gzip: still the way back');

$r = post('/komentar', 'judi online', Referer => 'http://localhost/a',
          'Content-Type' => 'text/plain');
ok(!form($r), 'text/plain: no form');


# a Referer of another host, or one a browser could read as another
# host: back to "/", no form, nothing of the Referer in the page

for my $ref ('http://evil.example/berita',
             'https://evil.example/',
             'http://localhost.evil.example/x',
             'http://localhost@evil.example/x',
             'http://evil.example/http://localhost/',
             'http://localhost//evil.example/x',
             'http://localhost/\\evil.example/x',
             'http://localhost/a b',
             'http://localhost:8080/x',
             'javascript:alert(1)//http://localhost/',
             '//localhost/x',
             '/x')
{
    $r = post('/komentar', $SPAM, Referer => $ref);
    is(back($r), '/', "Referer $ref: back to /");
    ok(!form($r), "Referer $ref: no form");
    unlike($r->{body}, qr/evil|javascript|script>/,
           "Referer $ref: not in the page");
    like($r->{body}, qr/Kembali ke halaman utama/,
         "Referer $ref: to the front page");
}

$r = post('/komentar', $SPAM);
is(back($r), '/', 'no Referer: back to /');
ok(!form($r), 'no Referer: no form');

$r = post('/komentar', $SPAM, Referer => 'HTTPS://LOCALHOST/Berita');
is(back($r), '/Berita', 'scheme and host in capitals: the same host');
ok(form($r), 'and the form');

$r = post('/komentar', $SPAM, Referer => 'http://localhost');
is(back($r), '/', 'a Referer of the host alone: /');
ok(form($r), 'and the form');

$r = post('/komentar', $SPAM, Referer => 'http://localhost/a"onmouseover="x');
is(back($r), '/a&quot;onmouseover=&quot;x', 'quotes in the path escaped');


# JSON stays JSON

$r = post('/komentar', $SPAM, Accept => 'application/json',
          Referer => 'http://localhost/a');
like($r->{h}{'content-type'}, qr{^application/json}, 'JSON: JSON');
like($r->{body}, qr/^\{"decision":"reject","score":12,"reason":"[^"]+"\}\n$/,
     'JSON: the same object, nothing more');


# a template

$r = post('/custom/', $SPAM, Referer => 'http://localhost/b');
is($r->{status}, 403, 'template: rejected');
like($r->{body}, qr{^<html><title>Komentar ditolak</title><body class="reject">},
     'template: {{title}} and {{decision}}');
like($r->{body}, qr{<p>Ditolak &lt;b&gt;moderator&lt;/b&gt;\.</p>},
     'template: {{message}}, from the directive, escaped');
like($r->{body}, qr{skor=12 status=403 tunggu=</p>},
     'template: {{score}}, {{status}}, {{retry_after}} empty');
like($r->{body}, qr{<form id="edit"}, 'template: {{form}}');
like($r->{body}, qr{<a href="/b">Kembali ke artikel</a>},
     'template: {{back}} and {{back_label}}');
unlike($r->{body}, qr/\{\{|\}\}/, 'template: every placeholder filled');


# the limit page says when to try again

SKIP: {
    skip 'redis-server is not installed: no limit page to see', 12
        unless $REDIS;

    my %u = (Cookie => 'u=reader1', Referer => 'http://localhost/c');

    $r = post('/limit/', 'komentar=halo', %u);
    is($r->{status}, 200, 'limit: the first post passes');

    $r = post('/limit/', 'komentar=halo+lagi', %u);
    is($r->{status}, 429, 'limit: the second is limited');
    is($r->{h}{'retry-after'}, 20, 'limit: Retry-After');
    like($r->{body}, qr{<title>Terlalu banyak komentar</title>},
         'limit: titled');
    like($r->{body},
         qr{<p class="retry" id="retry">Anda dapat mengirim komentar lagi dalam <b>20 detik</b>\.</p>},
         'limit: when to try again');
    is(back($r), '/c', 'limit: back to the article');
    ok(!form($r), 'limit: no form (the body was never read)');

    $r = post('/limit/', 'komentar=halo', %u, Accept => 'application/json');
    like($r->{body}, qr/"retry_after":(19|20)\}/, 'limit: JSON stays JSON');

    %u = (Cookie => 'u=reader2', Referer => 'http://evil.example/');
    post('/hourly/', 'komentar=halo', %u);
    $r = post('/hourly/', 'komentar=halo', %u);
    is($r->{status}, 429, 'hourly: limited');
    like($r->{body}, qr{<b>1 jam</b>}, 'hourly: in hours');
    like($r->{body}, qr{tunggu=3600</p>}, 'hourly: {{retry_after}}');
    like($r->{body}, qr{<a href="/">Kembali ke halaman utama</a>},
         'hourly: another host: back to /');
}

$t->stop;


# an unknown placeholder, or a missing file, fails nginx -t

my $u = CMTest->new;
$u->write_file('bad.html', "<p>{{title}} {{titel}}</p>\n");
$u->write_config(<<'END');
    comment_moderation_rules %%RULES%%/basic.rules;
    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_template %%TESTDIR%%/bad.html;
    }
END

my ($rc, $out) = $u->test_config;
isnt($rc, 0, 'unknown placeholder: nginx -t fails');
like($out, qr/bad\.html": unknown placeholder "\{\{titel\}\}" at byte 13/,
     'unknown placeholder: named, with its place');

$u->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_template %%TESTDIR%%/none.html;
    }
END

($rc, $out) = $u->test_config;
isnt($rc, 0, 'missing template: nginx -t fails');
like($out, qr/none\.html" failed/, 'missing template: named');

$u->stop;

done_testing;
