#!/usr/bin/perl

# comment_moderation_match_limit: a rule whose regex backtracks past the
# PCRE2 match limit counts as not matched, says so in a warn line, and the
# other rules still count.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(time);
use CMTest;

my $t = CMTest->new;

# ^(a|aa)+$ on "aaaa...!" backtracks exponentially
$t->write_file('limit.rules', join "\n",
    're 90 12 /^(a|aa)+$/',
    're 91  6 /slot gacor/',
    '');

$t->write_config(<<'END');
    comment_moderation_match_limit 1000;

    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_rules limit.rules;

        location / {
            comment_moderation on;
            %%PROXY%%
        }
    }
END

$t->run;

sub post {
    my ($body) = @_;
    my ($status, $h) = CMTest::parse_response($t->http_post('/', $body,
        'Content-Type' => 'application/x-www-form-urlencoded'));
    return ($status, $h);
}

my ($status, $h) = post('title=aaaa');
is($h->{'x-rules'}, '90', 'the pattern matches a short input');
is($status, 403, 'and rejects it');

my $mark = $t->log_mark;
my $t0 = time;
($status, $h) = post('comment=slot+gacor&title=' . ('a' x 40) . '!');
my $took = time - $t0;

is($status, 200, 'limit hit: not rejected');
is($h->{'x-decision'}, 'hold', 'limit hit: other rules still count');
is($h->{'x-rules'}, '91', 'limit hit: rule counted as not matched');
ok($took < CMTest::scaled(2), 'limit hit: answered quickly');
like($t->wait_log($mark, qr/match limit/),
     qr/\[warn\].*rule 90 .*match limit/, 'limit hit: warn line names the rule');

$t->done_testing;
