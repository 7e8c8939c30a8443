#!/usr/bin/perl

# The status page's histogram of inspection time and its per-tag counters,
# and the variables $comment_moderation_time and _tags in the JSON access
# log of config/nginx.conf, through two workers:
#
# - the histogram counts every inspected post and nothing else (not a GET,
#   not a post refused by the Redis rate limit), its buckets are
#   cumulative, and each bucket and the sum are what the posts' own
#   $comment_moderation_time in the JSON log add up to;
# - each tag counts the comments a rule of it matched, once a comment, by
#   decision, for the rule sets of two locations; only the loaded rules'
#   tags are listed;
# - after a reload (HUP) whose rules add a tag that sorts first and drop
#   one, every tag keeps its counts by name and goes on counting;
# - past 64 tags (or a tag too long), the rest count as tag="other",
#   logged once;
# - every line of the JSON log parses (JSON::PP) and carries the decision,
#   score, rules, tags and time of its post.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use CMTest;
use CMRedis;

my $FORM = 'application/x-www-form-urlencoded';
my $have_redis = -x '/usr/bin/redis-server';

diag('redis-server is not installed: the rate-limited posts are left out')
    unless $have_redis;


# the shipped log format, so that the test checks what config/ ships

sub shipped_log_format {
    open my $fh, '<', "$CMTest::REPO/config/nginx.conf"
        or die "cannot read config/nginx.conf: $!\n";
    my $conf = do { local $/; <$fh> };
    close $fh;

    my ($fmt) = $conf =~ /^\s*(log_format\s+comment_json\b.*?\}';)\s*$/ms
        or die "config/nginx.conf: no log_format comment_json\n";
    return $fmt;
}


# the tags a rule file gives its rules
sub rule_tags {
    my ($text) = @_;
    my %tags;
    $tags{$1} = 1 while $text =~ /^\s*(?:re|words)\s.*\btag=([\w-]+)/mg;
    return \%tags;
}


# the status page: {decisions}, {hist} [[le, n]...], {sum}, {count},
# {tags}{TAG}{DECISION}, {types}{NAME}
sub status_page {
    my ($t) = @_;

    my ($status, undef, $body) =
        CMTest::parse_response($t->http_get('/status'));
    die "status page: $status\n" unless defined $status && $status == 200;

    my %m = (hist => [], tags => {}, decisions => {}, types => {});

    for (split /\n/, $body) {
        if (/^# TYPE (\S+) (\S+)$/) {
            $m{types}{$1} = $2;
            next;
        }

        my ($name, $labels, $value) = /^(\w+)(?:\{(.*)\})? (\S+)$/ or next;
        my %l = $labels ? $labels =~ /(\w+)="([^"]*)"/g : ();

        if ($name eq 'comment_moderation_inspect_seconds_bucket') {
            push @{ $m{hist} }, [$l{le}, $value];
        } elsif ($name eq 'comment_moderation_inspect_seconds_sum') {
            $m{sum} = $value;
        } elsif ($name eq 'comment_moderation_inspect_seconds_count') {
            $m{count} = $value;
        } elsif ($name eq 'comment_moderation_tag_total') {
            $m{tags}{ $l{tag} }{ $l{decision} } = $value;
        } elsif ($name eq 'comment_moderation_decisions_total') {
            $m{decisions}{ $l{decision} } = $value;
        }
    }

    return \%m;
}


# the JSON log's lines, parsed; dies on a line that is not JSON
sub json_log {
    my ($t, $file) = @_;
    my $json = JSON::PP->new;
    return map { $json->decode($_) } split /\n/, $t->read_file($file);
}


# expected counts from the posts made: {TAG}{DECISION}
sub tally {
    my (@posts) = @_;
    my %n;
    for my $p (@posts) {
        next if $p->{decision} eq 'limit';
        $n{$_}{ $p->{decision} }++ for @{ $p->{tags} };
    }
    return \%n;
}


sub usec_of {
    my ($ms) = @_;
    my ($i, $f) = $ms =~ /^(\d+)\.(\d{3})$/ or return undef;
    return $i * 1000 + $f;
}


###########################################################################
# two locations, two rule sets; a rate-limited one with Redis

my $t = CMTest->new(workers => 2);

my $redis_conf = '';
my $limited_loc = '';

if ($have_redis) {
    my $port = CMTest::free_port();
    CMRedis::start_server($t->dir, $port);
    # a timeout that survives valgrind
    my $ms = int(CMTest::scaled(1) * 1000);
    $redis_conf = "comment_moderation_redis 127.0.0.1:$port "
                  . "timeout=${ms}ms prefix=sm:;";
    $limited_loc = <<'END';
        location /limited/ {
            comment_moderation_rules %%RULES%%/basic.rules;
            comment_moderation on;
            comment_moderation_limit key=$http_x_client rate=1r/h burst=1;
            access_log %%TESTDIR%%/comments.json comment_json;
            %%PROXY%%
        }
END
}

