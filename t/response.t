#!/usr/bin/perl

# The answer to a rejected comment: an HTML page by default, a JSON object
# when the client accepts JSON or sent JSON; the default and a configured
# message, escaped properly in JSON; the configured status.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use CMTest;

my $t = CMTest->new;

$t->write_config(<<'END');
    comment_moderation_rules %%RULES%%/basic.rules;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        location / {
            comment_moderation on;
            %%PROXY%%
        }

        location /custom/ {
            comment_moderation on;
            comment_moderation_reject_message "Komentar ditolak oleh moderator.";
            %%PROXY%%
        }

        location /quoted/ {
            comment_moderation on;
            comment_moderation_reject_message "Komentar \"ditolak\": C:\\spam\tok / 100% ✓ <b>&</b>";
            %%PROXY%%
        }

        location /errpage/ {
            comment_moderation on;
            error_page 403 /blocked.html;
            %%PROXY%%
        }

        location = /blocked.html {
            root %%TESTDIR%%;
            add_header X-Page-Decision $comment_moderation_decision always;
        }

        location /named/ {
            comment_moderation on;
            error_page 403 @forbidden;
            %%PROXY%%
        }

        location @forbidden {
            comment_moderation on;
            proxy_pass http://127.0.0.1:%%BACKEND%%;
            proxy_set_header X-Comment-Moderation "from-named-location";
        }

        location /status/ {
            comment_moderation on;
            comment_moderation_reject_status 451;
            %%PROXY%%
        }
    }
END

$t->write_file('blocked.html', "<p>diblokir oleh situs</p>\n");
$t->run;

my $SPAM = 'comment=judi+online+%3Cscript%3Ealert(1)%3C%2Fscript%3E';
my $QUOTED = "Komentar \"ditolak\": C:\\spam\tok / 100% \x{2713} <b>&</b>";


sub post {
    my ($uri, $body, %headers) = @_;
    $headers{'Content-Type'} ||= 'application/x-www-form-urlencoded';
    my ($status, $h, $b) = CMTest::parse_response(
        $t->http_post($uri, $body, %headers));
    return { status => $status, h => $h, body => $b };
}

sub html_answer {
    my ($r, $status, $name) = @_;

    subtest $name => sub {
        is($r->{status}, $status, "status $status");
        like($r->{h}{'content-type'} // '', qr{^text/html\b}i,
             'Content-Type text/html');
        like($r->{body}, qr/<html/i, 'an HTML page');
        is($r->{h}{'content-length'}, length $r->{body},
           'Content-Length matches the body')
            if defined $r->{h}{'content-length'};
        unlike($r->{body}, qr/<script>|judi/,
               'the comment is not reflected');
        ok(!defined $r->{h}{'x-backend-method'}, 'backend not reached');
    };
}

# returns the decoded object
sub json_answer {
    my ($r, $status, $name) = @_;

    my $obj;

    subtest $name => sub {
        is($r->{status}, $status, "status $status");
        like($r->{h}{'content-type'} // '', qr{^application/json\b}i,
             'Content-Type application/json');
        $obj = eval { JSON::PP->new->utf8->decode($r->{body}) };
        ok(ref $obj eq 'HASH', 'body is a JSON object')
            or diag("body: $r->{body}\nerror: $@");
        $obj ||= {};
        is($obj->{decision}, 'reject', 'decision is "reject"');
        is($obj->{score}, 12, 'score is 12');
        like($r->{body}, qr/"score"\s*:\s*12\b/, 'score is a JSON number');
        ok(defined $obj->{reason}, 'reason is present');
        unlike($r->{body}, qr/<script>|judi/,
               'the comment is not reflected');
        ok(!defined $r->{h}{'x-backend-method'}, 'backend not reached');
    };

    return $obj || {};
}


# default: HTML with the Indonesian default message

my $r = post('/', $SPAM);
html_answer($r, 403, 'default answer is HTML');
like($r->{body}, qr/Komentar Anda/, 'default message in the page');

