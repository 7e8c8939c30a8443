#!/usr/bin/perl

# Configuration of the fleet-wide defences: every argument of
# comment_moderation_duplicates, comment_moderation_penalty and the
# Sentinel form of comment_moderation_redis is checked by nginx -t, and
# each error is the whole emerg line, with the directive's FILE:LINE.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use CMTest;


my $t = CMTest->new;
my $d = $t->dir;

my $rules = $t->write_rules('fleet.rules', "# two rules\n\n"
    . "re 1 5 /slot gacor/\n"
    . "re 9001 3 /casino/\n");

# writes the config; returns "FILE:LINE" of the line that matches $at
sub conf {
    my ($http, $loc, $at) = @_;

    $t->write_config(<<"END");
    $http
    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_rules $rules;
        location / {
            comment_moderation on;
            $loc
            return 204;
        }
    }
END

    my @lines = split /\n/, $t->read_file($t->conf_path);
    my ($n) = grep { $lines[$_ - 1] =~ /\Q$at\E/ } 1 .. @lines;

    return $t->conf_path . ':' . ($n // 0);
}

sub emerg_at {
    my ($msg, $at) = @_;
    return qr/^nginx: \[emerg\] \Q$msg\E in \Q$at\E$/m;
}

sub config_fails {
    my ($re, $name) = @_;

    my ($rc, $out) = $t->test_config;

    subtest $name => sub {
        isnt($rc, 0, 'nginx -t fails');
        like($out, $re, 'with the message and the place');
    } or diag($out);
}

sub config_ok {
    my ($name) = @_;
    my ($rc, $out) = $t->test_config;
    is($rc, 0, $name) or diag($out);
}

my $redis = 'comment_moderation_redis 127.0.0.1:6399;';


# comment_moderation_duplicates

my $D = '"comment_moderation_duplicates"';
my $at;

conf($redis, 'comment_moderation_duplicates window=10m threshold=3 score=5 '
             . 'min_length=30 id=77 near=off;', 'x');
config_ok('duplicates: every parameter');

conf($redis, 'comment_moderation_duplicates off;', 'x');
config_ok('duplicates: off');

for my $case (
    ['window=10m threshold=3', "$D needs window=, threshold= and score="],
    ['window=0 threshold=3 score=5',
     "$D invalid window \"0\", expected a time from 1ms to 365d"],
    ['window=366d threshold=3 score=5',
     "$D invalid window \"366d\", expected a time from 1ms to 365d"],
    ['window=ten threshold=3 score=5',
     "$D invalid window \"ten\", expected a time from 1ms to 365d"],
    ['window=1m threshold=1 score=5',
     "$D invalid \"threshold=1\", expected threshold=2 to 1000000 copies"],
    ['window=1m threshold=3 score=0',
     "$D invalid \"score=0\", expected score=1 to 1000000"],
    ['window=1m threshold=3 score=-5',
     "$D invalid \"score=-5\", expected score=1 to 1000000"],
    ['window=1m threshold=3 score=5 min_length=0',
     "$D invalid \"min_length=0\", expected min_length=1 to 4096 characters"],
    ['window=1m threshold=3 score=5 min_length=5000',
     "$D invalid \"min_length=5000\", expected min_length=1 to 4096 "
     . 'characters'],
    ['window=1m threshold=3 score=5 id=0',
     "$D invalid \"id=0\", expected id=1 to 4294967295"],
    ['window=1m threshold=3 score=5 id=4294967296',
     "$D invalid \"id=4294967296\", expected id=1 to 4294967295"],
    ['window=1m threshold=3 score=5 near=maybe',
     'invalid parameter "near=maybe"'],
    ['window=1m threshold=3 score=5 bogus=1', 'invalid parameter "bogus=1"'],
  )
{
    my ($args, $msg) = @$case;
    $at = conf($redis, "comment_moderation_duplicates $args;",
               'comment_moderation_duplicates');
    config_fails(emerg_at($msg, $at), "duplicates $args");
}

$at = conf($redis, "comment_moderation_duplicates window=1m threshold=3 "
                   . "score=5;\n            comment_moderation_duplicates off;",
           'comment_moderation_duplicates off');
config_fails(emerg_at("$D directive is duplicate", $at),
             'duplicates twice in one block');

