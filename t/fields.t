#!/usr/bin/perl

# Which fields are inspected: comment_moderation_fields limits the fields
# for a location, field= limits a rule; form, multipart and nested JSON
# names; a malformed body is still inspected whole.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use CMTest;

my $t = CMTest->new;

$t->write_config(<<'END');
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_rules %%RULES%%/basic.rules;
        comment_moderation_rules %%RULES%%/fields.rules;

        location / {
            comment_moderation on;
            %%PROXY%%
        }

        location /comment/ {
            comment_moderation on;
            comment_moderation_fields comment;
            %%PROXY%%

            location /comment/nested/ {
                %%PROXY%%
            }
        }

        location /two/ {
            comment_moderation on;
            comment_moderation_fields comment title;
            %%PROXY%%
        }

        location /repeat/ {
            comment_moderation on;
            comment_moderation_fields comment;
            comment_moderation_fields title;
            %%PROXY%%
        }

        location /json/ {
            comment_moderation on;
            comment_moderation_fields post.comment post.title;
            %%PROXY%%
        }
    }
END

$t->run;


sub post {
    my ($uri, $body, $ct) = @_;
    my ($status, $h, $b) = CMTest::parse_response($t->http_post($uri, $body,
        'Content-Type' => $ct || 'application/x-www-form-urlencoded'));
    return { status => $status, h => $h, body => $b };
}

sub ids {
    my ($s) = @_;
    return join ',', sort { $a <=> $b } grep { length } split /\s*,\s*/,
        defined $s ? $s : '';
}

sub decided {
    my ($r, $decision, $score, $rules, $name) = @_;

    subtest $name => sub {
        is($r->{status}, $decision eq 'reject' ? 403 : 200, 'status');
        is($r->{h}{'x-decision'}, $decision, "decision $decision");
        is($r->{h}{'x-score'}, $score, "score $score");
        is(ids($r->{h}{'x-rules'}), $rules, "rules '$rules'");
    };
}

my $bd = 'cmtest-fields-7f3a';
my $MP = "multipart/form-data; boundary=$bd";

sub multipart {
    my (%parts) = @_;
    my $s = '';
    for my $name (sort keys %parts) {
        $s .= "--$bd\r\nContent-Disposition: form-data; name=\"$name\""
            . "\r\n\r\n$parts{$name}\r\n";
    }
    return $s . "--$bd--\r\n";
}


# no comment_moderation_fields: every field

decided(post('/', 'author=x&title=judi+online'), 'reject', 12, '3',
        'all fields: title inspected');
decided(post('/', 'judi+online=x'), 'reject', 12, '3',
        'all fields: a field name is text too');


# comment_moderation_fields comment

decided(post('/comment/', 'comment=judi+online'), 'reject', 12, '3',
        'fields comment: comment inspected');
decided(post('/comment/', 'title=judi+online&comment=halo'), 'pass', 0, '',
        'fields comment: title not inspected');
decided(post('/comment/', 'comments=judi+online&Comment=judi+online'),
        'pass', 0, '', 'fields comment: names match exactly');
decided(post('/comment/', 'comment=halo&comment=judi+online'), 'reject', 12,
        '3', 'fields comment: a repeated field is inspected each time');
decided(post('/comment/', 'com%6Dent=judi+online'), 'reject', 12, '3',
        'fields comment: field name is URL-decoded');
decided(post('/comment/', 'judi online', 'text/plain'), 'pass', 0, '',
        'fields comment: a raw body is field "body", not inspected');
decided(post('/comment/nested/', 'title=judi+online&comment=slot+gacor'),
        'hold', 6, '2', 'fields inherited by a nested location');

decided(post('/comment/', multipart(title => 'judi online', comment => 'x'),
             $MP), 'pass', 0, '', 'fields comment: multipart title skipped');
decided(post('/comment/', multipart(title => 'x', comment => 'judi online'),
             $MP), 'reject', 12, '3',
        'fields comment: multipart comment inspected');


# two names

decided(post('/two/', 'title=judi+online'), 'reject', 12, '3',
        'fields comment title: title inspected');
decided(post('/two/', 'author=judi+online'), 'pass', 0, '',
        'fields comment title: author not inspected');
decided(post('/two/', 'title=casino&comment=slot+gacor&author=togel'),
        'hold', 9, '1,2', 'fields comment title: scores add up');


# the directive repeated, one name each

decided(post('/repeat/', 'title=judi+online'), 'reject', 12, '3',
        'fields repeated: second name inspected');
decided(post('/repeat/', 'comment=slot+gacor&author=judi+online'), 'hold',
        6, '2', 'fields repeated: first name inspected, others not');


# nested JSON names

my $JSON = 'application/json';

decided(post('/json/', '{"post":{"comment":"judi online"}}', $JSON),
        'reject', 12, '3', 'json: post.comment inspected');
decided(post('/json/', '{"post":{"author":"judi online"}}', $JSON),
        'pass', 0, '', 'json: post.author not inspected');
decided(post('/json/', '{"comment":"judi online","post":{}}', $JSON),
        'pass', 0, '', 'json: top-level comment is not post.comment');
decided(post('/json/', '{"post":{"comment":{"x":"judi online"}}}', $JSON),
        'reject', 12, '3', 'json: post.comment.x is inside post.comment');
decided(post('/json/', '{"post":{"title":"promo","comment":"slot gacor"}}',
             $JSON), 'reject', 12, '2,12', 'json: two nested fields');

# breaking the syntax must not hide a phrase from a field-limited location
decided(post('/json/', '{"post":{"author":"judi online"', $JSON),
        'reject', 12, '3', 'json: malformed body inspected whole');


# field= in rules

decided(post('/', 'comment=bitcoin'), 'pass', 0, '',
        'field=title: comment not matched');
decided(post('/', 'title=bitcoin'), 'reject', 12, '10',
        'field=title: title matched');
decided(post('/', 'author=crypto'), 'reject', 12, '11',
        'field=title,author: author matched');
decided(post('/', 'title=crypto'), 'reject', 12, '11',
        'field=title,author: title matched');
decided(post('/', 'comment=crypto&name=crypto'), 'pass', 0, '',
        'field=title,author: other fields not matched');
decided(post('/json/', '{"post":{"title":"promo"}}', $JSON), 'hold', 6, '12',
        'field=post.title: nested JSON name');
decided(post('/', '{"title":"promo"}', $JSON), 'pass', 0, '',
        'field=post.title: top-level title not matched');

# a words rule with field=comment
decided(post('/', 'comment=ini+bandar+terbesar'), 'hold', 6, '20',
        'words field=comment: word in comment');
decided(post('/', 'title=bandar&author=bokep'), 'pass', 0, '',
        'words field=comment: words elsewhere not matched');

# rule field= and location fields together
decided(post('/comment/', 'comment=bandar&title=bitcoin'), 'hold', 6, '20',
        'field=title rule idle where only comment is inspected');
decided(post('/two/', 'comment=bandar&title=bitcoin'), 'reject', 18, '10,20',
        'field= rules where both fields are inspected');

$t->done_testing;
