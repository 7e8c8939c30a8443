package CMDemo;

# The demo site of config/ started for a test, on loopback: redis-server,
# config/backend.pl and nginx with the module and config/nginx.conf, its
# ports moved to free ones and its paths made absolute.  Core Perl only.
#
#   my $t = CMDemo::start();     # a CMTest; stopped and checked by it
#   $t->port                      # the site, as http://127.0.0.1:PORT/
#   CMDemo::comments($t)          # the backend's store, one hash a line

use strict;
use warnings;

use POSIX qw(_exit);
use CMTest;
use CMRedis;


sub start {
    my $t = CMTest->new;
    my $dir = $t->dir;
    my $repo = $t->repo;

    my $redis = CMTest::free_port();
    CMRedis::start_server($dir, $redis);

    my $backend = start_backend($t);

    open my $fh, '<', "$repo/config/nginx.conf"
        or die "cannot read config/nginx.conf: $!\n";
    my $conf = do { local $/; <$fh> };
    close $fh;

    my $module = $ENV{TEST_NGINX_MODULE}
                 || "$repo/build/ngx_http_comment_moderation_module.so";
    my $port = $t->port;

    # the harness's additions: workers that can write the test dir, and
    # the sanitizers' options kept in the workers' environment
    my $extra = $> == 0 ? "user root;\n" : '';
    $extra .= "env ASAN_OPTIONS;\nenv UBSAN_OPTIONS;\n"
        if $ENV{TEST_NGINX_PRELOAD};

    my $n = 0;
    $n += $conf =~ s{^load_module \S+;}{load_module $module;\n$extra}m;
    $n += $conf =~ s{\Q../rules/main.rules\E}{$repo/rules/main.rules}g;
    $n += $conf =~ s{127\.0\.0\.1:8080}{127.0.0.1:$port}g;
    $n += $conf =~ s{127\.0\.0\.1:8081}{127.0.0.1:$backend}g;
    $n += $conf =~ s{127\.0\.0\.1:6380}{127.0.0.1:$redis}g;

    die "config/nginx.conf changed: the demo's test cannot move it\n"
        unless $n == 5;

    $t->write_file($t->conf_path, $conf);
    $t->run;

    return $t;
}


sub start_backend {
    my ($t) = @_;

    my $port = CMTest::free_port();
    my $dir = $t->dir;
    my $repo = $t->repo;

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', "$dir/backend.log";
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        no warnings 'exec';
        exec $^X, "$repo/config/backend.pl", $port, "$dir/comments.tsv";
        _exit(127);
    }

    push @{ $t->{pids} }, $pid;

    CMTest::wait_for(sub {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp');
        return $s ? (close($s), 1) : 0;
    }) or die "config/backend.pl did not listen on $port\n";

    return $port;
}


# what the backend stored: {state, score, rules, name, text} a line
sub comments {
    my ($t) = @_;

    my @out;

    for (split /\n/, $t->read_file('comments.tsv')) {
        my (undef, $state, $score, $rules, $name, $text) = split /\t/;
        push @out, { state => $state, score => $score, rules => $rules,
                     name => $name, text => $text };
    }

    return @out;
}


1;