my $forum_v1 = <<'END';
# the forum's own rules
re 101   5  /goblok/           tag=abuse
re 102  12  /bangsat/          tag=abuse
re 103   6  /https?:\/\//      tag=link
re 104  -3  /menurut saya/     tag=opinion
re 105   1  /zzz-never-zzz/    tag=neverhit
END
$t->write_file('forum.rules', $forum_v1);

my $fmt = shipped_log_format();

$t->write_config(<<"END");
    $fmt
    $redis_conf

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location /news/ {
            comment_moderation_rules %%RULES%%/basic.rules;
            comment_moderation on;
            access_log %%TESTDIR%%/comments.json comment_json;
            %%PROXY%%
        }

        location /forum/ {
            comment_moderation_rules %%TESTDIR%%/forum.rules;
            comment_moderation on;
            access_log %%TESTDIR%%/comments.json comment_json;
            %%PROXY%%
        }
$limited_loc
        location = /status {
            comment_moderation_status;
        }
    }
END

$t->run;

my $basic = $t->read_file($t->rules_dir . '/basic.rules');
my %known = (%{ rule_tags($basic) }, %{ rule_tags($forum_v1) });

my $m = status_page($t);

is($m->{types}{comment_moderation_inspect_seconds}, 'histogram',
   'inspect_seconds is a histogram');
is($m->{types}{comment_moderation_tag_total}, 'counter',
   'tag_total is a counter');
is($m->{count}, 0, 'nothing inspected yet');
is_deeply([sort keys %{ $m->{tags} }], [sort keys %known],
          'every tag of both rule sets listed from the start, no other')
    or diag(explain($m->{tags}));
ok(!grep({ $_ } map { values %$_ } values %{ $m->{tags} }),
   'all at zero');


# the posts: where, what, and what the rules make of it

my @posts = (
    { uri => '/news/1', body => 'comment=halo',
      decision => 'pass', score => 0, rules => '', tags => [] },
    { uri => '/news/2', body => 'comment=casino',
      decision => 'pass', score => 3, rules => '1', tags => ['gambling'] },
    { uri => '/news/3', body => 'comment=togel',
      decision => 'hold', score => 5, rules => '5', tags => ['gambling'] },
    { uri => '/news/4', body => 'comment=judi+online',
      decision => 'reject', score => 12, rules => '3',
      tags => ['gambling'] },
    { uri => '/news/5', body => 'comment=judi+online+togel+slot+gacor',
      decision => 'reject', score => 23, rules => '2,3,5',
      tags => ['gambling'] },
    { uri => '/news/6', body => 'comment=pinjol+casino',
      decision => 'hold', score => 7, rules => '1,4',
      tags => ['gambling', 'loan'] },
    { uri => '/news/7', body => '{"comment": "judi online"}',
      type => 'application/json',
      decision => 'reject', score => 12, rules => '3',
      tags => ['gambling'] },
    # long enough to take the histogram past its first buckets
    { uri => '/news/long', body => 'comment=' . ('kata+biasa+saja+' x 40000)
                                   . 'togel',
      decision => 'hold', score => 5, rules => '5', tags => ['gambling'] },
    { uri => '/forum/1', body => 'comment=dasar+goblok',
      decision => 'hold', score => 5, rules => '101', tags => ['abuse'] },
    { uri => '/forum/2',
      body => 'comment=bangsat+lihat+https%3A%2F%2Fx.example',
      decision => 'reject', score => 18, rules => '102,103',
      tags => ['abuse', 'link'] },
    { uri => '/forum/3', body => 'comment=menurut+saya+goblok',
      decision => 'pass', score => 2, rules => '101,104',
      tags => ['abuse', 'opinion'] },
    { uri => '/forum/4', body => 'comment=togel',
      decision => 'pass', score => 0, rules => '', tags => [] },
);

if ($have_redis) {
    push @posts,
        { uri => '/limited/1', body => 'comment=togel', client => 'a',
          decision => 'hold', score => 5, rules => '5',
          tags => ['gambling'] },
        { uri => '/limited/2', body => 'comment=judi+online', client => 'a',
          decision => 'limit', score => 0, rules => '', tags => [] };
}


sub post_all {
    my ($t, @list) = @_;

    for my $p (@list) {
        my ($status) = CMTest::parse_response($t->http_post($p->{uri},
            $p->{body}, 'Content-Type' => $p->{type} || $FORM,
            $p->{client} ? ('X-Client' => $p->{client}) : ()));
        $p->{status} = $status;
    }
}

post_all($t, @posts);

