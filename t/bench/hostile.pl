#!/usr/bin/perl

# Bodies shaped to be expensive to match, for the hostile table of
# t/bench/bench.sh (timed with comment-check --bench-file):
#
#   hostile.pl KIND SIZE [--spam] > FILE
#
# writes exactly SIZE bytes of valid UTF-8.  With --spam the body ends in
# a real gambling promotion, so that every rule whose cheap first check
# (a literal, a first letter) fires also runs to the end of the body.
#
# KIND is one of:
#
#   ordinary    the comments of t/bench/comments.txt, repeated
#   digit       one digit repeated: "1111..."
#   leet        leetspeak symbols repeated: "$|@!+$|@!+..."
#   separated   ordinary words spelled with separators: "k.a.s.u.s i.n.i"
#   styled      ordinary words in mathematical bold, fullwidth, circled
#               and other styled letters
#   nearmiss    entries of the shipped word lists with one letter changed,
#               so they almost match: "slit gacor", "judu online"
#   phone       groups of digits like phone numbers: "0812 3456 7890"
#
# The same arguments give the same bytes on every run (fixed seed).

use strict;
use warnings;

use FindBin;

my $SPAM = ' Daftar sekarang di situs slot gacor terpercaya, '
         . 'pasti maxwin hari ini!';

my %KINDS = (
    ordinary  => \&ordinary,
    digit     => sub { '1' x 4096 },
    leet      => sub { '$|@!+' x 1000 },
    separated => \&separated,
    styled    => \&styled,
    nearmiss  => \&nearmiss,
    phone     => \&phone,
);

my ($kind, $size, $spam) = @ARGV;

die "usage: $0 " . join('|', sort keys %KINDS) . " SIZE [--spam]\n"
    unless defined $size && $KINDS{$kind} && $size =~ /^[1-9]\d*$/
           && (!defined $spam || $spam eq '--spam');

my $repo = "$FindBin::Bin/../..";
my $tail = $spam ? $SPAM : '';

die "size $size is smaller than the spam phrase\n" if length $tail >= $size;

srand(20240601);

binmode STDOUT;
print fill($KINDS{$kind}, $size - length $tail), $tail;

exit 0;


# pieces from the generator until $len bytes, cut where a character or
# a word ends, padded with spaces to exactly $len bytes
sub fill {
    my ($gen, $len) = @_;
    my $s = '';

    $s .= $gen->() while length $s < $len;
    $s = substr $s, 0, $len;

    # a cut multi-byte letter would be invalid UTF-8, which the engine
    # drops: cut back to the last space instead
    if ($s =~ /[\x80-\xff]/) {
        $s =~ s/ [^ ]*\z/ /;
    }

    return $s . ' ' x ($len - length $s);
}


sub comments {
    my $file = "$FindBin::Bin/comments.txt";
    my @c;

    open my $fh, '<:raw', $file or die "$file: $!\n";
    while (my $line = <$fh>) {
        next if $line =~ /^\s*(?:#|$)/;
        chomp $line;
        push @c, $line;
    }
    close $fh;

    die "no comments in $file\n" unless @c;
    return @c;
}


sub ordinary {
    return join(' ', comments()) . ' ';
}


# every letter of every word apart, separators varied as spammers do
sub separated {
    my @sep = ('.', '.', '-', '_', ' ', '*');
    my @out;

    for my $word (split ' ', lc ordinary()) {
        $word =~ s/[^a-z0-9]//g;
        next if $word eq '';
        my $sep = $sep[int rand @sep];
        push @out, join $sep, split //, $word;
    }

    return join(' ', @out) . ' ';
}


# a word at a time in one style: mathematical bold, bold italic, double
# struck, sans-serif bold, fullwidth, circled
sub styled {
    my @styles = (
        [0x1D400, 0x1D41A], [0x1D468, 0x1D482], [0x1D538, 0x1D552],
        [0x1D5D4, 0x1D5EE], [0xFF21, 0xFF41], [0x24B6, 0x24D0],
    );
    my @out;

    my $text = ordinary();
    utf8::decode($text);

    for my $word (split ' ', $text) {
        my $st = $styles[int rand @styles];
        my $w = '';

        for my $ch (split //, $word) {
            my $o = ord $ch;
            if ($ch =~ /[A-Z]/) {
                $o = $st->[0] + $o - ord 'A';
            } elsif ($ch =~ /[a-z]/) {
                $o = $st->[1] + $o - ord 'a';
            }
            # double-struck C, H, N, P, Q, R, Z sit in the letterlike
            # block; their holes would be unassigned code points
            $o = ord $ch if $o >= 0x1D538 && $o < 0x1D552
                            && $ch =~ /[CHNPQRZ]/;
            $w .= chr $o;
        }

        push @out, $w;
    }

    my $s = join(' ', @out) . ' ';
    utf8::encode($s);
    return $s;
}


# list entries with one letter changed to another letter, keeping only
# those that are no entry themselves
my @nearmiss;

sub nearmiss {
    @nearmiss = nearmiss_words() unless @nearmiss;
    return join(' ', map { $nearmiss[int rand @nearmiss] } 1 .. 200) . ' ';
}


sub nearmiss_words {
    my (%entry, @out);

    for my $list (sort glob "$repo/rules/lists/*.txt") {
        open my $fh, '<', $list or die "$list: $!\n";
        while (my $line = <$fh>) {
            next if $line =~ /^\s*(?:#|$)/;
            chomp $line;
            $line =~ s/^[~!]//;
            $entry{lc $line} = 1 if $line =~ /^[a-z0-9 ]+$/i;
        }
        close $fh;
    }

    for my $e (sort keys %entry) {
        my @pos = grep { substr($e, $_, 1) =~ /[a-z]/ } 0 .. length($e) - 1;
        next if @pos < 3;

        my $p = $pos[int rand @pos];
        my $old = substr $e, $p, 1;
        my @to = grep { $_ ne $old } 'a' .. 'z';
        my $m = $e;
        substr($m, $p, 1) = $to[int rand @to];

        push @out, $m unless $entry{$m};
    }

    die "no near misses from $repo/rules/lists\n" unless @out;
    return @out;
}


sub phone {
    my @out;

    for (1 .. 200) {
        push @out, sprintf '08%02d %04d %04d', 11 + int rand 89,
                           int rand 10000, int rand 10000;
    }

    return join(' ', @out) . ' ';
}
