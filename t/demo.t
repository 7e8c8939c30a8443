#!/usr/bin/perl

# The demo site as shipped (config/nginx.conf, config/backend.pl, Redis):
# the backend reads the module's decision from the headers nginx sets, so
# a clean comment is published, a held one is queued for a moderator and
# never shown (the page says it waits), and a rejected one never reaches
# the backend.  The JSON access log has a line for each post, with its
# decision, score, rules and tags.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use CMTest;
use CMDemo;

plan skip_all => 'redis-server is not installed'
    unless -x '/usr/bin/redis-server';

my $t = CMDemo::start();

my $FORM = 'application/x-www-form-urlencoded';

sub get {
    my ($uri) = @_;
    return CMTest::parse_response($t->http_get($uri));
}

sub post {
    my ($body) = @_;
    return CMTest::parse_response($t->http_post('/komentar', $body,
        'Content-Type' => $FORM,
        Referer => 'http://localhost/'));
}


my ($s, $h, $b) = get('/');
is($s, 200, 'the article page');
like($b, qr/Tulis komentar/, 'with its comment form');
like($b, qr/Belum ada komentar/, 'and no comment yet');


# clean: published

($s, $h) = post('nama=Budi&komentar=Polisi+harus+memberantas+judi+online'
                . '+sampai+tuntas');
is($s, 303, 'clean comment: redirected back');
is($h->{location}, '/?shown', 'to the page, as published');

($s, $h, $b) = get('/?shown');
like($b, qr/<b>Budi<\/b>: Polisi harus memberantas judi online/,
     'clean comment listed');
like($b, qr/komentar Anda sudah dimuat/, 'the page says it is published');


# held: queued, never shown

($s, $h) = post('nama=Ani&komentar=polisi+goblok');
is($s, 303, 'held comment: redirected back');
is($h->{location}, '/?held', 'to the page, as held');

($s, $h, $b) = get('/?held');
like($b, qr/menunggu persetujuan moderator/,
     'the page says it waits for a moderator');
unlike($b, qr/goblok/, 'the held comment is not on the page');
like($b, qr/1 komentar menunggu moderasi/, 'one comment in the queue');

($s, $h, $b) = get('/');
unlike($b, qr/goblok/, 'nor later');
like($b, qr/Polisi harus memberantas/, 'the clean one still is');


# rejected: answered by the module, never stored

($s, $h, $b) = post('nama=X&komentar=daftar+sekarang+di+situs+slot+gacor'
                    . '%2C+pasti+maxwin');
is($s, 403, 'gambling spam rejected by the module');


my @c = CMDemo::comments($t);
is(scalar @c, 2, 'the backend stored two comments');
is_deeply([map { [$_->{state}, $_->{score}, $_->{rules}] } @c],
          [['shown', 0, '3001,3004,3005'], ['held', 5, '2101']],
          'with the decision, score and rules nginx passed')
    or diag(explain(\@c));


# the moderators' JSON log: a line a post, with what was decided; the
# tags of the rules as comment-check --list gives them

my (undef, $list) = CMTest::run_cmd("$CMTest::REPO/build/comment-check",
                                    '-r', "$CMTest::REPO/rules/main.rules",
                                    '--list');
my %tag;
for (split /\n/, $list) {
    $tag{$1} = $2 if /^(\d+)\s+\S+\s+(\S+)/;
}

my @log;
CMTest::wait_for(sub {
    @log = map { eval { JSON::PP->new->decode($_) } || { bad => $_ } }
           split /\n/, $t->read_file('comments.json');
    return @log == 3;
});

is(scalar @log, 3, 'comments.json: a line for each of the three posts');
ok(!grep({ $_->{bad} } @log), 'each line is JSON')
    or diag(explain(\@log));

sub tags_of {
    my %seen;
    return join ',', grep { $_ ne '-' && !$seen{$_}++ }
                     map { $tag{$_} // '?' } split /,/, $_[0];
}

is_deeply([map { [@$_{qw(decision score rules status)}] } @log],
          [['pass', '0', '3001,3004,3005', 303], ['hold', '5', '2101', 303],
           ['reject', $log[2]{score}, $log[2]{rules}, 403]],
          'decision, score, rules and status of each');
ok($log[2]{score} >= 10, "the reject's score: $log[2]{score}");
is_deeply([map { $_->{tags} } @log], [map { tags_of($_->{rules}) } @log],
          'the tags of the rules that matched');
like($log[2]{tags}, qr/\bgambling\b/, 'the spam is tagged gambling');
ok(!grep({ $_->{inspect_ms} !~ /^\d+\.\d{3}$/ } @log),
   'inspect_ms: milliseconds, three decimals');

$t->done_testing;
