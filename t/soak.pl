#!/usr/bin/perl

# Soak: the module under a long mixed load, on loopback only, while Redis
# is killed and restarted twice and nginx reloads three times.
#
#   t/soak.pl [SECONDS]          (default 180; ./build.sh soak [SECONDS])
#
# It starts nginx with two workers, the shipped rules and a Redis rate
# limit per client key (the X-Client header: thousands of readers who post
# now and then, three flooders who are limited), a real redis-server, and
# a backend that records the id, length and SHA-1 of every body it gets.
# Client processes post ham, spam and hostile bodies (lines of
# t/corpus/*.tsv as forms, JSON and multipart; long runs of a digit, deep
# JSON, thousands of multipart parts, invalid UTF-8, padding; a fifth of
# them chunked) to two locations, one that lets posts through when Redis
# cannot answer and one that answers 503.
#
# A warm-up first, then the run with its events.  Afterwards it prints the
# figures and checks, as TAP (exit status: the number of failed checks):
# no worker crashed and no [alert], [crit] or [emerg] in error.log; the
# workers' RSS and open fds when idle are the same at the end as after the
# warm-up, and the master's the same after the last reload as after the
# first; every post got an expected answer; the backend got every post the
# module passed or held, byte for byte, once, and none it rejected or
# limited or refused for Redis; the module's counters agree with what the
# clients saw; each Redis outage was seen (503) and limiting came back.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha1_hex);
use IO::Socket::INET;
use List::Util qw(max min sum0);
use POSIX qw(_exit WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);
use CMTest;
use CMRedis;

my $DURATION = shift // 180;
my $CLIENTS = $ENV{SOAK_CLIENTS} || 4;
my $BACKENDS = 4;
my $READERS = 5000;
my $FLOODERS = 3;

# How much an idle process's RSS may differ between two looks, with
# malloc giving memory back (below): a worker's stays within a few KB
# under thousands of posts, the master's within 1.2 MB over 30 reloads
# (the shipped rule set alone is 4 MB).  A leak of 100 bytes a post, or
# of a rule set a reload, is past them.
my $WORKER_MARGIN_KB = $ENV{SOAK_WORKER_MARGIN_KB} || 1024;
my $MASTER_MARGIN_KB = $ENV{SOAK_MASTER_MARGIN_KB} || 2048;

die "usage: $0 [SECONDS]  (at least 30)\n"
    unless $DURATION =~ /^\d+$/ && $DURATION >= 30;
die "soak: needs /usr/bin/redis-server\n" unless -x '/usr/bin/redis-server';

$| = 1;

my $t = CMTest->new(workers => 2);
my $dir = $t->dir;
my $redis = CMTest::free_port();
my $ms = int(CMTest::scaled(100));

my $parent = $$;
my ($backend, @backend_pids) = start_recorder();

END {
    kill 'TERM', @backend_pids if $$ == $parent;
}

my $conf = <<'END';
    client_max_body_size 4m;
    comment_moderation_rules %%REPO%%/rules/main.rules;
    comment_moderation_redis 127.0.0.1:%%REDIS%% timeout=%%MS%%ms;

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;

        comment_moderation_limit key=$http_x_client rate=60r/m burst=10;

        location = /komentar {
            comment_moderation on;
            %%SOAKPROXY%%
        }

        location = /komentar-ketat {
            comment_moderation on;
            comment_moderation_redis_failure closed;
            %%SOAKPROXY%%
        }

        location = /status {
            comment_moderation_status;
        }
    }
END

my $proxy = <<'END';
proxy_pass http://127.0.0.1:%%BPORT%%;
            proxy_set_header X-Comment-Moderation $comment_moderation_decision;
            add_header X-Decision $comment_moderation_decision always;
END

$conf =~ s/%%SOAKPROXY%%/$proxy/g;
$conf =~ s/%%BPORT%%/$backend/g;
$conf =~ s/%%REDIS%%/$redis/g;
$conf =~ s/%%MS%%/$ms/g;

my $rpid = CMRedis::start_server($dir, $redis);

