#!/usr/bin/perl

# Configuration: nginx -t reports each kind of rule error with FILE:LINE
# (and the column for a regex); directive errors; rates and bursts Redis
# could not count with, named with FILE:LINE; relative rule paths
# resolve like include, against the directory of nginx.conf; a reload
# with broken rules keeps the old rules serving.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use CMTest;


# nginx -t: one instance, rewritten for each case

my $t = CMTest->new;
my $d = $t->dir;

sub conf_with {
    my ($directives, $loc) = @_;
    $loc //= '';
    $t->write_config(<<"END");
    server {
        listen 127.0.0.1:%%PORT%%;
        $directives
        location / {
            comment_moderation on;
            $loc
            return 204;
        }
    }
END
}

# writes a rules file with a comment header, so the bad line is not line 1
sub rules_file {
    my ($name, @lines) = @_;
    return $t->write_rules($name, join '', map { "$_\n" } @lines);
}

sub config_fails {
    my ($re, $name) = @_;

    my ($rc, $out) = $t->test_config;

    subtest $name => sub {
        isnt($rc, 0, 'nginx -t fails');
        like($out, qr/\[emerg\]/, 'an emerg message');
        like($out, $re, 'message names the place');
    } or diag($out);

    return $out;
}

sub config_ok {
    my ($name) = @_;
    my ($rc, $out) = $t->test_config;
    is($rc, 0, $name) or diag($out);
    return $out;
}


my $good = rules_file('good.rules',
    '# a valid file',
    '',
    're 1 5 /slot gacor/i tag=gambling msg="slot \"gacor\""',
    "words 2 3 $d/words.txt field=comment,title",
    're 3 12 /judi\s+online/ count=1');
$t->write_file('words.txt', "bandar\nbokep\n");

conf_with("comment_moderation_rules $good;");
config_ok('valid rules: nginx -t passes');


# rule file errors, each at a known line

my $f = rules_file('regex.rules',
    '# bad regex on line 4',
    're 1 5 /casino/',
    '',
    're 2 5 /slot(gacor/');
conf_with("comment_moderation_rules $f;");
my $out = config_fails(qr/\Q$f\E:4:\d+:/, 'bad regex: FILE:LINE:COLUMN');

$f = rules_file('option.rules',
    '# unknown option on line 3',
    're 1 5 /casino/',
    're 2 5 /slot/ colour=red');
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$f\E:3:/, 'unknown option: FILE:LINE');

$f = rules_file('keyword.rules',
    '# unknown rule type on line 2',
    'regex 1 5 /casino/');
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$f\E:2:/, 'unknown rule type: FILE:LINE');

$f = rules_file('score.rules',
    '',
    '',
    're 1 five /casino/');
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$f\E:3:/, 'score not a number: FILE:LINE');

$f = rules_file('dup.rules',
    '# duplicate id on line 5',
    're 1 5 /casino/',
    're 2 5 /slot/',
    '# comment',
    're 1 5 /togel/');
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$f\E:5:/, 'duplicate id: FILE:LINE of the second');

my $f1 = rules_file('dup1.rules', 're 7 5 /casino/');
my $f2 = rules_file('dup2.rules', '# line 1', 're 7 5 /togel/');
conf_with("comment_moderation_rules $f1;\n"
          . "        comment_moderation_rules $f2;");
config_fails(qr/\Q$f2\E:2:/, 'duplicate id across files of one block');

$f = rules_file('noinc.rules',
    're 1 5 /casino/',
    "include $d/does-not-exist.rules");
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$f\E:2:.*does-not-exist\.rules/,
             'missing include: FILE:LINE and the missing name');

$f = rules_file('nowords.rules',
    '# missing word list on line 2',
    "words 1 5 $d/no-such-list.txt");
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$f\E:2:.*no-such-list\.txt/,
             'missing word list: FILE:LINE and the missing name');

conf_with('comment_moderation_rules no-such-file.rules;');
config_fails(qr/no-such-file\.rules.*nginx\.conf:\d+/s,
             'missing rules file: name and nginx.conf line');

my $la = "$d/loop-a.rules";
my $lb = "$d/loop-b.rules";
rules_file('loop-a.rules', '# a includes b', "include $lb");
rules_file('loop-b.rules', 're 1 5 /casino/', '# b includes a', "include $la");
conf_with("comment_moderation_rules $la;");
config_fails(qr/loop-[ab]\.rules:\d+:/, 'include loop: FILE:LINE');

$f = rules_file('self.rules', 're 1 5 /casino/', "include $d/self.rules");
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$f\E:2:/, 'file including itself: FILE:LINE');

my $inner = rules_file('inner.rules',
    '# the error is in the included file, line 3',
    're 5 5 /x/',
    're 6 5 /a(/');
$f = rules_file('outer.rules', 're 1 5 /casino/', "include $inner");
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$inner\E:3:\d+:/,
             'error in an included file names that file');

$f = rules_file('dupinc.rules', 're 5 5 /x/', "include $inner");
rules_file('inner.rules', 're 6 5 /y/', 're 5 5 /z/');
conf_with("comment_moderation_rules $f;");
config_fails(qr/\Q$inner\E:2:/, 'duplicate id through include');


