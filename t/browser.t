#!/usr/bin/perl

# A reader in a real browser (Debian's headless chromium, through
# chromium-driver) on the demo site as shipped: nginx with the module and
# config/nginx.conf, Redis and config/backend.pl, all on loopback.  The
# reader opens the article, writes in "Tulis komentar" and sends:
#
#   1. the article;
#   2. a clean comment: listed on the page;
#   3. an abusive one the module holds: the page says it waits for a
#      moderator, and it is not on the page;
#   4. gambling spam: the module's page, in Indonesian, with a link back
#      to the article and the text in a textarea to edit;
#   5. the text edited there and sent again: published;
#   6. a fifth comment, then a sixth at once: the limit page (5 a
#      minute), saying when to try again.
#
# Each step leaves a screenshot in build/browser/ (NN-step.png).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use CMTest;
use CMDemo;
use CMBrowser;

plan skip_all => 'redis-server is not installed (./build.sh deps)'
    unless -x '/usr/bin/redis-server';

# the valgrind pass runs the module files only; a browser is not one
plan skip_all => 'not under valgrind: chromium would wait on it too long'
    if $ENV{TEST_NGINX_VALGRIND};

my $t = CMDemo::start();

my $browser = CMBrowser->new($t->dir)
    or plan skip_all => $CMBrowser::WHY;

my $shots = "$CMTest::REPO/build/browser";
unlink glob "$shots/*.png";

my $site = 'http://127.0.0.1:' . $t->port;
my $step = 0;

sub shot {
    my ($name) = @_;
    my $file = sprintf '%s/%02d-%s.png', $shots, ++$step, $name;
    $browser->screenshot($file);
    ok(-s $file, "screenshot " . substr($file, length($CMTest::REPO) + 1));
}

sub write_comment {
    my ($name, $text) = @_;
    $browser->type('input[name=nama]', $name);
    $browser->type('textarea[name=komentar]', $text);
    $browser->click('form[action="/komentar"] button[type=submit]');
}

sub comments_on_page {
    return $browser->text('#comments');
}


# 1. the article

$browser->go("$site/");
like($browser->title, qr/Polisi Bongkar Jaringan Judi Online/,
     'the article opens');
like($browser->text('main'), qr/Tulis komentar/, 'with its comment form');
shot('article');


# 2. a clean comment is listed

my $CLEAN = 'Polisi harus memberantas judi online sampai tuntas';

write_comment('Budi', $CLEAN);
like($browser->wait_url(qr{/\?shown$}), qr{/\?shown$},
     'clean: back on the article');
like($browser->text('#status'), qr/komentar Anda sudah dimuat/,
     'clean: the page says it is published');
like(comments_on_page(), qr/Budi: \Q$CLEAN\E/, 'clean: listed');
shot('clean-comment-listed');


# 3. a held comment waits for a moderator and is not on the page

write_comment('Ani', 'polisi goblok');
like($browser->wait_url(qr{/\?held$}), qr{/\?held$},
     'held: back on the article');
like($browser->text('#status'), qr/menunggu persetujuan moderator/,
     'held: the page says it waits for a moderator');
unlike($browser->source, qr/goblok/, 'held: not on the page');
like(comments_on_page(), qr/\Q$CLEAN\E/, 'held: the clean one still is');
shot('held-waiting-for-moderator');


# 4. gambling spam: the module's page

my $SPAM = 'daftar sekarang di situs slot gacor, pasti maxwin';

write_comment('Promo', $SPAM);
CMTest::wait_for(sub { ($browser->title // '') =~ /Komentar ditolak/ });
is($browser->title, 'Komentar ditolak', "spam: the module's page");
is($browser->attr('html', 'lang'), 'id', 'spam: in Indonesian');
like($browser->text('#reason'), qr/melanggar pedoman komunitas/,
     'spam: with the reason');
like($browser->attr('a#back', 'href'), qr{^/\?held$},
     'spam: a link back to the article');
like($browser->text('a#back'), qr/Kembali ke artikel/, 'spam: saying so');
is($browser->prop('textarea#text', 'value'), $SPAM,
   'spam: the text, in a textarea to edit');
is($browser->prop('input[name=nama]', 'value'), 'Promo',
   'spam: the name kept');
shot('spam-rejected-with-text-to-edit');


# 5. edited there and sent again: published

my $EDITED = 'Semoga situs judi online seperti ini segera diblokir';

$browser->type('textarea#text', $EDITED);
$browser->click('form#edit button[type=submit]');
like($browser->wait_url(qr{/\?shown$}), qr{/\?shown$},
     'edited: back on the article');
like(comments_on_page(), qr/Promo: \Q$EDITED\E/, 'edited: listed');
unlike($browser->source, qr/slot gacor/, 'edited: the spam never shown');
shot('edited-comment-listed');


# 6. a fifth comment, then a sixth at once: limited

write_comment('Citra', 'Terima kasih atas beritanya');
$browser->wait_url(qr{/\?shown$});
like(comments_on_page(), qr/Citra: Terima kasih atas beritanya/,
     'the fifth comment is listed');

write_comment('Citra', 'Satu lagi, maaf');
CMTest::wait_for(sub { ($browser->title // '') =~ /Terlalu banyak/ });
is($browser->title, 'Terlalu banyak komentar', 'the sixth: the limit page');
like($browser->text('#reason'), qr/terlalu cepat/, 'limit: the reason');
like($browser->text('#retry'),
     qr/^Anda dapat mengirim komentar lagi dalam \d+ detik\.$/,
     'limit: when to try again');
like($browser->attr('a#back', 'href'), qr{^/\?shown$},
     'limit: a link back to the article');
shot('sixth-comment-limited');

$browser->click('a#back');
$browser->wait_url(qr{/\?shown$});
unlike(comments_on_page(), qr/Satu lagi/, 'limit: the sixth not stored');


# what the backend stored

my @c = CMDemo::comments($t);
is_deeply([map { "$_->{state} $_->{name}" } @c],
          ['shown Budi', 'held Ani', 'shown Promo', 'shown Citra'],
          'the backend: the clean, the held (queued), the edited, the fifth')
    or diag(explain(\@c));

$browser->quit;
$t->done_testing;
