#!/usr/bin/perl

# comment_moderation_match_limit and comment_moderation_undecided: a rule
# whose regex backtracks past the PCRE2 match limit is undecided.  By
# default that holds a comment the score would pass; "reject" rejects it;
# "pass" keeps the old way (the rule counts as not matched).  Never more
# lenient than the score: a reject stays a reject.  Each case is counted
# in the status page and named in a warn line and in the decision line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(time);
use CMTest;

my $t = CMTest->new;

# ^(a|aa)+$ on "aaaa...!" backtracks exponentially, as does (\w+\s?)+$
# on a run of words that ends in a symbol
$t->write_file('limit.rules', join "\n",
    're 90 12 /^(a|aa)+$/',
    're 91  6 /slot gacor/',
    're 92  3 /(\w+\s?)+$/ field=title2',
    're 93 12 /judi online/',
    '');

my $port2 = CMTest::free_port();

my $conf = <<'END';
    comment_moderation_match_limit 1000;

    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_rules limit.rules;

        location / {
            comment_moderation on;
            %%PROXY%%
        }

        location /reject/ {
            comment_moderation on;
            comment_moderation_undecided reject;
            %%PROXY%%
        }

        location /pass/ {
            comment_moderation on;
            comment_moderation_undecided pass;
            %%PROXY%%
        }

        location /detect/ {
            comment_moderation on;
            comment_moderation_undecided reject;
            comment_moderation_mode detect;
            %%PROXY%%
        }

        location = /status {
            comment_moderation_status;
        }
    }

    server {
        listen 127.0.0.1:%%PORT2%%;
        comment_moderation_rules limit.rules;
        comment_moderation_undecided reject;

        location / {
            comment_moderation on;
            %%PROXY%%
        }
    }
END

$conf =~ s/%%PORT2%%/$port2/g;
$t->write_config($conf)->run;

my $PATHO = 'title=' . ('a' x 40) . '!';
my $WORDS = 'title2=' . ('kata ' x 12) . 'lagi!';


sub post {
    my ($uri, $body, %h) = @_;
    my ($status, $h, $resp) = CMTest::parse_response($t->http_post($uri,
        $body, 'Content-Type' => 'application/x-www-form-urlencoded', %h));
    return ($status, $h, $resp);
}