is_deeply([map { $_->{status} } @posts],
          [map { { pass => 200, hold => 200, reject => 403,
                   limit => 429 }->{ $_->{decision} } } @posts],
          'each post answered as its decision says');

# a GET is not inspected
my ($gs) = CMTest::parse_response($t->http_get('/news/get'));
is($gs, 200, 'a GET passes uninspected');

my $inspected = grep { $_->{decision} ne 'limit' } @posts;

# the log line of the last request is written when it ends
my @log;
CMTest::wait_for(sub {
    @log = json_log($t, 'comments.json');
    return @log == @posts + 1;
});
is(scalar @log, @posts + 1, 'one JSON log line per request')
    or diag($t->read_file('comments.json'));

$m = status_page($t);


# the histogram

subtest 'histogram of inspection time' => sub {
    my @h = @{ $m->{hist} };

    is($m->{count}, $inspected, '_count: every inspected post, once');
    is($m->{count}, $m->{decisions}{pass} + $m->{decisions}{hold}
                    + $m->{decisions}{reject},
       '_count is the decisions by the rules');
    is($h[-1][0], '+Inf', 'the last bucket is +Inf');
    is($h[-1][1], $m->{count}, '+Inf equals _count');
    ok(@h >= 10, 'buckets from 50 us on: ' . scalar @h);
    is($h[0][0], '0.00005', 'the first bound is 50 us');

    my $ok = 1;
    for my $i (1 .. $#h - 1) {
        $ok &&= $h[$i][0] > $h[$i - 1][0];
    }
    ok($ok, 'bounds increase');

    $ok = 1;
    $ok &&= $h[$_][1] >= $h[$_ - 1][1] for 1 .. $#h;
    ok($ok, 'cumulative: counts never decrease')
        or diag(explain(\@h));

    ok($m->{sum} > 0, "_sum is above 0: $m->{sum} s");
};


# the JSON log, line by line against the posts

my %by_uri = map { $_->{uri} => $_ } @log;

subtest 'JSON log: each post with its decision' => sub {
    for my $p (@posts) {
        my $l = $by_uri{ $p->{uri} };

        ok($l, "$p->{uri}: logged") or next;

        is($l->{decision}, $p->{decision}, "$p->{uri}: decision");
        is($l->{score}, "$p->{score}", "$p->{uri}: score");
        is($l->{rules}, $p->{rules}, "$p->{uri}: rules");
        is($l->{tags}, join(',', @{ $p->{tags} }), "$p->{uri}: tags");
        is($l->{status}, $p->{status}, "$p->{uri}: status");
        is($l->{method}, 'POST', "$p->{uri}: method");

        if ($p->{decision} eq 'limit') {
            is($l->{inspect_ms}, '', "$p->{uri}: a limited post, no time");
            like($l->{retry_after}, qr/^\d+$/, "$p->{uri}: retry_after");
        } else {
            like($l->{inspect_ms}, qr/^\d+\.\d{3}$/,
                 "$p->{uri}: inspect_ms in ms, 3 decimals");
            is($l->{retry_after}, '', "$p->{uri}: no retry_after");
        }
    }

    my $g = $by_uri{'/news/get'};
    is($g->{decision}, '', 'GET: no decision');
    is($g->{inspect_ms}, '', 'GET: no time');

    my %ids = map { $_->{request_id} => 1 } @log;
    is(scalar keys %ids, scalar @log, 'request ids differ');
    ok(!grep({ $_->{request_id} !~ /^[0-9a-f]{32}$/ } @log),
       'request ids are 32 hex digits');
    ok(!grep({ $_->{time} !~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/ }
             @log), 'times are ISO 8601');
    ok(!grep({ $_->{remote_addr} ne '127.0.0.1' } @log), 'remote_addr');
};


# the histogram is what the posts' own times add up to

subtest 'histogram agrees with $comment_moderation_time' => sub {
    my @usec = grep { defined } map { usec_of($_->{inspect_ms}) } @log;

    is(scalar @usec, $inspected, 'a time for each inspected post');

    my $sum = 0;
    $sum += $_ for @usec;
    is(sprintf('%.6f', $sum / 1e6), $m->{sum}, "_sum: $sum us");

    for my $b (@{ $m->{hist} }) {
        my $n = $b->[0] eq '+Inf' ? @usec
                : grep { $_ <= $b->[0] * 1e6 + 0.5 } @usec;
        is($b->[1], $n, "le=$b->[0]: $n posts");
    }
};


# the tags

my $want = tally(@posts);

sub tags_are {
    my ($m, $want, $name) = @_;

    my %got;
    for my $tag (keys %{ $m->{tags} }) {
        for my $d (keys %{ $m->{tags}{$tag} }) {
            $got{$tag}{$d} = $m->{tags}{$tag}{$d}
                if $m->{tags}{$tag}{$d};
        }
    }

    is_deeply(\%got, $want, $name) or diag(explain($m->{tags}));
}

