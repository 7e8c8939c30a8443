#!/usr/bin/perl

# doc/comment-check.1, the man page the package ships, names every option
# that comment-check --help lists, and no other: it must follow the tool
# when options are added.

use strict;
use warnings;

use FindBin;
use Test::More;

my $top = "$FindBin::Bin/..";
my $bin = "$top/build/comment-check";

plan skip_all => "$bin not built (./build.sh engine)" unless -x $bin;

my $help = `$bin --help`;
is($? >> 8, 0, 'comment-check --help');

# "comment-check train" has options of its own
my $train = `$bin train --help`;
is($? >> 8, 0, 'comment-check train --help');
$help .= $train;

open my $fh, '<', "$top/doc/comment-check.1" or die "comment-check.1: $!\n";
my $man = do { local $/; <$fh> };
close $fh;

like($man, qr/^\.TH COMMENT-CHECK 1 /m, 'a page of section 1');

my %help = map { $_ => 1 } $help =~ /(?<![\w-])(--[a-z][a-z-]*)/g;
(my $plain = $man) =~ s/\\-/-/g;
my %man = map { $_ => 1 } $plain =~ /(?<![\w-])(--[a-z][a-z-]*)/g;

ok(%help, 'options found in --help');
ok($man{$_}, "man page has $_") for sort keys %help;
ok($help{$_}, "$_ in the man page is an option") for sort keys %man;

done_testing;