# the default id 9001 is also a rule's: both places named
$at = conf($redis, 'comment_moderation_duplicates window=1m threshold=3 '
                   . 'score=5;', 'comment_moderation_duplicates');
config_fails(qr/^nginx: \[emerg\] \Q$D id=9001 is also the id of the rule at $rules:4, give it another id= in $at\E$/m,
             'duplicates: an id a rule has');

conf('', 'comment_moderation_duplicates window=1m threshold=3 score=5 '
         . 'id=5;', 'x');
config_fails(qr/\[emerg\] \Q$D needs "comment_moderation_redis" in the http block\E/,
             'duplicates without Redis');


# comment_moderation_penalty

my $P = '"comment_moderation_penalty"';

conf($redis, 'comment_moderation_penalty key=$binary_remote_addr after=3 '
             . 'within=10m ban=1m max=1h;', 'x');
config_ok('penalty: every parameter');

for my $case (
    ['key=$binary_remote_addr after=3 within=10m',
     "$P needs key=, after=, within= and ban="],
    ['key= after=3 within=10m ban=1m', 'invalid parameter "key="'],
    ['key=$cookie_u after=0 within=10m ban=1m',
     "$P invalid \"after=0\", expected after=1 to 1000000 rejections"],
    ['key=$cookie_u after=3 within=0 ban=1m',
     "$P invalid \"within=0\", expected a time from 1ms to 365d"],
    ['key=$cookie_u after=3 within=10m ban=366d',
     "$P invalid \"ban=366d\", expected a time from 1ms to 365d"],
    ['key=$cookie_u after=3 within=10m ban=1m max=x',
     "$P invalid \"max=x\", expected a time from 1ms to 365d"],
    ['key=$cookie_u after=3 within=10m ban=1h max=1m',
     "$P max=60000ms is shorter than ban=3600000ms"],
    ['key=$cookie_u after=3 within=10m ban=1m forever',
     'invalid parameter "forever"'],
  )
{
    my ($args, $msg) = @$case;
    $at = conf($redis, "comment_moderation_penalty $args;",
               'comment_moderation_penalty');
    config_fails(emerg_at($msg, $at), "penalty $args");
}

$at = conf($redis, "comment_moderation_penalty key=\$cookie_u after=3 "
                   . "within=1m ban=1m;\n            comment_moderation_penalty "
                   . "key=\$cookie_u after=3 within=1m ban=1m max=1d;",
           'max=1d');
config_fails(emerg_at("duplicate $P", $at),
             'penalty: the same twice (max=1d is the default)');

conf('', 'comment_moderation_penalty key=$cookie_u after=3 within=1m '
         . 'ban=1m;', 'x');
config_fails(qr/\[emerg\] \Q$P needs "comment_moderation_redis" in the http block\E/,
             'penalty without Redis');


# comment_moderation_redis with Sentinel

my $R = '"comment_moderation_redis"';

conf('comment_moderation_redis sentinel=127.0.0.1:26379,127.0.0.1:26380 '
     . 'master=mymaster db=1 password=x timeout=50ms prefix=p:;',
     'comment_moderation_limit key=$cookie_u rate=1r/s;', 'x');
config_ok('sentinel: every parameter');

for my $case (
    ['sentinel=127.0.0.1:26379',
     "$R with sentinel= needs master=NAME, the name the sentinels monitor "
     . 'it by'],
    ['127.0.0.1:6379 master=mymaster', "$R master= is for sentinel="],
    ['127.0.0.1:6379 sentinel=127.0.0.1:26379 master=m',
     'invalid parameter "sentinel=127.0.0.1:26379"'],
    ['sentinel= master=m', 'invalid parameter "sentinel="'],
    ['sentinel=127.0.0.1:26379,,127.0.0.1:26380 master=m',
     'empty sentinel address in "127.0.0.1:26379,,127.0.0.1:26380"'],
    ['sentinel=127.0.0.1:99999 master=m',
     'invalid port in redis address "127.0.0.1:99999"'],
    ['sentinel=127.0.0.1:26379 master=', 'invalid parameter "master="'],
  )
{
    my ($args, $msg) = @$case;
    $at = conf("comment_moderation_redis $args;",
               'comment_moderation_limit key=$cookie_u rate=1r/s;',
               'comment_moderation_redis');
    config_fails(emerg_at($msg, $at), "redis $args");
}

$t->done_testing;