# files that are not rule files: refused at once, never read to the end
# (/dev/zero would fill the master's memory, a FIFO would hang nginx -t)

$f = rules_file('devzero.rules', 're 1 5 /casino/', 'include /dev/zero');
conf_with("comment_moderation_rules $f;");
config_fails(qr{\Q$f\E:2: cannot read "/dev/zero": not a regular file},
             'include /dev/zero: not a regular file');

$f = rules_file('zerolist.rules', 're 1 5 /casino/', 'words 2 5 /dev/zero');
conf_with("comment_moderation_rules $f;");
config_fails(qr{\Q$f\E:2: cannot read "/dev/zero": not a regular file},
             'words list /dev/zero: not a regular file');

conf_with('comment_moderation_rules /dev/urandom;');
config_fails(qr{/dev/urandom: cannot read: not a regular file},
             'rules /dev/urandom: not a regular file');

my $fifo = "$d/fifo.rules";
system('mkfifo', $fifo) == 0 or die "mkfifo: $!";
$f = rules_file('fifo-inc.rules', 're 1 5 /casino/', "include $fifo");
conf_with("comment_moderation_rules $f;");
config_fails(qr{\Q$f\E:2: cannot read "\Q$fifo\E": not a regular file},
             'include a FIFO: refused, not waited on');

mkdir "$d/a-directory";
$f = rules_file('dir-inc.rules', 're 1 5 /casino/', "include $d/a-directory");
conf_with("comment_moderation_rules $f;");
config_fails(qr{\Q$f\E:2: cannot read "\Q$d\E/a-directory": not a regular},
             'include a directory: refused');

# over 64 MB: a sparse file, no disk used
my $big = "$d/big.rules";
open my $bfh, '>', $big or die "$big: $!";
truncate $bfh, 64 * 1024 * 1024 + 1 or die "truncate: $!";
close $bfh;
$f = rules_file('big-inc.rules', 're 1 5 /casino/', "include $big");
conf_with("comment_moderation_rules $f;");
config_fails(qr{\Q$f\E:2: cannot read "\Q$big\E": larger than 67108864 },
             'a rule file over 64 MB: refused');

# a word list that is not UTF-8: its file and line
$t->write_file('latin1.txt', "bandar\nbokep\ncaf\xe9 judi\n");
$f = rules_file('latin1.rules', 're 1 5 /casino/', "words 2 5 $d/latin1.txt");
conf_with("comment_moderation_rules $f;");
config_fails(qr{\Q$d\E/latin1\.txt:3: not valid UTF-8},
             'a word list that is not UTF-8: FILE:LINE');


# directive errors

conf_with("comment_moderation_rules $good;", 'comment_moderation_mode block;');
config_fails(qr/"block".*nginx\.conf:\d+/, 'comment_moderation_mode: bad value');

conf_with("comment_moderation_rules $good;",
          'comment_moderation_reject_status 200;');
config_fails(qr/nginx\.conf:\d+/, 'comment_moderation_reject_status 200');

conf_with("comment_moderation_rules $good;", 'comment_moderation_hold lots;');
config_fails(qr/nginx\.conf:\d+/, 'comment_moderation_hold: not a number');

conf_with('', '');
config_fails(qr/comment_moderation_rules/,
             'comment_moderation on without rules');

conf_with("comment_moderation_rules $good;",
          "comment_moderation_fields comment title;\n"
          . "            comment_moderation_reject_status 422;\n"
          . "            comment_moderation_mode detect;");
config_ok('valid directives pass nginx -t');


# rate limits: every number that reaches Redis is one it can store and
# the script can count with; errors name the directive, file and line

sub limit_conf {
    my ($redis, $limit) = @_;

    $t->write_config(<<"END");
    comment_moderation_redis 127.0.0.1:6399 $redis;
    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_rules $good;
        location / {
            comment_moderation on;
            comment_moderation_limit key=\$binary_remote_addr $limit;
            return 204;
        }
    }
END

    # the line of the directive, as nginx counts
    my @lines = split /\n/, $t->read_file($t->conf_path);
    my ($n) = grep { $lines[$_ - 1] =~ /$_[2]/ } 1 .. @lines;

    return $t->conf_path . ":$n";
}

# the whole emerg line, exactly
sub emerg_at {
    my ($msg, $at) = @_;
    return qr/^nginx: \[emerg\] \Q$msg\E in \Q$at\E$/m;
}

my $L = '"comment_moderation_limit"';

my $at = limit_conf('', 'rate=100000000r/s burst=100000000',
                    'comment_moderation_limit');
config_fails(emerg_at("$L rate=100000000r/s is more than one post a "
                      . "microsecond, the resolution of Redis's clock: at "
                      . 'most rate=1000000r/s', $at),
             'rate=100000000r/s: too fast for Redis\'s clock');

$at = limit_conf('', 'rate=60000001 r/m', 'comment_moderation_limit');
config_fails(emerg_at("$L rate=60000001r/m is more than one post a "
                      . "microsecond, the resolution of Redis's clock: at "
                      . 'most rate=60000000r/m', $at),
             'rate=60000001 r/m: too fast');