# glibc's malloc then gives back what is freed (blocks over 128 KB are
# mapped and unmapped, a free top of the heap over 128 KB is trimmed)
# instead of keeping what the largest bodies needed, so that an idle
# worker's RSS follows the memory it still holds
{
    local $ENV{GLIBC_TUNABLES} = 'glibc.malloc.mmap_threshold=131072:'
                                 . 'glibc.malloc.trim_threshold=131072';
    $t->write_config($conf)->run;
}

my @corpus = load_corpus();

printf "soak: %d s, %d clients, nginx with 2 workers on 127.0.0.1:%d, "
    . "redis on %d, %d corpus lines; dir %s\n",
    $DURATION, $CLIENTS, $t->port, $redis, scalar @corpus, $dir;


# Three phases, each ending with a look at the idle workers: a warm-up;
# the events (Redis outages, reloads) at fixed points of theirs; then a
# steady load on the last workers, which must leave them as they were.

my $start = time;
my $warm = max(10, int($DURATION / 10));
my $eventful = int(($DURATION - $warm) * 0.55);
my $steady = $DURATION - $warm - $eventful;

my (@done, @outages, @samples, %master_after);
my $reloads = 0;

run_phase($warm, 'w');
my %idle_warm = idle_sample();

run_phase($eventful, 'e',
    [0.15, 'redis kill'],   [0.25, 'redis start'],
    [0.30, 'reload'],
    [0.45, 'reload'],
    [0.55, 'redis kill'],   [0.65, 'redis start'],
    [0.75, 'reload']);
my %idle_before = idle_sample();

run_phase($steady, 's');
my $end = time;
my %idle_after = idle_sample();


# what the clients saw, what the backend got, what the module counted

my @posts = read_posts();
my %got = read_backend();
my %counters = eval { counters() };     # none from a stuck nginx
my $log = $t->error_log;


# figures

my (%by_status, %by_decision, %by_kind, %chunked);

for my $p (@posts) {
    my $answer = $p->{status} eq '200' ? $p->{decision}
               : { 403 => 'reject', 429 => 'limit', 503 => 'redis-503' }
                 ->{$p->{status}} // $p->{status};
    (my $kind = $p->{kind}) =~ s/\+chunked$//;

    $by_status{$p->{status}}++;
    $by_decision{$p->{decision}}++ if $p->{status} eq '200';
    $by_kind{$kind}{$answer}++;
    $by_kind{$kind}{posts}++;
    $chunked{$kind}++ if $p->{kind} =~ /\+chunked$/;
}

my @lat = sort { $a <=> $b } map { $_->{took} } @posts;

print "\n== figures\n";
printf "posts           %d in %.0f s (%.0f a second), %d bytes\n",
    scalar @posts, $end - $start, @posts / ($end - $start),
    sum0(map { $_->{len} } @posts);
printf "answers         %s\n",
    join(', ', map { "$_ $by_status{$_}" } sort keys %by_status);
printf "decisions       pass %d, hold %d, reject %d, limit %d, "
    . "redis refused (503) %d\n",
    $by_decision{pass} // 0, $by_decision{hold} // 0,
    $by_status{403} // 0, $by_status{429} // 0, $by_status{503} // 0;
printf "latency         median %.1f ms, 99th %.1f ms, max %.1f ms\n",
    1000 * $lat[@lat / 2], 1000 * $lat[int(@lat * 0.99)], 1000 * $lat[-1]
    if @lat;
print "by body         posts (chunked): pass hold reject limit redis-503\n";
for my $k (sort keys %by_kind) {
    printf "  %-13s %6d (%5d): %s\n", $k, $by_kind{$k}{posts},
        $chunked{$k} // 0, join(' ', map { $by_kind{$k}{$_} // 0 }
                                     qw(pass hold reject limit redis-503));
}
printf "backend         %d bodies recorded\n", scalar keys %got;
printf "counters        %s\n", join(', ',
    map { "$_ $counters{$_}" } sort keys %counters);