$r = post('/', $SPAM, Accept => 'text/html,application/xhtml+xml');
html_answer($r, 403, 'Accept: text/html');

$r = post('/', $SPAM, Accept => '*/*');
html_answer($r, 403, 'Accept: */*');


# JSON when accepted or when the body is JSON

my $o = json_answer(post('/', $SPAM, Accept => 'application/json'), 403,
                    'Accept: application/json');
like($o->{reason} // '', qr/^Komentar Anda/, 'default message as reason');

$o = json_answer(post('/', $SPAM,
                      Accept => 'text/html;q=0.9, application/json;q=1'),
                 403, 'Accept listing application/json among others');

$o = json_answer(post('/', '{"comment":"judi online"}',
                      'Content-Type' => 'application/json'),
                 403, 'JSON body, no Accept');
like($o->{reason} // '', qr/^Komentar Anda/, 'JSON body: default reason');

$o = json_answer(post('/', '{"comment":"judi online"}',
                      'Content-Type' => 'application/json; charset=utf-8',
                      Accept => 'text/html'),
                 403, 'JSON body with Accept: text/html');


# configured message

$r = post('/custom/', $SPAM);
html_answer($r, 403, 'custom message: HTML');
like($r->{body}, qr/Komentar ditolak oleh moderator\./,
     'custom message in the page');
unlike($r->{body}, qr/Komentar Anda/, 'default message replaced');

$o = json_answer(post('/custom/', $SPAM, Accept => 'application/json'),
                 403, 'custom message: JSON');
is($o->{reason}, 'Komentar ditolak oleh moderator.',
   'custom message as reason');


# quotes, backslash, tab and non-ASCII escaped in JSON

$r = post('/quoted/', $SPAM, Accept => 'application/json');
$o = json_answer($r, 403, 'message with quotes: JSON');
is($o->{reason}, $QUOTED, 'reason decodes to the configured message');
unlike($r->{body}, qr/\t/, 'no raw tab inside the JSON text');

$r = post('/quoted/', $SPAM);
html_answer($r, 403, 'message with quotes: HTML');
like($r->{body}, qr/ditolak/, 'message with quotes in the page');
like($r->{body}, qr{&lt;b&gt;&amp;&lt;/b&gt;}, 'message is HTML-escaped');
unlike($r->{body}, qr{<b>}, 'no raw markup from the message');


# configured status, both forms

$r = post('/status/', $SPAM);
html_answer($r, 451, 'reject_status 451: HTML');

json_answer(post('/status/', $SPAM, Accept => 'application/json'), 451,
            'reject_status 451: JSON');


# an error_page for the reject status is the operator's own answer

$r = post('/errpage/', $SPAM, Accept => 'application/json');
is($r->{status}, 403, 'error_page: status 403');
is($r->{body}, "<p>diblokir oleh situs</p>\n", 'error_page: its page');
ok(!defined $r->{h}{'x-backend-method'}, 'error_page: backend not reached');

$r = post('/errpage/', 'comment=slot+gacor');
is($r->{status}, 200, 'error_page: held comment passes');
is($r->{body}, 'comment=slot+gacor', 'error_page: held comment echoed');


# a named location as the error_page (the method stays POST): the
# operator's location answers, and the comment is inspected once only

my $mark = $t->log_mark;
$r = post('/named/', $SPAM);
is($r->{status}, 403, 'error_page @named: status 403');
is($r->{h}{'x-backend-moderation'}, 'from-named-location',
   'error_page @named: the named location answered');
my @decisions = grep { /comment moderation: decision=/ }
    split /\n/, $t->error_log_since($mark);
is(scalar @decisions, 1, 'error_page @named: inspected once')
    or diag(join "\n", @decisions);


# held and passed comments get the backend's answer, not a moderation page

$r = post('/', 'comment=slot+gacor', Accept => 'application/json');
is($r->{status}, 200, 'held: status 200');
is($r->{body}, 'comment=slot+gacor', 'held: backend answer');
is($r->{h}{'content-type'}, 'application/octet-stream',
   "held: backend's Content-Type");

$t->done_testing;
