#!/usr/bin/perl

# Decisions and their variables: pass, hold, reject at the default and at
# configured thresholds; detect mode; reject_status; only POST is
# inspected, and only where comment_moderation is on.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use CMTest;

my $t = CMTest->new;

$t->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;

        location / {
            comment_moderation on;
            %%PROXY%%
        }

        location /thresholds/ {
            comment_moderation on;
            comment_moderation_hold 3;
            comment_moderation_reject 6;
            %%PROXY%%
        }

        location /detect/ {
            comment_moderation on;
            comment_moderation_mode detect;
            %%PROXY%%
        }

        location /status/ {
            comment_moderation on;
            comment_moderation_reject_status 451;
            %%PROXY%%
        }

        location /off/ {
            %%PROXY%%
        }

        location /explicit-off/ {
            comment_moderation off;
            %%PROXY%%
        }

        location /nested/ {
            comment_moderation on;
            %%PROXY%%

            location /nested/off/ {
                comment_moderation off;
                %%PROXY%%
            }

            location /nested/inherit/ {
                %%PROXY%%
            }
        }
    }
END

$t->run;


sub form {
    my ($uri, $body, %headers) = @_;
    my ($status, $h, $b) = CMTest::parse_response($t->http_post($uri, $body,
        'Content-Type' => 'application/x-www-form-urlencoded', %headers));
    return { status => $status, h => $h, body => $b };
}

sub ids {
    my ($s) = @_;
    return join ',', sort { $a <=> $b } grep { length } split /\s*,\s*/,
        defined $s ? $s : '';
}

# status, decision seen by the client and by the backend, score, rule set
sub decided {
    my ($r, $status, $decision, $score, $rules, $name) = @_;

    subtest $name => sub {
        is($r->{status}, $status, 'status');
        is($r->{h}{'x-decision'}, $decision, 'X-Decision');
        is($r->{h}{'x-score'}, $score, 'X-Score');
        is(ids($r->{h}{'x-rules'}), $rules, 'X-Rules');
    };
}

sub reached_backend {
    my ($r, $body, $decision, $score, $rules, $name) = @_;

    subtest "$name: backend" => sub {
        is($r->{h}{'x-backend-method'}, 'POST', 'reached the backend');
        is($r->{body}, $body, 'body echoed unchanged');
        is($r->{h}{'x-backend-moderation'}, $decision,
           'X-Comment-Moderation');
        is($r->{h}{'x-backend-score'}, $score,
           'X-Comment-Moderation-Score');
        is(ids($r->{h}{'x-backend-rules'}), $rules,
           'X-Comment-Moderation-Rules');
    };
}


# default thresholds: hold 5, reject 10

my $b = 'author=budi&comment=terima+kasih+atas+beritanya';
my $r = form('/', $b);
decided($r, 200, 'pass', 0, '', 'clean comment passes');
reached_backend($r, $b, 'pass', 0, '', 'clean comment');

$b = 'comment=main+casino+yuk';
$r = form('/', $b);
decided($r, 200, 'pass', 3, '1', 'score below hold passes');
reached_backend($r, $b, 'pass', 3, '1', 'score below hold');

$b = 'comment=pinjol';
$r = form('/', $b);
decided($r, 200, 'pass', 4, '4', 'score 4 passes');

$b = 'comment=togel+hari+ini';
$r = form('/', $b);
decided($r, 200, 'hold', 5, '5', 'score equal to hold is held');
reached_backend($r, $b, 'hold', 5, '5', 'held comment');

$b = 'comment=slot+gacor';
$r = form('/', $b);
decided($r, 200, 'hold', 6, '2', 'score 6 is held');
reached_backend($r, $b, 'hold', 6, '2', 'held comment');

$b = 'comment=casino+dan+slot+gacor';
$r = form('/', $b);
decided($r, 200, 'hold', 9, '1,2', 'two rules add up below reject');
reached_backend($r, $b, 'hold', 9, '1,2', 'two rules');

$b = 'comment=slot+gacor+pinjol';
$r = form('/', $b);
decided($r, 403, 'reject', 10, '2,4', 'score equal to reject is rejected');
isnt($r->{h}{'x-backend-method'}, 'POST',
     'rejected comment did not reach the backend');

$b = 'comment=judi+online+terpercaya';
$r = form('/', $b);
decided($r, 403, 'reject', 12, '3', 'one heavy rule rejects');
ok(!defined $r->{h}{'x-backend-method'},
   'rejected comment did not reach the backend');
unlike($r->{body}, qr/judi online/, 'rejected body is not echoed');

$b = 'comment=casino+slot+gacor+judi+online+togel+pinjol';
$r = form('/', $b);
decided($r, 403, 'reject', 30, '1,2,3,4,5', 'all rules count once each');

$b = 'comment=casino+casino+casino+casino';
$r = form('/', $b);
decided($r, 200, 'pass', 3, '1', 'a rule counts once however often it hits');

