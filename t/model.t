#!/usr/bin/perl

# Model rules end to end: comment-check train on a small labelled file
# (t/model/train.tsv), the same bytes twice; nginx reloaded with a
# "model" line holds a comment its rules pass, shows the model's id like
# a rule's (header, log line, counters); a damaged model file fails the
# reload with FILE:LINE and the old rules keep serving, as a model of an
# older version does; comment-check lists it and explains it; the
# shipped model loads, and repeating a word, a phrase or a character
# moves it no further than saying it twice.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use Test::More;
use CMTest;

my $top = "$FindBin::Bin/..";
my $bin = "$top/build/comment-check";

plan skip_all => "$bin not built (./build.sh engine)" unless -x $bin;

my $dir = tempdir(CLEANUP => 1);

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return undef;
    local $/;
    return <$fh>;
}


# training: the table, the file, the same bytes twice

my $out = `$bin train --out $dir/a.model $top/t/model/train.tsv 2>&1`;
is($?, 0, 'train: exit 0');
like($out, qr/^64 comments \(32 ham, 32 spam, 0 abuse\)/m,
     'train: what it read');
like($out, qr/out of fold \(5 folds\), threshold [\d.]+ for at most 1\.00%/,
     'train: the threshold for 1% of ham');
like($out, qr/^\s+train\.tsv\s+ham\s+32\s+[\d.]+%$/m, 'train: ham row');
like($out, qr/^\s+train\.tsv\s+spam\s+32\s+[\d.]+%$/m, 'train: spam row');
like($out, qr/the engine reads it back within/, 'train: checked back');

`$bin train --out $dir/b.model $top/t/model/train.tsv`;
my $a = slurp("$dir/a.model");
ok(defined $a && $a =~ /^cm-model 4\n/, 'a model file');
like($a, qr/^tokens \d+ \d+$/m, 'it lists its tokens');
is($a, slurp("$dir/b.model"), 'the same data, the same bytes');

# the list: the corpus's tokens, then its most seen words' forms with
# . , ! or ? after them that it lacks (the file ends with the list)

my ($ntok, $tbytes) = $a =~ /^tokens (\d+) (\d+)$/m;
my @tok = split /\n/, substr($a, -$tbytes);
is(scalar @tok, $ntok, 'the list holds as many tokens as it says');
my %listed = map { $_ => 1 } @tok;
ok($listed{'followers'} && $listed{'beritanya,'},
   'the list holds the corpus\'s tokens');
ok((grep { $listed{"followers$_"} } '.', ',', '!', '?') == 4,
   'and a word the corpus has with . , ! ? after it');
ok(!$listed{'beritanya,.'} && !$listed{'beritanya,,'},
   'but no form of a token that ends with punctuation');
my %corpus;
open my $cfh, '<', "$top/t/model/train.tsv" or die;
while (<$cfh>) {
    next if /^#/ || !/\t/;
    chomp;
    $corpus{$_} = 1 for split ' ', lc((split /\t/, $_, 2)[1]);
}
close $cfh;
my @forms = grep { !$corpus{$_} } @tok;
ok(@forms > 0, 'the list holds forms the corpus lacks');
is(scalar(grep { !/[.,!?]\z/ || !$corpus{substr($_, 0, -1)} } @forms), 0,
   'each of them a corpus token with . , ! or ? after it');

$out = `$bin train --out $dir/c.model $dir/nothing.tsv 2>&1`;
isnt($?, 0, 'train: a missing corpus fails');
like($out, qr/nothing\.tsv: cannot open/, 'train: names it');

open my $fh, '>', "$dir/bad.tsv" or die;
print $fh "ham\tsatu\nspam\tdua\nnotalabel\ttiga\n";
close $fh;

$out = `$bin train --out $dir/c.model $dir/bad.tsv 2>&1`;
isnt($?, 0, 'train: a bad label fails');
like($out, qr/bad\.tsv:3: the label must be ham, spam or abuse/,
     'train: FILE:LINE of the bad label');
ok(!-e "$dir/c.model", 'train: no file after an error');


# nginx: the rules alone pass the comment, the model holds it

my $t = CMTest->new;
$t->expect_emerg;

my $model = $t->write_file('site.model', $a);
my $rules = $t->write_file('site.rules', "re 1 12 /judi online/\n");

$t->write_config(<<'END');
    comment_moderation_rules site.rules;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location / {
            comment_moderation on;
            %%PROXY%%
        }

        location = /status {
            comment_moderation_status;
        }
    }
END

$t->run;

my $spam = 'komentar=Jual+followers+instagram+murah%2C+langsung+order+ya+kak';
my $ham = 'komentar=Semoga+jalan+rusak+itu+segera+diperbaiki';

sub post {
    my ($body) = @_;
    my ($status, $h, $b) = CMTest::parse_response($t->http_post('/', $body,
        'Content-Type' => 'application/x-www-form-urlencoded'));
    return { status => $status, h => $h, body => $b };
}

