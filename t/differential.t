#!/usr/bin/perl

# The engine against its reference: every line of the labelled corpora
# through comment-check twice, with the prefilter and the word lists'
# automaton, and with --reference (every rule one PCRE2 scan, word lists
# as regexes, the way the engine matched before).
#
# "re" rules must agree on every line: the prefilter only skips a regex
# that cannot match.  Word lists match on the skeleton now, and differ
# from their old regexes on purpose (long entries found in glued text,
# doubled letters kept apart, a symbol next to a digit a separator; see
# README.md): each line whose decision or rules differ must be listed in
# t/differential.expected with its reason, and each listed line must
# still differ, so the list says what the change did.

use strict;
use warnings;

use FindBin;
use IPC::Open3;
use Symbol qw(gensym);
use Test::More;

my $top = "$FindBin::Bin/..";
my $bin = "$top/build/comment-check";
my $rules = "$top/rules/main.rules";
my $expected_file = "$FindBin::Bin/differential.expected";

plan skip_all => "$bin not built (./build.sh engine)" unless -x $bin;

my @corpora = sort glob "$FindBin::Bin/corpus/*.tsv";
ok(@corpora >= 3, 'the corpora are in t/corpus') or BAIL_OUT('no corpora');

# rule ids of the word lists: "needs: list" under them in --needs
my %words;
{
    my ($rc, $out) = run(undef, '-r', $rules, '--needs');
    is($rc, 0, '--needs runs');
    my $id;
    for (split /\n/, $out) {
        $id = $1 if /^(\d+)\s/;
        $words{$id} = 1 if defined $id && /^\s+needs: list$/;
    }
    ok(keys %words >= 10, scalar(keys %words) . ' word-list rules');
}

# the expected differences: CORPUS<TAB>LINE<TAB>REASON
my %expected;
open my $ef, '<:encoding(UTF-8)', $expected_file
    or die "$expected_file: $!";
while (<$ef>) {
    chomp;
    next if /^#/ || !/\S/;
    my ($corpus, $line, $reason) = split /\t/, $_, 3;
    $expected{"$corpus:$line"} = $reason;
}
close $ef;

my ($lines, $re_diff, $seen) = (0, 0, 0);
my @unexpected;

for my $file (@corpora) {
    (my $name = $file) =~ s{.*/|\.tsv$}{}g;

    open my $fh, '<:raw', $file or die "$file: $!";
    my @texts = map { chomp; (split /\t/, $_, 2)[1] // '' } <$fh>;
    close $fh;

    my $input = join('', map { "$_\n" } @texts);

    my ($rc1, $new) = run($input, '-r', $rules, '--batch');
    my ($rc2, $ref) = run($input, '-r', $rules, '--batch', '--reference');

    is($rc1, 0, "$name: engine runs");
    is($rc2, 0, "$name: reference runs");

    my @new = split /\n/, $new;
    my @ref = split /\n/, $ref;

    is(scalar @new, scalar @texts, "$name: a decision for every line");
    is(scalar @ref, scalar @texts, "$name: a reference for every line");

    for my $i (0 .. $#texts) {
        $lines++;

        my ($nd, $ns, $nids) = split /\t/, $new[$i] // '';
        my ($rd, $rs, $rids) = split /\t/, $ref[$i] // '';

        my %n = map { $_ => 1 } grep { /^\d+$/ } split /,/, $nids // '';
        my %r = map { $_ => 1 } grep { /^\d+$/ } split /,/, $rids // '';

        # regexes: the same on every line
        for my $id (keys %n, keys %r) {
            next if $words{$id} || ($n{$id} && $r{$id});
            $re_diff++;
            diag("$name:" . ($i + 1) . ": regex $id differs: "
                 . "engine $nids, reference $rids");
            last;
        }

        my $key = "$name:" . ($i + 1);

        if (($nids // '') ne ($rids // '') || ($nd // '') ne ($rd // '')) {
            if (exists $expected{$key}) {
                $seen++;
                delete $expected{$key};
            } else {
                push @unexpected, "$key\t$rd $rids -> $nd $nids\t"
                    . substr($texts[$i], 0, 100);
            }
        }
    }
}

is($re_diff, 0, "regexes agree with the reference on all $lines lines");

is(scalar @unexpected, 0, "no difference that is not in $expected_file")
    or diag(join "\n", @unexpected);

is(scalar keys %expected, 0, 'every listed difference still differs')
    or diag(join "\n", map { "$_\t$expected{$_}" } sort keys %expected);

diag("$seen lines differ from the reference, as listed");

done_testing();


# runs comment-check; returns (exit status, stdout)
sub run {
    my ($stdin, @args) = @_;
    my $err = gensym;

    my $pid = open3(my $in, my $out, $err, $bin, @args);
    binmode $in;
    binmode $out;

    # a writer, so that a large input cannot block against a full pipe
    my $writer = fork // die "fork: $!";
    if ($writer == 0) {
        close $out;
        print $in $stdin if defined $stdin;
        close $in;
        exit 0;
    }
    close $in;

    my $stdout = do { local $/; <$out> };
    my $stderr = do { local $/; <$err> };

    waitpid $writer, 0;
    waitpid $pid, 0;

    diag($stderr) if $? && $stderr;

    return ($? >> 8, $stdout // '');
}
