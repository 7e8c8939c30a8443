#!/usr/bin/perl

# WordPress behind the module, the real thing: Debian's wordpress on
# php-fpm and MariaDB, config/wordpress/nginx.conf and the plugin
# config/wordpress/comment-moderation.php, all started here in a temp dir
# on loopback (t/lib/CMWordPress.pm).  On a post about Polres Serang's
# training, readers comment through wp-comments-post.php:
#
#   - a clean comment is approved and shown on the post;
#   - a held one is pending in the database, with the module's decision,
#     score and rules as comment meta, shown on the Comments screen, and
#     not on the post;
#   - a rejected one never reaches the database; the module's page gives
#     the form back, and the text edited there is approved;
#   - a passed one follows the site's settings: with manual approval on,
#     it is pending too;
#   - the sixth comment of the minute gets 429 and is not stored;
#   - the JSON access log has a line for each, with its decision;
#   - the export (Tools > Ekspor komentar) gives the approved, spam and
#     trashed comments as ham, spam and abuse lines.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use HTTP::Tiny;
use JSON::PP;
use Test::More;
use CMTest;
use CMRedis;
use CMWordPress;

if (my $why = CMWordPress::missing()) {
    plan skip_all => $why;
}

# the valgrind pass runs the module files only
plan skip_all => 'not under valgrind: WordPress would wait on it too long'
    if $ENV{TEST_NGINX_VALGRIND};

my $t = CMTest->new;
my $redis = CMTest::free_port();
CMRedis::start_server($t->dir, $redis);

my $wp = CMWordPress->start($t, redis => $redis);
my $post = $wp->post_id;
my $article = $wp->url("/?p=$post");

my $http = HTTP::Tiny->new(max_redirect => 0,
                           timeout => CMTest::scaled(30));
my $cookies = '';


sub get {
    my ($path) = @_;
    return $http->get($wp->url($path),
                      { headers => { Cookie => $cookies } });
}

sub post_form {
    my ($path, $fields, %headers) = @_;
    return $http->post_form($wp->url($path), $fields,
                            { headers => { Cookie => $cookies,
                                           %headers } });
}

# a reader's comment, from the post's own form
sub comment {
    my ($author, $text) = @_;
    return post_form('/wp-comments-post.php', [
        comment_post_ID => $post,
        comment_parent  => 0,
        author          => $author,
        email           => lc($author) . '@example.com',
        url             => '',
        comment         => $text,
        submit          => 'Post Comment',
    ], Referer => $article);
}

# comment_approved of the comments with this text
sub stored {
    my ($text) = @_;
    (my $q = $text) =~ s/'/''/g;
    return map { $_->[0] } $wp->sql(
        "SELECT comment_approved FROM wp_comments "
        . "WHERE comment_content = '$q' ORDER BY comment_ID");
}

sub comment_id {
    my ($text) = @_;
    (my $q = $text) =~ s/'/''/g;
    my ($row) = $wp->sql("SELECT comment_ID FROM wp_comments "
                         . "WHERE comment_content = '$q'");
    return $row ? $row->[0] : undef;
}

sub meta {
    my ($id) = @_;
    return { map { @$_ } $wp->sql(
        "SELECT meta_key, meta_value FROM wp_commentmeta "
        . "WHERE comment_id = $id AND meta_key LIKE 'cm\\_%'") };
}

sub unescape {
    my ($s) = @_;
    $s =~ s/&lt;/</g;
    $s =~ s/&gt;/>/g;
    $s =~ s/&quot;/"/g;
    $s =~ s/&amp;/&/g;
    return $s;
}


# the post, with its comment form

my $r = get("/?p=$post");
is($r->{status}, 200, 'the post') or diag("$r->{status} $r->{headers}{location}");
like($r->{content}, qr/Polres Serang Gelar Pelatihan Etika/, 'its title');
like($r->{content}, qr/konten media sosial/i, 'its article');
like($r->{content}, qr{<form action="[^"]*/wp-comments-post\.php"},
     "WordPress's comment form");


# 1. clean: approved and shown

my $CLEAN = 'Semoga pelatihan ini membuat pelayanan di Polres Serang '
          . 'makin ramah';

