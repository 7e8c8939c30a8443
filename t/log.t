#!/usr/bin/perl

# The decision log line: one [info] line per inspected comment with
# decision=, score=, rules=, field= and mode=; none for requests that are
# not inspected; no alert or crit through requests, a reload and a stop.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use CMTest;

my $t = CMTest->new;

$t->write_config(<<'END');
    comment_moderation_rules %%RULES%%/basic.rules;

    log_format cm '$request_uri $status d=$comment_moderation_decision '
                  's=$comment_moderation_score r=$comment_moderation_rules';
    access_log %%TESTDIR%%/cm.log cm;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location / {
            comment_moderation on;
            %%PROXY%%
        }

        location /detect/ {
            comment_moderation on;
            comment_moderation_mode detect;
            %%PROXY%%
        }

        location /errpage/ {
            comment_moderation on;
            error_page 403 /blocked.html;
            %%PROXY%%
        }

        location = /blocked.html {
            root %%TESTDIR%%;
        }

        location /off/ {
            %%PROXY%%
        }
    }
END

$t->write_file('blocked.html', "diblokir\n");
$t->run;

my $DECISION = qr/comment moderation: decision=/;


# sends a form comment and returns the decision lines it logged
sub logged {
    my ($uri, $text, $method, $none) = @_;

    my $mark = $t->log_mark;
    my ($status) = CMTest::parse_response($t->http_post($uri,
        "comment=$text", -method => $method || 'POST',
        'Content-Type' => 'application/x-www-form-urlencoded'));

    my $log = $t->wait_log($mark, $DECISION, $none ? 0.2 : 2);
    return ($status, grep { $_ =~ $DECISION } split /\n/, $log);
}

sub one_line {
    my ($lines, $re, $name) = @_;

    subtest $name => sub {
        is(scalar @$lines, 1, 'exactly one decision line');
        my $l = $lines->[0] // '';
        like($l, qr/\[info\]/, 'at info level');
        like($l, $re, 'decision, score, rules, field and mode');
        like($l, qr/client: 127\.0\.0\.1/, 'with the client address');
        like($l, qr{request: "POST /\S* HTTP/1\.1"}, 'with the request');
    } or diag(join "\n", @$lines);
}


my ($status, @lines) = logged('/', 'terima+kasih');
is($status, 200, 'pass: 200');
one_line(\@lines, qr/decision=pass score=0\b.*mode=enforce/, 'pass logged');

($status, @lines) = logged('/', 'slot+gacor');
is($status, 200, 'hold: 200');
one_line(\@lines,
         qr/decision=hold score=6 rules=2 field=comment mode=enforce/,
         'hold logged');

($status, @lines) = logged('/', 'casino+slot+gacor');
one_line(\@lines, qr/decision=hold score=9 rules=1,2 .*mode=enforce/,
         'two rules logged in rule order');

($status, @lines) = logged('/', 'judi+online');
is($status, 403, 'reject: 403');
one_line(\@lines,
         qr/decision=reject score=12 rules=3 field=comment mode=enforce/,
         'reject logged');

($status, @lines) = logged('/detect/', 'judi+online');
is($status, 200, 'detect: 200');
one_line(\@lines, qr/decision=reject score=12 rules=3 .*mode=detect/,
         'detect mode logged as such');


# nothing logged when nothing is inspected

($status, @lines) = logged('/', 'judi+online', 'PUT', 1);
is($status, 200, 'PUT: 200');
is(scalar @lines, 0, 'PUT: no decision line');

($status, @lines) = logged('/off/', 'judi+online', undef, 1);
is($status, 200, 'off: 200');
is(scalar @lines, 0, 'off: no decision line');

my $mark = $t->log_mark;
$t->http_get('/?comment=judi+online');
unlike($t->wait_log($mark, $DECISION, 0.2), $DECISION, 'GET: no decision line');


# the variables in the access log, also for a reject answered by an
# error_page (an internal redirect must not lose the decision)

for my $uri ('/?a', '/?b', '/?c', '/errpage/?d', '/errpage/?e') {
    my $text = { a => 'halo', b => 'slot+gacor', c => 'judi+online',
                 d => 'judi+online', e => 'togel' }->{substr $uri, -1};
    $t->http_post($uri, "comment=$text",
                  'Content-Type' => 'application/x-www-form-urlencoded');
}
$t->http_get('/?f');

my $access = $t->read_file('cm.log');
like($access, qr{^/\?a 200 d=pass s=0 r=$}m, 'access log: pass');
like($access, qr{^/\?b 200 d=hold s=6 r=2$}m, 'access log: hold');
like($access, qr{^/\?c 403 d=reject s=12 r=3$}m, 'access log: reject');
like($access, qr{^/errpage/\?d 403 d=reject s=12 r=3$}m,
     'access log: reject answered by error_page keeps the variables');
like($access, qr{^/errpage/\?e 200 d=hold s=5 r=5$}m,
     'access log: hold in the error_page location');
like($access, qr{^/\?f 200 d= s= r=$}m, 'access log: GET has empty values');


# a reload and more requests: still no alert or crit

is($t->reload, 1, 'reload');

($status, @lines) = logged('/', 'togel');
one_line(\@lines, qr/decision=hold score=5 rules=5 /, 'after reload: logged');

unlike($t->error_log, qr/\[error\]/, 'no [error] lines in normal operation');

$t->done_testing;