$at = limit_conf('', 'rate=1r/s burst=31536001', 'comment_moderation_limit');
config_fails(emerg_at("$L burst=31536001 at rate=1r/s takes more than a "
                      . 'year to refill: at most burst=31536000', $at),
             'burst=31536001 at 1r/s: keys would outlive a year');

$at = limit_conf('', 'rate=2r/d burst=731', 'comment_moderation_limit');
config_fails(emerg_at("$L burst=731 at rate=2r/d takes more than a "
                      . 'year to refill: at most burst=730', $at),
             'burst=731 at 2r/d: keys would outlive a year');

$at = limit_conf('', 'rate=1r/s burst=99999999999999999999',
                 'comment_moderation_limit');
config_fails(emerg_at('invalid parameter "burst=99999999999999999999"', $at),
             'a burst that does not fit an integer');

$at = limit_conf('', 'rate=99999999999999999999r/s',
                 'comment_moderation_limit');
config_fails(emerg_at('invalid rate "rate=99999999999999999999r/s", '
                      . 'expected rate=N r/s, r/m, r/h or r/d', $at),
             'a rate that does not fit an integer');

$at = limit_conf('db=2147483648', 'rate=1r/s', 'comment_moderation_redis');
config_fails(emerg_at('invalid parameter "db=2147483648"', $at),
             'a database number SELECT cannot take');

limit_conf('db=2147483647', 'rate=1000000r/s burst=31536000000000', '');
config_ok('the fastest rate and the largest burst for it pass nginx -t');

limit_conf('', 'rate=1r/d burst=365', '');
config_ok('a burst that refills in a year passes nginx -t');


# relative paths resolve against the directory of nginx.conf, like include

my $r = CMTest->new(conf_dir => 'conf');
$r->write_file('conf/rel/site.rules', "re 40 12 /relatif/\n");
$r->write_file('rel/site.rules', "re 41 12 /prefix/\n");    # a decoy
$r->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_rules rel/site.rules;
        location / {
            comment_moderation on;
            %%PROXY%%
        }
    }
END
$r->run;

my ($status, $h) = CMTest::parse_response($r->http_post('/',
    'comment=relatif', 'Content-Type' => 'application/x-www-form-urlencoded'));
is($status, 403, 'relative path: file next to nginx.conf loaded');
is($h->{'x-rules'}, '40', 'relative path: its rule matched');

($status, $h) = CMTest::parse_response($r->http_post('/',
    'comment=prefix', 'Content-Type' => 'application/x-www-form-urlencoded'));
is($status, 200, 'relative path: not resolved against the prefix');
$r->stop;


# a failed reload keeps the old rules serving

my $s = CMTest->new;
$s->expect_emerg;
my $rules = $s->write_file('site.rules', "# v1\nre 1 12 /judi online/\n");
$s->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        comment_moderation_rules site.rules;
        location / {
            comment_moderation on;
            %%PROXY%%
        }
    }
END
$s->run;

sub spost {
    my ($text) = @_;
    my ($st, $hh) = CMTest::parse_response($s->http_post('/',
        "comment=$text", 'Content-Type' => 'application/x-www-form-urlencoded'));
    return ($st, $hh->{'x-decision'} // '');
}

is((spost('judi+online'))[0], 403, 'v1: judi online rejected');
is((spost('casino'))[0], 200, 'v1: casino passes');

my $workers = join ',', $s->worker_pids;

$s->write_file('site.rules', "# v2, broken\nre 1 12 /judi online/\n"
               . "re 2 12 /casino(/\n");
my $mark = $s->log_mark;
is($s->reload, 0, 'reload with a broken rule fails');
like($s->error_log_since($mark), qr/\[emerg\].*\Q$rules\E:3:\d+:/,
     'failed reload: FILE:LINE:COLUMN in error.log');
is(join(',', $s->worker_pids), $workers, 'failed reload: old workers stay');
is((spost('judi+online'))[0], 403, 'failed reload: old rules still reject');
is((spost('casino'))[0], 200, 'failed reload: broken new rule not used');

my ($rc, $cmd_out) = $s->signal_cmd('reload');
isnt($rc, 0, 'nginx -s reload with broken rules exits non-zero');
like($cmd_out, qr/\Q$rules\E:3:\d+:/, 'nginx -s reload names FILE:LINE:COLUMN');
is((spost('judi+online'))[0], 403, 'after nginx -s reload: old rules serve');

unlink $rules;
$mark = $s->log_mark;
is($s->reload, 0, 'reload with the rules file gone fails');
is((spost('judi+online'))[0], 403, 'rules file gone: old rules still serve');

$s->write_file('site.rules', "# v3\nre 2 12 /casino/\n");
is($s->reload, 1, 'reload with fixed rules succeeds');
is((spost('casino'))[0], 403, 'v3: casino rejected');
is((spost('judi+online'))[0], 200, 'v3: judi online passes');
$s->stop;

$t->done_testing;