my $r = post($spam);
is($r->{status}, 200, 'rules alone: the comment passes');
is($r->{h}{'x-backend-moderation'}, 'pass', 'rules alone: decision pass');

$t->write_file('site.rules', "re 1 12 /judi online/\n"
    . "model 5001 5 site.model tag=model msg=\"Mirip spam\"\n");

my $mark = $t->log_mark;
is($t->reload, 1, 'reload with a model rule');

$r = post($spam);
is($r->{status}, 200, 'with the model: passed on');
is($r->{h}{'x-backend-moderation'}, 'hold', 'with the model: held');
is($r->{h}{'x-backend-score'}, 5, 'with the model: its score');
is($r->{h}{'x-backend-rules'}, '5001', 'with the model: its id');

$r = post($ham);
is($r->{h}{'x-backend-moderation'}, 'pass', 'with the model: ham passes');

$r = post('komentar=judi+online+jual+followers+instagram+murah');
is($r->{status}, 403, 'model and a rule: rejected');

like($t->wait_log($mark, qr/decision=hold score=5 rules=5001 /),
     qr/decision=hold score=5 rules=5001 field=komentar/,
     'the log line names the model like a rule');

my ($st, $h, $body) = CMTest::parse_response($t->http_get('/status'));
like($body, qr/^comment_moderation_rule_hits_total\{rule="5001"\} 2$/m,
     'the status page counts its hits');

# max=hold: the model holds, and never makes a reject, even beside a rule
# that alone would hold; rules that reach 10 on their own still reject

$t->write_file('site.rules', "re 1 12 /judi online/\n"
    . "re 2 5 /murah/\n"
    . "model 5001 5 site.model max=hold tag=model msg=\"Mirip spam\"\n");
is($t->reload, 1, 'reload with max=hold');

$r = post($spam);
is($r->{status}, 200, 'max=hold: a rule of 5 and the model, passed on');
is($r->{h}{'x-backend-moderation'}, 'hold', 'max=hold: held, not rejected');
is($r->{h}{'x-backend-score'}, 10, 'max=hold: the score is still 10');

$r = post('komentar=judi+online+jual+followers+instagram+murah');
is($r->{status}, 403, 'max=hold: the other rules reject on their own');

$t->write_file('site.rules', "re 1 12 /judi online/\n"
    . "model 5001 5 site.model tag=model msg=\"Mirip spam\"\n");
is($t->reload, 1, 'back to the model without max=hold');


# a damaged model: the reload fails, the old rules and model serve

my $damaged = $a;
substr($damaged, -3, 1) = substr($damaged, -3, 1) ^ "\x01";
$t->write_file('site.model', $damaged);

$mark = $t->log_mark;
is($t->reload, 0, 'reload with a damaged model fails');
like($t->error_log_since($mark),
     qr/\[emerg\].*\Q$model\E: checksum mismatch: the data is damaged/,
     'the error names the model file');
is(post($spam)->{h}{'x-backend-moderation'}, 'hold',
   'failed reload: the old model still holds');

$t->write_file('site.model', "cm-model 4\nbits 99\n");
$mark = $t->log_mark;
is($t->reload, 0, 'reload with a bad header fails');
like($t->error_log_since($mark),
     qr/\[emerg\].*\Q$model\E:2: bits must be 8 to 24/,
     'the error names FILE:LINE');

(my $old = $a) =~ s/^cm-model 4\n/cm-model 3\n/;
$t->write_file('site.model', $old);
$mark = $t->log_mark;
is($t->reload, 0, 'reload with a model of version 3 fails');
like($t->error_log_since($mark),
     qr/\[emerg\].*\Q$model\E:1: model version 3, this engine reads version 4: train it again/,
     'the error names FILE:LINE and says to train it again');

unlink $model;
$mark = $t->log_mark;
is($t->reload, 0, 'reload with the model gone fails');
like($t->error_log_since($mark),
     qr/\[emerg\].*\Q$rules\E:2: cannot open "\Q$model\E"/,
     'the error names the rule and the file');

$t->write_file('site.model', $a);
is($t->reload, 1, 'reload with the model back');
is(post($spam)->{h}{'x-backend-moderation'}, 'hold', 'held again');

$t->stop;


# two locations, two rule sets, one worker's scratch: what the model of
# one leaves there must not move the other's decisions (the model's
# stamped tables once lay on the shipped rules' counters, which then
# missed rules)

$t = CMTest->new;
$t->write_file('site.model', $a);
$t->write_file('site.rules', "re 1 2 /terima/\n"
    . "model 5001 5 site.model tag=model msg=\"Mirip spam\"\n");

$t->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location /small {
            comment_moderation on;
            comment_moderation_rules site.rules;
            %%PROXY%%
        }

        location /shipped {
            comment_moderation on;
            comment_moderation_rules %%REPO%%/rules/main.rules;
            %%PROXY%%
        }
    }
