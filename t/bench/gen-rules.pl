#!/usr/bin/perl

# Generated rule files for the engine benchmark (t/bench/bench.sh), shaped
# like what moderators write, with a fixed seed so that every run and
# every machine measures the same files:
#
#   gen-rules.pl re N FILE      N rules "re ID 3 /\bword1\s+word2\b/", each
#                               a different pair of real words
#   gen-rules.pl words N FILE   one rule "words 1 5 LIST" and its list of N
#                               entries, written beside FILE as FILE.txt
#
# The real words are those of the shipped word lists (rules/lists/*.txt),
# split into words and sorted, so the files change only when the lists do.
# List entries mix those words, two-word phrases and made-up site names
# (letters, some followed by digits), as real lists do.

use strict;
use warnings;

use FindBin;

my ($kind, $n, $file) = @ARGV;

die "usage: $0 re|words N FILE\n"
    unless defined $file && $kind =~ /^(?:re|words)$/ && $n =~ /^[1-9]\d*$/;

# Perl's rand() is drand48 on every platform since 5.20: a fixed seed
# gives the same files everywhere
srand(20240601);

my @words = list_words("$FindBin::Bin/../../rules/lists");

if ($kind eq 're') {
    write_re($file, $n);
} else {
    write_words($file, $n);
}

exit 0;


# the distinct words of 3 letters or more in the shipped lists, sorted
sub list_words {
    my ($dir) = @_;
    my %seen;

    for my $list (sort glob "$dir/*.txt") {
        open my $fh, '<', $list or die "$list: $!\n";
        while (my $line = <$fh>) {
            next if $line =~ /^\s*(?:#|$)/;
            $line =~ s/^[~!]//;
            $seen{lc $_} = 1 for grep { /^[a-z]{3,}$/i } split ' ', $line;
        }
        close $fh;
    }

    my @w = sort keys %seen;
    die "no words in $dir/*.txt\n" if @w < 50;

    return @w;
}


sub write_re {
    my ($file, $n) = @_;
    my (%seen, @pairs);

    die "only ", @words * (@words - 1), " word pairs\n"
        if $n > @words * (@words - 1);

    while (@pairs < $n) {
        my ($w1, $w2) = map { $words[int rand @words] } 1 .. 2;
        next if $w1 eq $w2 || $seen{"$w1 $w2"}++;
        push @pairs, [$w1, $w2];
    }

    open my $fh, '>', $file or die "$file: $!\n";
    print $fh "# $n generated regex rules, t/bench/gen-rules.pl\n";
    printf $fh "re %d 3 /\\b%s\\s+%s\\b/\n", $_ + 1, @{$pairs[$_]}
        for 0 .. $#pairs;
    close $fh or die "$file: $!\n";
}


sub write_words {
    my ($file, $n) = @_;
    my (%seen, @entries);

    while (@entries < $n) {
        my $e = entry();
        next if $seen{$e}++;
        push @entries, $e;
    }

    my $list = "$file.txt";
    (my $base = $list) =~ s{.*/}{};

    open my $fh, '>', $list or die "$list: $!\n";
    print $fh "# $n generated entries, t/bench/gen-rules.pl\n";
    print $fh "$_\n" for @entries;
    close $fh or die "$list: $!\n";

    open $fh, '>', $file or die "$file: $!\n";
    print $fh "# a word list of $n entries, t/bench/gen-rules.pl\n";
    print $fh "words 1 5 $base\n";
    close $fh or die "$file: $!\n";
}


# one list entry: a real word (they run out, as repeats are dropped), a
# phrase of two, or a made-up name of 5-12 letters, a quarter of those
# with a number
sub entry {
    my $r = rand;

    return $words[int rand @words] if $r < 0.2;
    return join ' ', map { $words[int rand @words] } 1 .. 2 if $r < 0.3;

    my $name = name(5 + int rand 8);

    if (rand() < 0.25) {
        my @suffix = ('4d', '88', '77', '777', '99', '138', '303', '168');
        $name .= rand() < 0.5 ? $suffix[int rand @suffix]
                              : 10 + int rand 990;
    }

    return $name;
}


# letters in syllables, as site names are made ("garudahoki", "ayamwin")
sub name {
    my ($len) = @_;
    my @c = split //, 'bcdghjklmnprstwyz';
    my @v = split //, 'aaeiiou';
    my $s = '';

    while (length $s < $len) {
        $s .= $c[int rand @c] . $v[int rand @v];
        $s .= $c[int rand @c] if rand() < 0.2;
    }

    return substr $s, 0, $len;
}
