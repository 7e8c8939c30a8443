#!/usr/bin/env perl
#
# The demo's news backend: one article page with its comments and a
# "Tulis komentar" form.  It stores the comments that nginx lets through
# with the decision, score and rules nginx sends (X-Comment-Moderation*),
# publishes those nginx passed, and puts the others ("hold") in a
# moderation queue instead of on the page, as a real comment backend would.
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
    my %h = headers($head);

    while (length($body) < ($h{'content-length'} // 0)) {
        $c->sysread(my $buf, 65536) or last;
        $body .= $buf;
    }

    if ($method eq 'POST' && $uri =~ m{^/komentar}) {
        return post_comment($c, \%h, $body);
    }

    if ($method eq 'GET' && $uri =~ m{^/(?:\?(.*))?$}) {
        return respond($c, 200, 'text/html; charset=utf-8', page($1 // ''));
    }

    return respond($c, 404, 'text/plain', "not found\n");
}


# name => value, names in lower case.  The pattern's captures come back
# as one list, name, value, name, value...: they are taken two at a time
# (inside a map, $1 and $2 would be those of the last match only).
sub headers {
    my ($head) = @_;
    my @kv = $head =~ /^([^:\r\n]+):[ \t]*(.*?)\r?$/mg;
    my %h;

    while (my ($k, $v) = splice @kv, 0, 2) {
        $h{lc $k} = $v;
    }

    return %h;
}


sub post_comment {
    my ($c, $h, $body) = @_;
    my %f;

    for my $pair (split /&/, $body) {
        my ($k, $v) = split /=/, $pair, 2;
        next unless defined $k;
        $f{decode($k)} = decode($v // '');
    }

    # only what nginx passed is published; a hold, or anything else (no
    # decision, a reject let through in detect mode), waits for a moderator
    my $decision = $h->{'x-comment-moderation'} // '';
    my $score = $h->{'x-comment-moderation-score'} // '0';
    my $rules = $h->{'x-comment-moderation-rules'} // '';
    my $state = $decision eq 'pass' ? 'shown' : 'held';

    my $name = clean($f{nama} // '');
    my $text = clean($f{komentar} // '');

    if (open my $fh, '>>', $store) {
        print $fh join("\t", time, $state, $score, $rules, $name, $text), "\n";
        close $fh;
    }

    print {$c} "HTTP/1.0 303 See Other\r\nLocation: /?$state\r\n"
               . "Content-Length: 0\r\nConnection: close\r\n\r\n";
}


# the article and its published comments; after a post, a word on what
# became of it ("?shown" or "?held", from the redirect)
sub page {
    my ($query) = @_;
    my (@shown, $held);

    if (open my $fh, '<', $store) {
        while (<$fh>) {
            chomp;
            my (undef, $state, $score, $rules, $name, $text) = split /\t/;
            next unless defined $text;
            if ($state ne 'shown') {
                $held++;
                next;
            }
            push @shown, '<li><b>' . esc($name || 'Anonim') . '</b>: '
                         . esc($text) . '</li>';
        }
    }

    my $list = @shown ? join("\n", reverse @shown)
                      : '<li><i>Belum ada komentar.</i></li>';

    my $notice = '';
    if ($query eq 'held') {
        $notice = '<p class="notice held" id="status">Terima kasih. Komentar '
                . 'Anda menunggu persetujuan moderator sebelum ditampilkan.'
                . '</p>';
    } elsif ($query eq 'shown') {
        $notice = '<p class="notice shown" id="status">Terima kasih, '
                . 'komentar Anda sudah dimuat.</p>';
    }

    my $queue = $held ? "<p class=\"queue\">$held komentar menunggu "
                        . 'moderasi.</p>'
                      : '';

    return <<"HTML";
<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Polisi Bongkar Jaringan Judi Online - Berita Contoh</title>
<style>
body { font-family: "DejaVu Sans", sans-serif; margin: 0; color: #222;
       background: #f4f4f1; }
header { background: #8b1e1e; color: #fff; padding: .8em 1em; }
header a { color: #fff; text-decoration: none; font-weight: bold; }
main { max-width: 40em; margin: 1.5em auto; background: #fff;
       padding: 1em 1.5em; border-radius: 4px; }
textarea, input { width: 100%; box-sizing: border-box; font: inherit; }
button { background: #8b1e1e; color: #fff; border: 0; padding: .5em 1.2em;
         border-radius: 3px; font: inherit; }
.notice { padding: .6em .8em; border-radius: 3px; }
.held { background: #fff4e0; color: #7a4a00; }
.shown { background: #e8f5e8; color: #1f5c1f; }
.queue { color: #a60; }
</style></head>
<body>
<header><a href="/">Berita Contoh</a></header>
<main>
<h1>Polisi Bongkar Jaringan Judi Online di Tiga Kota</h1>
<p>Aparat kepolisian menangkap belasan tersangka yang diduga mengelola
situs judi online. Polisi menyita puluhan rekening dan perangkat.</p>
$notice
<h2>Komentar</h2>
<ul id="comments">
$list
</ul>
$queue
<h2>Tulis komentar</h2>
<form method="post" action="/komentar">
<p><label>Nama<br><input name="nama" maxlength="60"></label></p>
<p><label>Komentar<br><textarea name="komentar" rows="5"></textarea></label></p>
<p><button type="submit">Kirim</button></p>
</form>
</main>
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