sub undecided_total {
    my (undef, undef, $body) = CMTest::parse_response($t->http_get('/status'));
    return ($body // '') =~ /^comment_moderation_undecided_total (\d+)$/m
        ? $1 : undef;
}

# the decision line and the warn line of one post
sub post_logged {
    my ($uri, $body, %h) = @_;
    my $mark = $t->log_mark;
    my ($status, $h) = post($uri, $body, %h);
    my $log = $t->wait_log($mark, qr/decision=/);
    my ($line) = $log =~ /^(.*comment moderation: decision=.*)$/m;
    my ($warn) = $log =~ /^(.*\[warn\].*undecided.*)$/m;
    return ($status, $h, $line // '', $warn // '');
}


my ($status, $h) = post('/', 'title=aaaa');
is($h->{'x-rules'}, '90', 'the pattern matches a short input');
is($status, 403, 'and rejects it');

is(undecided_total(), 0, 'nothing undecided yet');


# default: hold

my $t0 = time;
my ($line, $warn);
($status, $h, $line, $warn) = post_logged('/', "comment=halo&$PATHO");
my $took = time - $t0;

is($status, 200, 'default, limit hit: not rejected');
is($h->{'x-decision'}, 'hold', 'default, limit hit: held');
is($h->{'x-backend-moderation'}, 'hold', 'default: the backend is told hold');
is($h->{'x-backend-length'}, length("comment=halo&$PATHO"),
   'default: the backend gets the body');
is($h->{'x-score'}, 0, 'default: the score is what matched');
is($h->{'x-rules'} // '', '', 'default: no rule counted as matched');
ok($took < CMTest::scaled(2), 'limit hit: answered quickly');
like($warn, qr/\[warn\].*undecided:\ rules=90\ hit\ the\ PCRE2\ match\ limit;
               \ the\ score\ gives\ pass,\ decision\ hold
               \ \(comment_moderation_undecided\ hold\)/x,
     'default: warn line names the rule and the decision');
like($line, qr/\[info\].*decision=hold\ score=0\ rules=-\ field=-\ mode=enforce
               \ undecided=90\b/x,
     'default: the decision line says undecided=90');
is(undecided_total(), 1, 'counted in comment_moderation_undecided_total');

($status, $h, $line) = post_logged('/', "$WORDS&komentar=x");
is($h->{'x-decision'}, 'hold', 'default, (\w+\s?)+$ limited: held');
like($line, qr/undecided=92\b/, '(\w+\s?)+$: the decision line names it');

# other rules still count, and the stricter of the two wins
($status, $h) = post('/', "comment=slot+gacor&$PATHO");
is($h->{'x-decision'}, 'hold', 'limit hit with a hold by score: hold');
is($h->{'x-rules'}, '91', 'limit hit: the other rule counted');

($status, $h, $line) = post_logged('/', "comment=judi+online&$PATHO");
is($status, 403, 'limit hit with a reject by score: still rejected');
like($line, qr/decision=reject score=12 rules=93 .*undecided=90\b/,
     'reject by score: logged with undecided=90');

my ($s2, $h2, $l2) = post_logged('/', 'comment=halo');
like($l2, qr/decision=pass .*undecided=-,/, 'a plain pass: undecided=-');
is(undecided_total(), 4, 'three more undecided comments counted');


# reject

($status, $h, $line, $warn) = post_logged('/reject/', "comment=halo&$PATHO");
is($status, 403, 'undecided reject: 403');
is($h->{'x-decision'}, 'reject', 'undecided reject: decision reject');
is($h->{'x-backend-length'}, undef, 'undecided reject: backend not reached');
like($warn, qr/the\ score\ gives\ pass,\ decision\ reject
               \ \(comment_moderation_undecided\ reject\)/x,
     'undecided reject: warn line');
like($line, qr/decision=reject score=0 rules=- .*undecided=90\b/,
     'undecided reject: decision line');

($status, $h) = post('/reject/', 'comment=halo');
is($status, 200, 'undecided reject: a decided comment passes');
is($h->{'x-decision'}, 'pass', 'undecided reject: pass');

my $body = "comment=halo&$PATHO";
($status) = CMTest::parse_response($t->http(
    "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Content-Type: application/x-www-form-urlencoded\r\n"
    . 'Content-Length: ' . length($body) . "\r\n\r\n$body", port => $port2));
is($status, 403, 'undecided reject inherited from the server block');

($status, $h) = post('/detect/', "comment=halo&$PATHO");
is($status, 200, 'undecided reject in detect mode: not enforced');
is($h->{'x-decision'}, 'reject', 'detect mode: says reject');


# pass: as before

($status, $h, $line, $warn) = post_logged('/pass/', "comment=halo&$PATHO");
is($status, 200, 'undecided pass: 200');
is($h->{'x-decision'}, 'pass', 'undecided pass: passed');
is($h->{'x-backend-moderation'}, 'pass', 'undecided pass: backend told pass');
like($warn, qr/decision pass \(comment_moderation_undecided pass\)/,
     'undecided pass: still a warn line');
like($line, qr/decision=pass .*undecided=90\b/,
     'undecided pass: still in the decision line');

($status, $h) = post('/pass/', "comment=slot+gacor&$PATHO");
is($h->{'x-decision'}, 'hold', 'undecided pass: other rules still count');

my $total = undecided_total();
is($total, 9, 'every undecided comment counted, whatever the setting');


# a bad value

my $bad = CMTest->new;
$bad->write_file('limit.rules', "re 1 5 /x/\n");
$bad->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_rules limit.rules;
        comment_moderation_undecided maybe;
    }
END
$bad->expect_emerg;
my ($rc, $out) = $bad->test_config;
isnt($rc, 0, 'comment_moderation_undecided maybe: nginx -t fails');
like($out, qr/invalid value "maybe".*nginx\.conf:\d+/,
     'comment_moderation_undecided maybe: names the value and the line');
$bad->stop;

$t->done_testing;
