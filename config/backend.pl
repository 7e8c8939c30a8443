#!/usr/bin/env perl
#
# The demo's news backend: one article page with its comments and a
# "Tulis komentar" form.  It stores the comments that nginx lets through,
# and puts those nginx marked "hold" in a moderation queue instead of on
# the page, as a real comment backend would.
#
#   perl config/backend.pl PORT STOREFILE
#
# Core Perl only; one connection at a time is enough for a demo.

use strict;
use warnings;

use IO::Socket::INET;

my $port = shift // 8081;
my $store = shift // 'comments.tsv';

my $server = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1',
    LocalPort => $port,
    Listen    => 16,
    ReuseAddr => 1,
) or die "backend: cannot listen on 127.0.0.1:$port: $!\n";

$SIG{TERM} = $SIG{INT} = sub { exit 0 };

while (my $c = $server->accept) {
    eval { serve($c) };
    warn "backend: $@" if $@;
    close $c;
}


sub serve {
    my ($c) = @_;
    my ($head, $body) = ('', '');

    $c->timeout(10);

    while ($head !~ /\r?\n\r?\n/) {
        $c->sysread(my $buf, 8192) or return;
        $head .= $buf;
    }

    ($head, $body) = split /\r?\n\r?\n/, $head, 2;

    my ($method, $uri) = $head =~ m{^(\S+)\s+(\S+)};
    my %h = map { lc($1) => $2 } $head =~ /^([^:\r\n]+):\s*(.*?)\r?$/mg;

    while (length($body) < ($h{'content-length'} // 0)) {
        $c->sysread(my $buf, 65536) or last;
        $body .= $buf;
    }

    if ($method eq 'POST' && $uri =~ m{^/komentar}) {
        return post_comment($c, \%h, $body);
    }

    if ($method eq 'GET' && $uri =~ m{^/(\?.*)?$}) {
        return respond($c, 200, 'text/html; charset=utf-8', page());
    }

    return respond($c, 404, 'text/plain', "not found\n");
}


sub post_comment {
    my ($c, $h, $body) = @_;
    my %f;

    for my $pair (split /&/, $body) {
        my ($k, $v) = split /=/, $pair, 2;
        next unless defined $k;
        $f{decode($k)} = decode($v // '');
    }

    my $decision = $h->{'x-comment-moderation'} // 'pass';
    my $score = $h->{'x-comment-moderation-score'} // '0';
    my $rules = $h->{'x-comment-moderation-rules'} // '';
    my $state = $decision eq 'hold' ? 'held' : 'shown';

    my $name = clean($f{nama} // '');
    my $text = clean($f{komentar} // '');

    if (open my $fh, '>>', $store) {
        print $fh join("\t", time, $state, $score, $rules, $name, $text), "\n";
        close $fh;
    }

    print {$c} "HTTP/1.0 303 See Other\r\nLocation: /?$state\r\n"
               . "Content-Length: 0\r\nConnection: close\r\n\r\n";
}


sub page {
    my (@shown, $held);

    if (open my $fh, '<', $store) {
        while (<$fh>) {
            chomp;
            my (undef, $state, $score, $rules, $name, $text) = split /\t/;
            if ($state eq 'held') {
                $held++;
                next;
            }
            push @shown, '<li><b>' . esc($name || 'Anonim') . '</b>: '
                         . esc($text) . '</li>';
        }
    }

    my $list = @shown ? join("\n", reverse @shown)
                      : '<li><i>Belum ada komentar.</i></li>';
    my $queue = $held ? "<p class=\"held\">$held komentar menunggu moderasi.</p>"
                      : '';

    return <<"HTML";
<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8">
<title>Polisi Bongkar Jaringan Judi Online - Berita Contoh</title>
<style>
body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }
textarea, input { width: 100%; box-sizing: border-box; }
.held { color: #a60; }
</style></head>
<body>
<h1>Polisi Bongkar Jaringan Judi Online di Tiga Kota</h1>
<p>Aparat kepolisian menangkap belasan tersangka yang diduga mengelola
situs judi online. Polisi menyita puluhan rekening dan perangkat.</p>
<h2>Komentar</h2>
<ul>
$list
</ul>
$queue
<h2>Tulis komentar</h2>
<form method="post" action="/komentar">
<p><label>Nama<br><input name="nama" maxlength="60"></label></p>
<p><label>Komentar<br><textarea name="komentar" rows="5"></textarea></label></p>
<p><button type="submit">Kirim</button></p>
</form>
</body></html>
HTML
}


sub respond {
    my ($c, $status, $type, $body) = @_;

    utf8::encode($body) if utf8::is_utf8($body);

    print {$c} "HTTP/1.0 $status X\r\nContent-Type: $type\r\n"
               . "Content-Length: " . length($body) . "\r\n"
               . "Connection: close\r\n\r\n$body";
}


sub decode {
    my ($s) = @_;
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    return $s;
}


sub clean {
    my ($s) = @_;
    $s =~ s/[\t\r\n]+/ /g;
    return $s;
}


sub esc {
    my ($s) = @_;
    $s =~ s/&/&amp;/g;
    $s =~ s/</&lt;/g;
    $s =~ s/>/&gt;/g;
    $s =~ s/"/&quot;/g;
    return $s;
}