tags_are($m, $want, 'per tag and decision: the comments posted');
is($m->{tags}{gambling}{reject}, 3,
   'gambling: 3 rejects, the comment with three gambling rules once');
is($m->{tags}{abuse}{hold}, 1, 'abuse: 1 hold');
is($m->{tags}{neverhit}{pass}, 0, 'a tag that never matched: listed at 0');
ok(!grep({ !$known{$_} } keys %{ $m->{tags} }),
   'no tag the rules do not have, no "other"')
    or diag(join ' ', keys %{ $m->{tags} });
ok(!exists $m->{tags}{drugs},
   'a tag of rules not loaded here (drugs) is not listed');


###########################################################################
# a reload: a new tag that sorts first, a tag dropped; counts by name

my $before = $m;

$t->write_file('forum.rules', <<'END');
# the forum's rules, second version: "link" is gone, "aardvark" is new
re 101   5  /goblok/           tag=abuse
re 102  12  /bangsat/          tag=abuse
re 104  -3  /menurut saya/     tag=opinion
re 105   1  /zzz-never-zzz/    tag=neverhit
re 106   1  /aardvark/         tag=aardvark
END

is($t->reload, 1, 'reload (HUP) with new forum rules');

$m = status_page($t);

is($m->{count}, $before->{count}, 'the histogram survives the reload');
is($m->{sum}, $before->{sum}, 'and its sum');
is_deeply({ map { $_ => $m->{tags}{$_} } keys %{ $before->{tags} } },
          $before->{tags}, 'every tag keeps its counts by name')
    or diag(explain($m->{tags}));
is_deeply($m->{tags}{aardvark}, { pass => 0, hold => 0, reject => 0 },
          'the new tag is listed at 0');

my @more = (
    { uri => '/forum/5', body => 'comment=goblok+aardvark',
      decision => 'hold', score => 6, rules => '101,106',
      tags => ['abuse', 'aardvark'] },
    { uri => '/news/8', body => 'comment=judi+online',
      decision => 'reject', score => 12, rules => '3',
      tags => ['gambling'] },
    { uri => '/forum/6', body => 'comment=lihat+https%3A%2F%2Fx.example',
      decision => 'pass', score => 0, rules => '', tags => [] },
);

post_all($t, @more);

CMTest::wait_for(sub {
    @log = json_log($t, 'comments.json');
    return @log == @posts + @more + 1;
});

$m = status_page($t);

is($m->{count}, $before->{count} + @more, 'counting goes on after it');
tags_are($m, tally(@posts, @more),
         'each tag goes on from its own count, the new one from 0');
is($m->{tags}{link}{reject}, 1,
   'a dropped tag keeps its count and counts no more');

%by_uri = map { $_->{uri} => $_ } @log;
is($by_uri{'/forum/5'}{tags}, 'abuse,aardvark',
   'JSON log after the reload: tags in rule order');

unlike($t->error_log, qr/counted as tag="other"/,
       'no tag was counted as "other"');

$t->stop;


###########################################################################
# more tags than the table holds: the rest as "other", logged once

my $o = CMTest->new;

my $many = join '', map { sprintf "re %d 1 /\\bw%02d\\b/ tag=t%02d\n",
                                   $_ + 1, $_, $_ } 0 .. 65;
my $long = 'x' x 65;
$many .= "re 100 1 /\\blong\\b/ tag=$long\n";
$o->write_file('many.rules', $many);

$o->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_rules %%TESTDIR%%/many.rules;

        location / {
            comment_moderation on;
            %%PROXY%%
        }

        location = /status {
            comment_moderation_status;
        }
    }
END

$o->run;

post_all($o,
    { uri => '/1', body => 'comment=w00+w65' },
    { uri => '/2', body => 'comment=w64+w65+long' },
    { uri => '/3', body => 'comment=w63' });

$m = status_page($o);

my @named = grep { $_ ne 'other' } keys %{ $m->{tags} };
is(scalar @named, 64, '64 tags counted by name');
ok(!grep({ !/^t(?:[0-5]\d|6[0-3])$/ } @named),
   'the first 64 in order of name: t00 to t63');
is($m->{tags}{t00}{pass}, 1, 't00 by name');
is($m->{tags}{t63}{pass}, 1, 't63 by name');
is_deeply($m->{tags}{other}, { pass => 2, hold => 0, reject => 0 },
          'the rest as "other", once a comment');

my @warn = grep { /counted as tag="other"/ } split /\n/, $o->error_log;
is(scalar @warn, 1, 'logged once') or diag(join "\n", @warn);
like($warn[0] // '', qr/\[warn\].* 3 tags of the rules, "t64" first,/,
     'how many, and the first');

$o->done_testing;