$r = comment('Budi', $CLEAN);
is($r->{status}, 302, 'clean: WordPress took it');
like($r->{headers}{location}, qr/#comment-\d+$/, 'clean: to the comment');
unlike($r->{headers}{location}, qr/unapproved/, 'clean: not waiting');
is_deeply([stored($CLEAN)], [1], 'clean: approved in the database');

my $id = comment_id($CLEAN);
is_deeply(meta($id), { cm_decision => 'pass', cm_score => 0, cm_rules => '' },
          'clean: the decision kept as comment meta');

$r = get("/?p=$post");
like($r->{content}, qr/\Q$CLEAN\E/, 'clean: shown on the post');


# 2. held: pending, with its score, not on the post

my $HELD = 'Dasar polisi goblok, kerjanya cuma pencitraan';

$r = comment('Ani', $HELD);
is($r->{status}, 302, 'held: WordPress took it');
like($r->{headers}{location}, qr/unapproved=\d+/,
     'held: to the post, as awaiting moderation');
is_deeply([stored($HELD)], [0], 'held: pending in the database');

my $held = comment_id($HELD);
is_deeply(meta($held),
          { cm_decision => 'hold', cm_score => 5, cm_rules => '2101' },
          'held: decision, score and rules as comment meta');

$r = get("/?p=$post");
unlike($r->{content}, qr/goblok/, 'held: not on the post');


# 3. rejected: never in the database; the module's page gives the form
# back, and the text edited there goes through

my $SPAM = 'daftar sekarang di situs slot gacor, pasti maxwin';
my ($before) = map { $_->[0] } $wp->sql('SELECT COUNT(*) FROM wp_comments');

$r = comment('Promo', $SPAM);
is($r->{status}, 403, 'rejected: answered by the module');
like($r->{content}, qr/<title>Komentar ditolak<\/title>/,
     "rejected: the module's page");
like($r->{content}, qr{<a id="back" href="/\?p=$post">},
     'rejected: a link back to the post');
is_deeply([stored($SPAM)], [], 'rejected: not in the database');
my ($after) = map { $_->[0] } $wp->sql('SELECT COUNT(*) FROM wp_comments');
is($after, $before, 'rejected: no comment added at all');

my %form = map { unescape($_->[0]) => unescape($_->[1]) }
    map { [/name="([^"]*)" value="([^"]*)"/] }
    $r->{content} =~ /<input type="hidden"[^>]*>/g;
my ($field, $text) = $r->{content}
    =~ m{<textarea[^>]*name="([^"]*)">\n([^<]*)</textarea>};

is($field, 'comment', "rejected: WordPress's comment field to edit");
is(unescape($text // ''), $SPAM, 'rejected: with the text');
is($form{comment_post_ID}, $post, 'rejected: the post id kept');
is($form{author}, 'Promo', 'rejected: the author kept');

my $EDITED = 'Materinya bagus, konten media sosial polisi memang harus santun';
my ($action) = $r->{content} =~ /<form id="edit" method="post" action="([^"]*)"/;
$r = post_form(unescape($action), [%form, $field => $EDITED],
               Referer => $article);
is($r->{status}, 302, 'edited: sent again from the page, WordPress took it');
is_deeply([stored($EDITED)], [1], 'edited: approved');


# 4. a passed comment follows the site's own settings: with "Comment
# must be manually approved", it waits too

my $FIFTH = 'Kapan pelatihan serupa diadakan untuk polsek?';

$wp->php("update_option('comment_moderation', 1);");

$r = comment('Citra', $FIFTH);
is($r->{status}, 302, 'manual approval: WordPress took it');
like($r->{headers}{location}, qr/unapproved=\d+/,
     'manual approval: awaiting moderation');
is_deeply([stored($FIFTH)], [0], "manual approval: pending, as the site's "
          . 'settings say');
is(meta(comment_id($FIFTH))->{cm_decision}, 'pass',
   'manual approval: though the module passed it');

$wp->php("update_option('comment_moderation', 0);");


# 5. a sixth comment at once: 429, not stored

my $SIXTH = 'Mantap, semoga konsisten';

$r = comment('Citra', $SIXTH);
is($r->{status}, 429, 'sixth: limited');
ok($r->{headers}{'retry-after'} >= 1, 'sixth: with Retry-After');
like($r->{content}, qr/Terlalu banyak komentar/, 'sixth: the limit page');
is_deeply([stored($SIXTH)], [], 'sixth: not in the database');