$b = 'title=casino&comment=casino';
$r = form('/', $b);
decided($r, 200, 'pass', 3, '1', 'a rule counts once across fields');

$r = form('/', '');
decided($r, 200, 'pass', 0, '', 'empty POST passes');
is($r->{h}{'x-backend-method'}, 'POST', 'empty POST reached the backend');


# configured thresholds: hold 3, reject 6

$r = form('/thresholds/', 'comment=hello');
decided($r, 200, 'pass', 0, '', 'thresholds: clean passes');

$r = form('/thresholds/', 'comment=casino');
decided($r, 200, 'hold', 3, '1', 'thresholds: 3 is held');

$r = form('/thresholds/', 'comment=pinjol');
decided($r, 200, 'hold', 4, '4', 'thresholds: 4 is held');

$r = form('/thresholds/', 'comment=slot+gacor');
decided($r, 403, 'reject', 6, '2', 'thresholds: 6 is rejected');


# detect mode: decides and reports, never rejects

$b = 'comment=judi+online';
$r = form('/detect/', $b);
decided($r, 200, 'reject', 12, '3', 'detect: reject decision, not enforced');
reached_backend($r, $b, 'reject', 12, '3', 'detect');

$b = 'comment=slot+gacor';
$r = form('/detect/', $b);
decided($r, 200, 'hold', 6, '2', 'detect: hold');
reached_backend($r, $b, 'hold', 6, '2', 'detect hold');


# reject_status

$r = form('/status/', 'comment=judi+online');
decided($r, 451, 'reject', 12, '3', 'reject_status 451');
ok(!defined $r->{h}{'x-backend-method'}, '451: backend not reached');

$r = form('/status/', 'comment=slot+gacor');
decided($r, 200, 'hold', 6, '2', 'reject_status does not change hold');


# only POST is inspected

my ($status, $h, $body) = CMTest::parse_response(
    $t->http_get('/?comment=judi+online'));
is($status, 200, 'GET with spam in the query passes');
is($h->{'x-backend-method'}, 'GET', 'GET reached the backend');
ok(!defined $h->{'x-decision'}, 'GET: decision empty');
ok(!defined $h->{'x-backend-moderation'}, 'GET: no moderation header');

for my $method (qw(PUT PATCH DELETE)) {
    ($status, $h, $body) = CMTest::parse_response($t->http_post('/',
        'comment=judi+online', -method => $method,
        'Content-Type' => 'application/x-www-form-urlencoded'));
    is($status, 200, "$method with spam passes");
    is($h->{'x-backend-method'}, $method, "$method reached the backend");
    is($body, 'comment=judi+online', "$method body unchanged");
    ok(!defined $h->{'x-decision'}, "$method: decision empty");
}


# off by default, off explicitly, inherited by nested locations

for my $uri ('/off/', '/explicit-off/', '/nested/off/') {
    $r = form($uri, 'comment=judi+online');
    is($r->{status}, 200, "$uri: spam passes");
    is($r->{body}, 'comment=judi+online', "$uri: body echoed");
    ok(!defined $r->{h}{'x-decision'}, "$uri: decision empty");
    ok(!defined $r->{h}{'x-backend-moderation'},
       "$uri: no moderation header at the backend");
}

$r = form('/nested/', 'comment=judi+online');
decided($r, 403, 'reject', 12, '3', 'nested parent location inspects');

$r = form('/nested/inherit/', 'comment=judi+online');
decided($r, 403, 'reject', 12, '3', 'nested location inherits on');



# keepalive and pipelining: the body is read once, the next request on the
# connection starts where it ends

sub form_request {
    my ($uri, $body, $conn) = @_;
    return "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: $conn\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . 'Content-Length: ' . length($body) . "\r\n\r\n" . $body;
}

my @res = CMTest::parse_responses($t->http(
    form_request('/', 'comment=judi+online', 'keep-alive')
    . form_request('/', 'comment=slot+gacor', 'keep-alive')
    . form_request('/', 'comment=halo', 'keep-alive')
    . "GET /?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));

is(scalar @res, 4, 'pipelined: four responses');
is($res[0][0], 403, 'pipelined: first rejected');
is($res[0][1]{'x-decision'}, 'reject', 'pipelined: first decision');
is($res[1][0], 200, 'pipelined: second held and passed');
is($res[1][1]{'x-decision'}, 'hold', 'pipelined: second decision');
is($res[1][2], 'comment=slot+gacor', 'pipelined: second body echoed');
is($res[2][1]{'x-decision'}, 'pass', 'pipelined: third decision');
is($res[2][2], 'comment=halo', 'pipelined: third body echoed');
is($res[3][1]{'x-backend-method'}, 'GET', 'pipelined: GET after them');
ok(!defined $res[3][1]{'x-decision'}, 'pipelined: GET not inspected');

$t->done_testing;