END

$t->run;

my $many = join ' ', map { "t${_}x" } 1 .. 2000;
my @texts = (
    'z*$c',
    'Kasus ini harus diusut tuntas, dasar bangsat',
    'd.a.f.t.a.r s.l.o.t g.a.c.o.r sekarang',
    'hubungi wa.me/6281234567890 pinjaman cepat cair tanpa jaminan',
    'slot gacor maxwin hari ini, daftar sekarang',
);

for my $text (@texts) {
    my $want = `printf '%s' '$text' | $bin -r $top/rules/main.rules --batch`;
    my ($decision, $score) = split /\t/, $want;

    for my $other ($many, @texts) {
        (my $form = "komentar=$other") =~ s/([^\w=])/sprintf '%%%02X', ord $1/ge;
        $t->http_post('/small', $form,
                      'Content-Type' => 'application/x-www-form-urlencoded');
    }

    (my $form = "komentar=$text") =~ s/([^\w=])/sprintf '%%%02X', ord $1/ge;
    my ($status, $h) = CMTest::parse_response($t->http_post('/shipped',
        $form, 'Content-Type' => 'application/x-www-form-urlencoded'));

    my $got = $status == 403 ? 'reject' : $h->{'x-backend-moderation'};
    is($got, $decision, "after the other location: \"$text\" is $decision "
       . "as comment-check says");
}

$t->stop;


# comment-check: --list, --needs, one comment, --explain

$out = `$bin -r $rules --needs`;
like($out, qr/^5001  \+5  model  \Q$rules\E:2  "Mirip spam"\n    needs: model$/m,
     '--needs: the model rule');

$out = `$bin -r $rules 'Jual followers instagram murah, langsung order ya kak'`;
is($? >> 8, 2, 'one comment: held');
like($out, qr/^rule 5001  \+5  model  "Mirip spam"  p=[\d.]+ >= [\d.]+  matched "Jual followers/m,
     'one comment: the model\'s hit and its probability');

$out = `$bin -r $rules --explain 'Jual followers instagram murah, langsung order ya kak'`;
like($out, qr/^rule 5001  \+5  model  "Mirip spam"\n    p=[\d.]+ >= [\d.]+/m,
     '--explain: the model\'s hit and its probability');
like($out, qr/^model 5001: p=[\d.]+, at or above its threshold/m,
     '--explain: the probability');
like($out, qr/^  \+[\d.]+  letters of "followers"$/m,
     '--explain: what weighs in it');


# the shipped model

my $shipped = "$top/rules/models/spam.model";

SKIP: {
    skip 'no shipped model', 2 unless -e $shipped;

    $out = `$bin -r $top/rules/main.rules --list`;
    like($out, qr/^5001  \+5  model  /m, 'main.rules loads the model');

    $out = `$bin -r $top/rules/main.rules 'Check out my channel and subscribe, thanks!'`;
    like($out, qr/^rule 5001 /m, 'the shipped model flags channel spam');
}


# repetition and the shipped model: each bucket counts once in a field,
# so a run, a repeated word or a repeated phrase weighs as it would twice

my $shipped_rules = "$dir/shipped-model.rules";

# the model's probability for a comment, from --explain
sub model_p {
    my ($text) = @_;
    my $file = "$dir/comment.txt";
    open my $fh, '>', $file or die;
    print $fh $text;
    close $fh;
    my $out = `$bin -r $shipped_rules --explain < $file`;
    return $out =~ /^model 5001: p=([\d.]+)/m ? $1 : undef;
}

# whether the model flags it
sub model_hit {
    my ($text) = @_;
    model_p($text);
    return `$bin -r $shipped_rules < $dir/comment.txt` =~ /^rule 5001 /m;
}

SKIP: {
    skip 'no shipped model', 9 unless -e $shipped;

    open my $fh, '>', $shipped_rules or die;
    print $fh "model 5001 5 $shipped\n";
    close $fh;

    for my $c ('1', '7', '$', '@') {
        ok(!model_hit($c x 65536), "64 KB of '$c': not flagged");
    }

    is(model_p('slot ' x 5000), model_p('slot slot'),
       "'slot ' x 5000: p as of 'slot slot'");

    my $spam = 'Situs slot gacor hari ini, depo 10rb wd berapapun dibayar, '
             . 'daftar sekarang link di bio';
    my $ham = ' Semoga sehat selalu pak';

    ok(model_hit($spam . $ham), 'spam + a ham phrase: flagged');
    ok(model_hit($spam . $ham x 200), 'spam + the ham phrase x 200: flagged');
    is(model_p($spam . $ham x 200), model_p($spam . $ham x 2),
       'spam + the ham phrase x 200: p as with it twice');
    is(model_p($ham . ' slot gacor' x 500), model_p($ham . ' slot gacor' x 2),
       'ham + a spam phrase x 500: p as with it twice');
}

done_testing;
