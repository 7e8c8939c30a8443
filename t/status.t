#!/usr/bin/perl

# comment_moderation_status: counters by decision, per rule, for detect
# mode and malformed bodies, shared by the workers and kept across a
# reload; only GET and HEAD.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use CMTest;

my $t = CMTest->new;

$t->write_config(<<'END');
    comment_moderation_rules %%RULES%%/basic.rules;

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

        location = /status {
            comment_moderation_status;
        }
    }
END

$t->run;


sub post {
    my ($uri, $body, $type) = @_;

    my ($status) = CMTest::parse_response($t->http_post($uri, $body,
        'Content-Type' => $type || 'application/x-www-form-urlencoded'));
    return $status;
}

sub metrics {
    my ($status, $h, $body) = CMTest::parse_response($t->http_get('/status'));
    my %m;

    for (split /\n/, $body // '') {
        next if /^#/;
        $m{$1} = $2 if /^(\S+) (\d+)$/;
    }

    return ($status, $h, \%m);
}

my ($status, $h, $m) = metrics();

is($status, 200, 'status page answers');
like($h->{'content-type'}, qr{^text/plain}, 'in Prometheus text format');
is($m->{'comment_moderation_decisions_total{decision="pass"}'}, 0,
   'no decision counted before the first comment');

is(post('/c', 'comment=halo'), 200, 'a clean comment passes');
is(post('/c', 'comment=togel'), 200, 'a held comment passes');
is(post('/c', 'comment=judi+online'), 403, 'a spam comment is rejected');
is(post('/c', 'comment=judi+online+togel'), 403, 'another is rejected');
is(post('/detect/c', 'comment=judi+online'), 200, 'detect mode passes');
is(post('/c', '{"comment": "judi online', 'application/json'), 403,
   'a broken JSON body is still inspected');

($status, $h, $m) = metrics();

is($m->{'comment_moderation_decisions_total{decision="pass"}'}, 1, 'pass');
is($m->{'comment_moderation_decisions_total{decision="hold"}'}, 1, 'hold');
is($m->{'comment_moderation_decisions_total{decision="reject"}'}, 4,
   'reject, detect mode included');
is($m->{'comment_moderation_decisions_total{decision="limit"}'}, 0, 'limit');
is($m->{'comment_moderation_detect_only_total'}, 1, 'detect-only rejects');
is($m->{'comment_moderation_malformed_bodies_total'}, 1, 'malformed bodies');
is($m->{'comment_moderation_rule_hits_total{rule="3"}'}, 4,
   'hits of rule 3');
is($m->{'comment_moderation_rule_hits_total{rule="5"}'}, 2,
   'hits of rule 5');
ok(!exists $m->{'comment_moderation_rule_hits_total{rule="1"}'},
   'a rule that never matched is not listed');

$t->reload;

is(post('/c', 'comment=halo'), 200, 'a clean comment after a reload');

($status, $h, $m) = metrics();

is($m->{'comment_moderation_decisions_total{decision="pass"}'}, 2,
   'counters survive a reload');

($status) = CMTest::parse_response($t->http_post('/status', 'x=1'));
is($status, 405, 'POST to the status page is not allowed');

$t->done_testing;