# the moderators' JSON log: every post to wp-comments-post.php, in order

my @log;
CMTest::wait_for(sub {
    @log = map { eval { JSON::PP->new->decode($_) } || { bad => $_ } }
           split /\n/, $t->read_file('comments.json');
    return @log >= 6;
});

is_deeply([map { [@$_{qw(uri decision score rules status)}] } @log],
          [['/wp-comments-post.php', 'pass', '0', '', 302],
           ['/wp-comments-post.php', 'hold', '5', '2101', 302],
           ['/wp-comments-post.php', 'reject', $log[2]{score},
            $log[2]{rules}, 403],
           ['/wp-comments-post.php', 'pass', '0', '', 302],
           ['/wp-comments-post.php', 'pass', '0', '', 302],
           ['/wp-comments-post.php', 'limit', '0', '', 429]],
          'JSON log: a line a comment, with its decision')
    or diag($t->read_file('comments.json'));
is($log[1]{tags}, 'insult', 'JSON log: the held comment\'s tag');
like($log[2]{tags}, qr/\bgambling\b/, 'JSON log: the spam\'s');
is($log[5]{inspect_ms}, '', 'JSON log: a limited post is not inspected');


# the Comments screen shows what the module found

$r = post_form('/wp-login.php', [
    log => $CMWordPress::ADMIN, pwd => $CMWordPress::PASSWORD,
    'wp-submit' => 'Log In', testcookie => 1,
    redirect_to => $wp->url('/wp-admin/'),
], Cookie => 'wordpress_test_cookie=WP%20Cookie%20check');

is($r->{status}, 302, 'the editor logs in');
my $set = $r->{headers}{'set-cookie'} // [];
$cookies = join '; ', map { /^([^;]+)/ } ref $set ? @$set : ($set);
like($cookies, qr/wordpress_logged_in_/, 'with a session');

$r = get('/wp-admin/edit-comments.php?comment_status=moderated');
is($r->{status}, 200, 'the Comments screen, pending');
like($r->{content}, qr/Moderasi otomatis/, 'with the plugin\'s column');
like($r->{content},
     qr{<span class="cm-moderation cm-hold">hold, skor 5, aturan 2101</span>},
     'showing the held comment\'s decision, score and rules');
like($r->{content}, qr/goblok/, 'beside the comment');


# the export: a moderator bins the held comment (abuse), a spam comment
# is caught by WordPress (spam); then Tools > Ekspor komentar

my $LOAN = 'Butuh dana cepat? Pinjaman tanpa jaminan, hubungi WA kami';

$wp->php(<<"END");
wp_trash_comment($held);
\$id = wp_insert_comment(array('comment_post_ID' => $post,
    'comment_author' => 'Dana', 'comment_content' => '$LOAN',
    'comment_approved' => 'spam'));
END

$r = get('/wp-admin/tools.php?page=comment-moderation-export');
is($r->{status}, 200, 'Tools > Ekspor komentar');
my ($nonce) = $r->{content} =~ /name="_wpnonce" value="([^"]+)"/;
ok($nonce, 'with its form');

$r = post_form('/wp-admin/admin-post.php',
               [action => 'cm_export', _wpnonce => $nonce // '']);
is($r->{status}, 200, 'the download');
like($r->{headers}{'content-type'}, qr{^text/tab-separated-values},
     'as TSV');
is($r->{content}, join('', map { "$_\n" }
                       "ham\t$CLEAN", "ham\t$EDITED",
                       "spam\t$LOAN", "abuse\t$HELD"),
   'approved as ham, spam as spam, trashed as abuse; nothing else');

$cookies = '';
$r = post_form('/wp-admin/admin-post.php',
               [action => 'cm_export', _wpnonce => $nonce // '']);
unlike($r->{content}, qr/^(?:ham|spam|abuse)\t/m, 'no export for a visitor');

is($t->read_file('php-errors.log') =~ /PHP (?:Fatal|Warning)/ ? 1 : 0, 0,
   'no PHP error or warning')
    or diag($t->read_file('php-errors.log'));

$t->done_testing;