print "events          \n", map { "  $_\n" } @done;

print "idle workers\n";
print_memory('after the warm-up', $idle_warm{workers});
print_memory('after the events', $idle_before{workers});
print_memory('at the end', $idle_after{workers});
printf "master RSS      %d KB after the warm-up, %s, %d KB at the end\n",
    $idle_warm{master}[0],
    join(', ', map { "$master_after{$_}[0] KB after reload $_" }
               sort keys %master_after),
    $idle_after{master}[0];

printf "under load      RSS at most %d KB, fds at most %d a worker\n",
    max(map { $_->[0] // 0 } @samples) // 0,
    max(map { $_->[1] // 0 } @samples) // 0;
printf "error.log       %d lines: %d warn, %d error, %d alert/crit/emerg\n",
    scalar(() = $log =~ /\n/g), scalar(() = $log =~ /\[warn\]/g),
    scalar(() = $log =~ /\[error\]/g),
    scalar(() = $log =~ /\[(?:alert|crit|emerg)\]/g);
my %errors;
for ($log =~ /\[error\] \d+#\d+: (?:\*\d+ )?([^,\n]*)/g) {
    (my $e = $_) =~ s/\d+/N/g;
    $errors{$e}++;
}
printf "  %5d  %s\n", $errors{$_}, $_
    for (sort { $errors{$b} <=> $errors{$a} } keys %errors)[0 .. min(5,
        scalar(keys %errors) - 1)];

print "\n== checks\n";


# checks

$t->stop;
$log = $t->error_log;

unlike($log, qr/exited on signal/, 'no worker crashed');
my @bad = grep { /\[(?:alert|crit|emerg)\]/ } split /\n/, $log;
ok(!@bad, 'no [alert], [crit] or [emerg] in error.log')
    or diag(join "\n", @bad[0 .. min(9, $#bad)]);

is($reloads, 3, 'three reloads, each replacing the workers');
is(scalar(grep { @$_ == 2 } @outages), 2,
   'Redis killed and started again twice');

check_memory();

my @odd = grep { $_->{status} !~ /^(?:200|403|429|503)$/
                 || ($_->{status} eq '503' && $_->{uri} ne '/komentar-ketat')
                 || ($_->{status} eq '200'
                     && $_->{decision} !~ /^(?:pass|hold)$/) } @posts;
ok(!@odd, 'every post answered 200 (pass, hold), 403, 429, or 503 where '
   . 'Redis failures are refused')
    or diag(join "\n", map { "$_->{id} $_->{kind} $_->{uri}: $_->{status} "
                             . $_->{decision} } @odd[0 .. min(9, $#odd)]);

my @limited = grep { $_->{status} eq '429' && $_->{key} !~ /^flood-/ } @posts;
ok(!@limited, 'only the flooders were limited')
    or diag(scalar(@limited) . ' readers limited');
ok(($by_status{429} // 0) > 0, 'the flooders were limited');

check_backend();
check_counters();
check_outages();

done_testing();

exit(Test::More->builder->is_passing ? 0 : 1);


# the backend: records "id sha1 length decision" for each body it gets

sub start_recorder {
    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
        Listen => 1024, ReuseAddr => 1,
    ) or die "backend: cannot listen: $!\n";

    my @pids;

    for (1 .. $BACKENDS) {
        my $pid = fork;
        die "fork: $!\n" unless defined $pid;

        if ($pid == 0) {
            $SIG{TERM} = sub { _exit(0) };
            open my $out, '>>:raw', "$dir/backend.log" or _exit(1);

            while (1) {
                my $c = $listen->accept or next;
                eval {
                    local $SIG{ALRM} = sub { die "timeout\n" };
                    alarm CMTest::scaled(30);
                    record($c, $out);
                    alarm 0;
                };
                close $c;
            }
        }

        push @pids, $pid;
    }

    my $port = $listen->sockport;
    close $listen;

    return ($port, @pids);
}


sub record {
    my ($c, $out) = @_;

    binmode $c;
    my $buf = '';

    CMTest::read_more($c, \$buf) while index($buf, "\r\n\r\n") < 0;

    my $e = index($buf, "\r\n\r\n");
    my (undef, @lines) = split /\r\n/, substr($buf, 0, $e);
    $buf = substr($buf, $e + 4);

    my %h;
    for (@lines) {
        $h{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
    }

    my $body = '';

    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        while (1) {
            CMTest::read_more($c, \$buf) while index($buf, "\r\n") < 0;
            my $ce = index($buf, "\r\n");
            my $size = hex substr($buf, 0, $ce);
            $buf = substr($buf, $ce + 2);
            last if $size == 0;
            CMTest::read_more($c, \$buf) while length $buf < $size + 2;
            $body .= substr($buf, 0, $size);
            $buf = substr($buf, $size + 2);
        }

    } else {
        my $len = $h{'content-length'} // 0;
        CMTest::read_more($c, \$buf) while length $buf < $len;
        $body = substr($buf, 0, $len);
    }

    # one write a line: O_APPEND keeps the processes' lines whole
    syswrite $out, join("\t", $h{'x-soak-id'} // '-', sha1_hex($body),
                        length $body, $h{'x-comment-moderation'} // '-')
                   . "\n";

    my $resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
        . "Connection: close\r\nContent-Length: 3\r\n\r\nok\n";
    syswrite $c, $resp;
}


# clients

sub start_clients {
    my ($seconds, $tag) = @_;

    my $until = time + $seconds;
    my @pids;

    for my $n (1 .. $CLIENTS) {
        my $pid = fork;
        die "fork: $!\n" unless defined $pid;

        if ($pid == 0) {
            # no END blocks here: they would stop nginx and Redis
            eval { client("$tag$n", $until) };
            _exit($@ ? 1 : 0);
        }

        push @pids, $pid;
    }

    return @pids;
}


sub reap {
    1 while waitpid(-1, WNOHANG) > 0;
}


sub client {
    my ($name, $until) = @_;

    srand($$ ^ int(time * 1000));
    open my $out, '>:raw', "$dir/client-$name.log" or die "$!\n";

    my $seq = 0;

    # the warm-up sends each hostile kind first, so that the workers have
    # seen the largest bodies before they are measured
    my @first = $name =~ /^w/ ? hostile_kinds() : ();

    while (time < $until) {
        my ($kind, $ct, $body) = body(shift @first);

        my $key = rand() < 0.12 ? 'flood-' . (1 + int rand $FLOODERS)
                                : 'reader-' . (1 + int rand $READERS);
        my $uri = rand() < 0.25 ? '/komentar-ketat' : '/komentar';
        my $chunked = rand() < 0.2;
        my $id = "$name-" . ++$seq;

        my $req = "POST $uri HTTP/1.1\r\nHost: localhost\r\n"
            . "Connection: close\r\nContent-Type: $ct\r\n"
            . "X-Client: $key\r\nX-Soak-Id: $id\r\n";

        if ($chunked) {
            $req .= "Transfer-Encoding: chunked\r\n\r\n";
            my $off = 0;
            while ($off < length $body) {
                my $n = min(1 + int rand 8192, length($body) - $off);
                $req .= sprintf("%x\r\n", $n) . substr($body, $off, $n)
                    . "\r\n";
                $off += $n;
            }
            $req .= "0\r\n\r\n";

        } else {
            $req .= 'Content-Length: ' . length($body) . "\r\n\r\n" . $body;
        }

        my $sent = time;
        my $raw = eval { $t->http($req) };
        my ($status, $h) = CMTest::parse_response($raw);

        syswrite $out, join("\t", $id, $status // 'ERR',
                            $h->{'x-decision'} || '-',
                            $kind . ($chunked ? '+chunked' : ''),
                            sha1_hex($body), length $body,
                            sprintf('%.4f', $sent),
                            sprintf('%.4f', time - $sent), $key, $uri)
                       . "\n";
    }
}


sub load_corpus {
    my @lines;

    for my $f (glob "$FindBin::Bin/corpus/*.tsv") {
        open my $fh, '<:raw', $f or die "$f: $!\n";
        while (<$fh>) {
            chomp;
            push @lines, $1 if /^\w+\t(.+)$/;
        }
    }

    die "no corpus lines in t/corpus\n" unless @lines;
    return @lines;
}


sub hostile_kinds {
    return qw(run deep-json parts invalid-utf8 padded);
}


# a body of the kind asked for, or of one picked at random
sub body {
    my ($kind) = @_;

    my $line = $corpus[rand @corpus];
    my $FORM = 'application/x-www-form-urlencoded';
    my $b = 'soakBoUnDaRy' . int rand 1000000;
    my $MP = "multipart/form-data; boundary=$b";

    unless ($kind) {
        my $r = rand;
        $kind = $r < 0.45 ? 'form'
              : $r < 0.55 ? 'json'
              : $r < 0.63 ? 'multipart'
              : $r < 0.67 ? 'raw'
              : (hostile_kinds())[rand 5];
    }

    return ($kind, $FORM, 'komentar=' . urlencode($line)
                          . '&nama=Pembaca+' . int rand 1000)
        if $kind eq 'form';

    return ($kind, 'application/json', '{"artikel":' . int(rand 1000)
                   . ',"komentar":"' . json_escape($line) . '"}')
        if $kind eq 'json';

    return ($kind, $MP, part($b, 'nama', 'Pembaca') . part($b, 'komentar',
                        $line) . "--$b--\r\n")
        if $kind eq 'multipart';

    return ($kind, 'text/plain; charset=utf-8', $line) if $kind eq 'raw';

    if ($kind eq 'run') {
        my $c = (qw(1 7 $ | @ 0 9 .))[rand 8];
        return ($kind, $FORM, 'komentar=' . urlencode($c x 65536));
    }

    if ($kind eq 'deep-json') {
        my $n = 1000 + int rand 50000;
        return ($kind, 'application/json',
                ('[' x $n) . '"' . json_escape($line) . '"' . (']' x $n));
    }

    if ($kind eq 'parts') {
        my $n = 500 + int rand 3000;
        return ($kind, $MP, join('', map { part($b, "f$_", 'halo ' x 10) }
                                 1 .. $n)
                            . part($b, 'komentar', $line) . "--$b--\r\n");
    }

    if ($kind eq 'invalid-utf8') {
        my @junk = ("\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                    "\xe2\x82", "\x00", "\x80");
        my $s = $line;
        substr($s, rand length $s, 0) = $junk[rand @junk] for 1 .. 5;
        return ($kind, $FORM, "komentar=$s");
    }

    # padded
    return ($kind, $FORM, 'komentar=' . ('j' x (100 * 1024)) . '+'
                          . urlencode($line));
}


sub part {
    my ($b, $name, $value) = @_;
    return "--$b\r\nContent-Disposition: form-data; name=\"$name\"\r\n\r\n"
        . "$value\r\n";
}


sub urlencode {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}


sub json_escape {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/([\x00-\x1f])/sprintf '\\u%04x', ord $1/ge;
    return $s;
}


# measuring

# (RSS in KB, open fds) of a process
sub proc_sample {
    my ($pid) = @_;

    return (undef, undef) unless $pid;

    open my $fh, '<', "/proc/$pid/status" or return (undef, undef);
    my ($rss) = join('', <$fh>) =~ /^VmRSS:\s+(\d+)/m;
    close $fh;

    opendir my $dh, "/proc/$pid/fd" or return ($rss, undef);
    my $fds = grep { /^\d+$/ } readdir $dh;
    closedir $dh;

    return ($rss, $fds);
}


# waits until no connection to nginx or the backend is left open and the
# old workers are gone, so that what is measured is an idle worker
sub wait_idle {
    my %ports = ($t->port => 1, $backend => 1);

    my $idle = CMTest::wait_for(sub {
        my @w = $t->worker_pids;
        return 0 if @w != 2;

        for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
            open my $fh, '<', $f or next;
            <$fh>;
            while (<$fh>) {
                my (undef, $l, $r, $st) = split;
                next if $st eq '0A' || $st eq '06';   # LISTEN, TIME_WAIT
                my ($lp) = $l =~ /:([0-9A-F]+)$/;
                my ($rp) = $r =~ /:([0-9A-F]+)$/;
                return 0 if $ports{hex $lp} || $ports{hex $rp};
            }
        }

        return 1;
    }, 30);

    warn "soak: connections still open after the clients stopped\n"
        unless $idle;
}


sub print_memory {
    my ($name, $w) = @_;
    printf "  %-18s %s\n", $name, join('; ', map {
        sprintf('RSS %d KB, %d fds', $_->[0] // 0, $_->[1] // 0) } @$w);
}


# runs the clients for $seconds, with the events at their points of it
# (fractions of $seconds), and samples the workers meanwhile
sub run_phase {
    my ($seconds, $tag, @events) = @_;

    my $t0 = time;
    my @clients = start_clients($seconds, $tag);

    while (@events || grep { CMTest::alive($_) } @clients) {
        reap();

        if (@events && time >= $t0 + $events[0][0] * $seconds) {
            my (undef, $what) = @{ shift @events };
            my $at = time;

            if ($what eq 'redis kill') {
                CMRedis::stop_server($rpid, 'KILL');
                push @outages, [$at];

            } elsif ($what eq 'redis start') {
                $rpid = CMRedis::start_server($dir, $redis);
                push @{ $outages[-1] }, time;

            } elsif (eval { $t->reload }) {
                $reloads++;
                $master_after{$reloads} = [proc_sample($t->master_pid)];

            } else {
                # old workers still busy, or the master refused: counted
                $what .= ' failed: ' . ($@ ? (split /\n/, $@)[0] : 'emerg');
            }

            push @done, sprintf('%6.1f s  %s', $at - $start, $what);
            next;
        }

        push @samples, map { [proc_sample($_)] } $t->worker_pids;
        sleep 0.5;
    }

    reap();
}


sub idle_sample {
    wait_idle();
    return (workers => [map { [proc_sample($_)] } $t->worker_pids],
            master => [proc_sample($t->master_pid)]);
}


# The last workers, idle after the events and again after the steady
# load, and their fds against the first workers' after the warm-up (the
# same configuration: the same listening sockets, logs, channels and one
# Redis connection).
sub check_memory {
    my @w = @{ $idle_warm{workers} };
    my @b = @{ $idle_before{workers} };
    my @a = @{ $idle_after{workers} };

    is(scalar @a, 2, 'two workers at the end');

    my $rss_b = max(map { $_->[0] // 0 } @b);
    my $rss_a = max(map { $_->[0] // 0 } @a);
    my $fds_w = join ',', sort map { $_->[1] // '-' } @w;
    my $fds_b = join ',', sort map { $_->[1] // '-' } @b;
    my $fds_a = join ',', sort map { $_->[1] // '-' } @a;

    ok($rss_a <= $rss_b + $WORKER_MARGIN_KB,
       sprintf('idle worker RSS flat under the steady load: %d KB before, '
               . '%d KB after (margin %d KB)', $rss_b, $rss_a,
               $WORKER_MARGIN_KB));
    is($fds_a, $fds_b, "idle worker fds flat under the steady load: $fds_b");
    is($fds_b, $fds_w, 'idle worker fds the same after reloads and outages '
       . 'as after the warm-up');

    my $m1 = $master_after{1}[0] // 0;
    my $m3 = $idle_after{master}[0] // 0;

    ok($m1 && $m3 <= $m1 + $MASTER_MARGIN_KB,
       sprintf('master RSS flat across reloads: %d KB after the first, '
               . '%d KB at the end (margin %d KB)', $m1, $m3,
               $MASTER_MARGIN_KB));
    is($idle_after{master}[1], $idle_warm{master}[1],
       "master fds the same after the reloads: $idle_warm{master}[1]");
}


sub read_posts {
    my @p;

    for my $f (glob "$dir/client-*.log") {
        open my $fh, '<:raw', $f or next;
        while (<$fh>) {
            chomp;
            my @f = split /\t/;
            next unless @f == 10;
            push @p, { id => $f[0], status => $f[1], decision => $f[2],
                       kind => $f[3], sha => $f[4], len => $f[5],
                       sent => $f[6], took => $f[7], key => $f[8],
                       uri => $f[9] };
        }
    }

    return @p;
}


sub read_backend {
    my %g;

    open my $fh, '<:raw', "$dir/backend.log" or return ();
    while (<$fh>) {
        chomp;
        my ($id, $sha, $len, $mod) = split /\t/;
        push @{ $g{$id} }, { sha => $sha, len => $len, mod => $mod };
    }

    return %g;
}


sub counters {
    my ($status, undef, $body) = CMTest::parse_response(
        $t->http_get('/status'));
    my %c;

    for (split /\n/, $body // '') {
        $c{$1} = $2
            if /^comment_moderation_decisions_total\{decision="(\w+)"\} (\d+)$/;
        $c{$1} = $2 if /^comment_moderation_(\w+)_total (\d+)$/
                       && $1 ne 'decisions';
    }

    return %c;
}


sub check_backend {
    my (%seen, @missing, @wrong, @leaked, @twice);
    my $passed = 0;

    for my $p (@posts) {
        $seen{$p->{id}} = 1;
        my $g = $got{$p->{id}};

        if ($p->{status} eq '200') {
            $passed++;

            if (!$g) {
                push @missing, $p;
            } elsif (@$g > 1) {
                push @twice, $p;
            } elsif ($g->[0]{sha} ne $p->{sha} || $g->[0]{len} != $p->{len}
                     || $g->[0]{mod} ne $p->{decision})
            {
                push @wrong, $p;
            }

        } elsif ($g) {
            push @leaked, $p;
        }
    }

    my @unknown = grep { !$seen{$_} } keys %got;

    is(scalar @missing, 0,
       "the backend got each of the $passed posts passed or held")
        or diag(join "\n", map { "missing $_->{id} $_->{kind}" }
                           @missing[0 .. min(9, $#missing)]);
    is(scalar @wrong, 0, '... byte for byte (SHA-1, length), with the '
       . 'decision in its header')
        or diag(join "\n", map { "differs $_->{id} $_->{kind}" }
                           @wrong[0 .. min(9, $#wrong)]);
    is(scalar @twice, 0, '... once each');
    is(scalar @leaked, 0, 'the backend got none of the posts answered '
       . '403, 429 or 503')
        or diag(join "\n", map { "leaked $_->{id} $_->{status}" }
                           @leaked[0 .. min(9, $#leaked)]);
    is(scalar @unknown, 0, 'and nothing else');
}


sub check_counters {
    for my $d (qw(pass hold)) {
        is($counters{$d} // 0, $by_decision{$d} // 0,
           "counter $d agrees with the clients");
    }

    is($counters{reject} // 0, $by_status{403} // 0,
       'counter reject agrees with the 403s');
    is($counters{limit} // 0, $by_status{429} // 0,
       'counter limit agrees with the 429s');
    ok(($counters{redis_failures} // 0) >= ($by_status{503} // 0),
       'redis failures counted');
}


sub check_outages {
    my $n = 0;

    for my $o (@outages) {
        my ($down, $up) = @$o;
        $n++;
        next unless $up;

        my @during = grep { $_->{sent} > $down && $_->{sent} + $_->{took}
                            < $up } @posts;
        my @after = grep { $_->{sent} > $up
                           && $_->{sent} < $up + $eventful / 5 } @posts;

        ok((grep { $_->{status} eq '503' } @during),
           "outage $n: posts refused 503 where Redis failures are closed");
        ok((grep { $_->{status} eq '200' && $_->{uri} eq '/komentar' }
            @during),
           "outage $n: posts let through where they are open");
        ok((grep { $_->{status} eq '429' } @after),
           "outage $n: limits again after Redis came back");
    }
}
