package CMTest;

# A small test harness for the comment moderation module, in the spirit of
# the nginx-tests repository (Debian ships no Test::Nginx).  Each test
# writes its nginx.conf from a template into a temp dir, starts a real
# nginx with -p/-c, talks raw HTTP over IO::Socket::INET with a timeout, and
# at the end fails if error.log holds an alert, a crit or a sanitizer
# report.  Core Perl only.
#
#   my $t = CMTest->new;                  # temp dir; TEST_NGINX_LEAVE keeps it
#                                         # (workers => N: worker_processes)
#   $t->write_config(<<'END');            # the http{} body; placeholders:
#       server {                          #   %%PORT%% %%BACKEND%% %%TESTDIR%%
#           listen 127.0.0.1:%%PORT%%;    #   %%RULES%% (t/rules) %%REPO%%
#           comment_moderation_rules %%RULES%%/basic.rules;
#           location / {
#               comment_moderation on;
#               %%PROXY%%                 # proxy_pass to the echo backend,
#           }                             # moderation headers both ways
#       }
#   END
#   $t->run;
#   my ($status, $h, $body) = CMTest::parse_response(
#       $t->http_post('/', 'comment=halo', 'Content-Type' => '...'));
#   $t->done_testing;                     # stops nginx, checks error.log
#
# The backend started for %%BACKEND%% echoes the request body and reports
# X-Backend-Method, X-Backend-Length and X-Backend-Moderation/-Score/-Rules
# (copied from the X-Comment-Moderation* request headers, absent when the
# request had none).  TEST_NGINX_BINARY overrides /usr/sbin/nginx,
# TEST_NGINX_MODULE the module.  TEST_NGINX_PRELOAD is put in nginx's
# LD_PRELOAD (a sanitizer runtime, for an instrumented module), and
# sanitizer reports are then written to files in the test dir, which fail
# the test file as an alert in error.log does; TEST_NGINX_VALGRIND=1 runs
# nginx under valgrind the same way.
#
# Tests wait for conditions, never for fixed times: wait_for() polls, and
# every wait and time bound goes through scaled(), which multiplies it by
# TEST_NGINX_TIMEOUT_SCALE (default 1; build.sh sets it for the runs under
# ASan and valgrind, which are several times slower).

use strict;
use warnings;

use Cwd qw(abs_path);
use Errno qw(EINTR EAGAIN);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Scalar::Util qw(weaken);
use Test::More ();
use Time::HiRes qw(sleep time);

our $REPO = abs_path(dirname(abs_path(__FILE__)) . '/../..');
our $SCALE = $ENV{TEST_NGINX_TIMEOUT_SCALE} || 1;
our $TIMEOUT = 10 * $SCALE;

my @instances;

$SIG{PIPE} = 'IGNORE';


sub new {
    my ($class, %opts) = @_;

    my $self = bless {
        repo      => $REPO,
        nginx     => $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx',
        module    => $ENV{TEST_NGINX_MODULE}
                     || "$REPO/build/ngx_http_comment_moderation_module.so",
        rules     => "$REPO/t/rules",
        no_module => $opts{no_module},
        conf_dir  => $opts{conf_dir},
        workers   => $opts{workers} || 1,
        pids      => [],
    }, $class;

    die "module not built: $self->{module} (run ./build.sh build)\n"
        unless $self->{no_module} || -f $self->{module};
    die "nginx binary not found: $self->{nginx}\n" unless -x $self->{nginx};

    $self->{dir} = tempdir('cmtest-XXXXXX', TMPDIR => 1,
                           CLEANUP => !$ENV{TEST_NGINX_LEAVE});
    Test::More::diag("test dir left in $self->{dir}") if $ENV{TEST_NGINX_LEAVE};

    make_path("$self->{dir}/body", "$self->{dir}/proxy");

    # nginx.conf may live below the prefix (-p), to tell the two apart
    $self->{conf} = $self->{conf_dir}
        ? "$self->{dir}/$self->{conf_dir}/nginx.conf"
        : "$self->{dir}/nginx.conf";
    $self->{port} = free_port();

    push @instances, $self;
    weaken($instances[-1]);

    return $self;
}


sub dir { $_[0]->{dir} }
sub port { $_[0]->{port} }
sub rules_dir { $_[0]->{rules} }
sub repo { $_[0]->{repo} }
sub backend_port { $_[0]->{backend_port} }
sub conf_path { $_[0]->{conf} }


# seconds, multiplied for slow (instrumented) runs
sub scaled {
    my ($seconds) = @_;
    return $seconds * $SCALE;
}


# polls the condition every 20 ms until it is true or scaled($timeout)
# (default 10 s) has passed; returns its last value
sub wait_for {
    my ($cond, $timeout) = @_;

    my $deadline = time + scaled($timeout || 10);

    while (1) {
        my $v = $cond->();
        return $v if $v || time > $deadline;
        sleep 0.02;
    }
}


# A free loopback port for a server a test starts later: one below the
# kernel's ephemeral range, which outgoing connections (to backends, to
# Redis) take their local ports from, so that none of them can hold it
# by then; that binds now, and that this process has not handed out
# before.  Without such room, bind port 0.
my %handed;

sub free_port {
    my ($low) = eval {
        open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range' or die;
        split ' ', scalar <$fh>;
    };
    $low = 0 unless $low && $low > 12000;

    for (1 .. ($low ? 200 : 0)) {
        my $port = 10000 + int(rand($low - 10000));
        next if $handed{$port};
        my $s = IO::Socket::INET->new(
            LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
            Listen => 1,
        ) or next;
        close $s;
        $handed{$port} = 1;
        return $port;
    }

    my $s = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
        Listen => 1, ReuseAddr => 1,
    ) or die "cannot bind a free port: $!\n";
    my $port = $s->sockport;
    close $s;
    $handed{$port} = 1;
    return $port;
}


sub write_file {
    my ($self, $name, $content) = @_;

    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    make_path(dirname($path));

    open my $fh, '>:raw', $path or die "cannot write $path: $!\n";
    print $fh $content;
    close $fh or die "cannot write $path: $!\n";

    return $path;
}


sub read_file {
    my ($self, $name) = @_;

    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    open my $fh, '<:raw', $path or return '';
    local $/;
    my $content = <$fh>;
    close $fh;

    return defined $content ? $content : '';
}


# expands %%PORT%%, %%BACKEND%%, %%TESTDIR%%, %%RULES%%, %%REPO%% and
# %%PROXY%% (proxy_pass to the echo backend, the three moderation request
# headers, and X-Decision/X-Score/X-Rules response headers)
sub expand {
    my ($self, $text) = @_;

    if ($text =~ /%%(?:BACKEND|PROXY)%%/ && !$self->{backend_port}) {
        $self->start_backend;
    }

    my $proxy = <<"END";
proxy_pass http://127.0.0.1:%%BACKEND%%;
            proxy_set_header X-Comment-Moderation \$comment_moderation_decision;
            proxy_set_header X-Comment-Moderation-Score \$comment_moderation_score;
            proxy_set_header X-Comment-Moderation-Rules \$comment_moderation_rules;
            add_header X-Decision \$comment_moderation_decision always;
            add_header X-Score \$comment_moderation_score always;
            add_header X-Rules \$comment_moderation_rules always;
END

    $text =~ s/%%PROXY%%/$proxy/g;
    $text =~ s/%%PORT%%/$self->{port}/g;
    $text =~ s/%%BACKEND%%/$self->{backend_port} || ''/ge;
    $text =~ s/%%TESTDIR%%/$self->{dir}/g;
    $text =~ s/%%RULES%%/$self->{rules}/g;
    $text =~ s/%%REPO%%/$self->{repo}/g;

    return $text;
}


# writes a rules file (or any file) into the test dir with placeholders
# expanded; returns the absolute path
sub write_rules {
    my ($self, $name, $content) = @_;
    return $self->write_file($name, $self->expand($content));
}


sub write_config {
    my ($self, $http) = @_;

    my $d = $self->{dir};
    my $load = $self->{no_module} ? '' : "load_module $self->{module};";
    my $user = $> == 0 ? 'user root;' : '';

    # UBSan reads its options at its first report, in a worker, whose
    # environment nginx has emptied but for these
    my $env = $ENV{TEST_NGINX_PRELOAD}
        ? "env ASAN_OPTIONS;\nenv UBSAN_OPTIONS;" : '';

    my $conf = <<"END";
$load

$user
$env
daemon on;
master_process on;
worker_processes $self->{workers};
pid $d/nginx.pid;
error_log $d/error.log info;

events {
    worker_connections 64;
}

http {
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    access_log $d/access.log;
    proxy_headers_hash_max_size 1024;
    proxy_headers_hash_bucket_size 128;

    default_type application/octet-stream;

END

    $conf .= $self->expand($http) . "\n}\n";

    $self->write_file($self->{conf}, $conf);
    return $self;
}


sub nginx_args {
    my ($self, $log) = @_;
    my $d = $self->{dir};
    return ('-p', "$d/", '-c', $self->{conf}, '-e', $log || "$d/error.log");
}


sub run {
    my ($self) = @_;

    my $d = $self->{dir};
    my ($rc, $out) = $self->nginx_cmd($self->nginx_args);

    if ($rc != 0) {
        die "nginx failed to start (exit $rc):\n$out\n"
            . "error.log:\n" . $self->error_log;
    }

    my $deadline = time + $TIMEOUT;

    while (time < $deadline) {
        if (-s "$d/nginx.pid") {
            my $s = IO::Socket::INET->new(
                PeerAddr => '127.0.0.1', PeerPort => $self->{port},
                Proto => 'tcp', Timeout => 1,
            );
            if ($s) {
                close $s;
                $self->{running} = 1;
                $self->{master} = $self->master_pid;
                return $self;
            }
        }
        sleep 0.02;
    }

    die "nginx did not accept on port $self->{port}:\n" . $self->error_log;
}


sub master_pid {
    my ($self) = @_;
    my $pid = $self->read_file('nginx.pid');
    $pid =~ s/\s+//g;
    return $pid =~ /^\d+$/ ? $pid : undef;
}


# a daemonised nginx is reaped by whoever is pid 1, which in a container may
# take a while: a zombie counts as gone
sub alive {
    my ($pid) = @_;

    return 0 unless kill 0, $pid;

    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my $stat = <$fh>;
    close $fh;

    return !(defined $stat && $stat =~ /^\d+ \(.*\) Z /s);
}


# worker (and other child) pids of the master, from /proc
sub worker_pids {
    my ($self) = @_;

    my $master = $self->{master} or return ();
    my @pids;

    opendir my $dh, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh>;
        close $fh;
        next unless defined $stat;
        push @pids, $p
            if $stat =~ /^\d+ \(.*\) ([^Z]) (\d+)/s && $2 == $master;
    }
    closedir $dh;

    return sort { $a <=> $b } @pids;
}


# Sends HUP to the master, which is what "nginx -s reload" does (the -s
# client itself refuses a broken config before signalling, so it would not
# exercise the master's reload path).  Returns 1 when new workers replaced
# the old ones, 0 when the master logged an [emerg] and kept the old ones.
# $during, if given, is called again and again while the reload goes on.
sub reload {
    my ($self, $during) = @_;

    die "nginx is not running\n" unless $self->{running};

    my @old = $self->worker_pids;
    my %old = map { $_ => 1 } @old;
    my $mark = $self->log_mark;

    kill 'HUP', $self->{master} or die "cannot signal master: $!\n";

    my $deadline = time + $TIMEOUT;

    while (time < $deadline) {
        my @now = $self->worker_pids;
        my @new = grep { !$old{$_} } @now;
        my @left = grep { $old{$_} } @now;

        return 1 if @new && !@left;

        my $since = $self->error_log_since($mark);
        if (!@new && $since =~ /\[emerg\]/) {
            # the master is done with the attempt once it says so
            sleep 0.1;
            return 0;
        }

        if ($during) {
            $during->();
        } else {
            sleep 0.02;
        }
    }

    die "reload did not finish:\n" . $self->error_log_since($mark);
}


sub stop {
    my ($self) = @_;

    if ($self->{running}) {
        $self->{running} = 0;

        my $pid = $self->{master} || $self->master_pid;

        if ($pid && kill 'QUIT', $pid) {
            my $deadline = time + $TIMEOUT;
            while (time < $deadline) {
                last unless alive($pid);
                sleep 0.01;
            }
            if (alive($pid)) {
                Test::More::diag("nginx $pid did not quit, killing it");
                kill 'KILL', $pid;
                kill 'KILL', $_ for $self->worker_pids;
            }
        }
    }

    $self->stop_children;

    unless ($self->{log_checked}) {
        $self->{log_checked} = 1;
        $self->check_error_log;
    }

    return $self;
}


sub stop_children {
    my ($self) = @_;

    for my $pid (@{ $self->{pids} }) {
        kill 'TERM', $pid;
        my $deadline = time + $TIMEOUT;
        while (time < $deadline) {
            last if waitpid($pid, WNOHANG) != 0;
            sleep 0.01;
        }
        if (kill 0, $pid) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
    }

    $self->{pids} = [];
    $self->{backend_port} = undef;
}


# stops nginx (checking error.log) and declares the end of the tests
sub done_testing {
    my ($self) = @_;
    $self->stop;
    Test::More::done_testing();
}


sub DESTROY {
    my ($self) = @_;
    local ($?, $!, $@);
    $self->stop if $self->{pids};
}


END {
    local $?;
    for my $t (grep { defined } @instances) {
        $t->stop;
    }
}


# runs a command with a timeout; returns (exit code, stdout+stderr)
sub run_cmd {
    my (@cmd) = @_;

    pipe my $r, my $w or die "pipe: $!\n";

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        close $r;
        open STDOUT, '>&', $w;
        open STDERR, '>&', $w;
        open STDIN, '<', '/dev/null';
        { no warnings 'exec'; exec @cmd; }
        _exit(127);
    }

    close $w;

    my $out = '';
    my $sel = IO::Select->new($r);
    my $deadline = time + $TIMEOUT;

    while (time < $deadline) {
        next unless $sel->can_read($deadline - time);
        my $n = sysread $r, $out, 65536, length $out;
        last unless $n;
    }
    close $r;

    my $deadline2 = time + $TIMEOUT;
    while (waitpid($pid, WNOHANG) == 0) {
        if (time > $deadline2) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
            return (-1, $out . "\n(killed after timeout)");
        }
        sleep 0.01;
    }

    return ($? >> 8, $out);
}


# nginx -t on the written config; returns (exit code, output).  Its own log
# file, so the expected [emerg] lines stay out of error.log.
sub test_config {
    my ($self) = @_;
    my $log = "$self->{dir}/test-config.log";
    return $self->nginx_cmd('-t', $self->nginx_args($log));
}


# "nginx -s SIGNAL" with the same -p/-c/-e; returns (exit code, output).
# For reload, the client parses the config itself first and exits with
# the error, without signalling, when it is broken.
sub signal_cmd {
    my ($self, $signal) = @_;
    return $self->nginx_cmd($self->nginx_args, '-s', $signal);
}


# runs nginx with run_cmd; with TEST_NGINX_PRELOAD, under the sanitizer
# runtime, with TEST_NGINX_VALGRIND (1, or valgrind's options) under
# valgrind; the reports go to files in the test dir (the stderr of a
# daemon is lost)
sub nginx_cmd {
    my ($self, @args) = @_;

    my $vg = $ENV{TEST_NGINX_VALGRIND};

    return run_cmd($self->{nginx}, @args)
        unless $ENV{TEST_NGINX_PRELOAD} || $vg;

    my $san = "$self->{dir}/sanitizer";
    make_path($san);

    local $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_PRELOAD}
        if $ENV{TEST_NGINX_PRELOAD};

    if ($vg) {
        return run_cmd('valgrind', '-q', "--log-file=$san/valgrind.%p",
                       $vg eq '1' ? () : split(' ', $vg),
                       $self->{nginx}, @args);
    }

    local $ENV{ASAN_OPTIONS} = join ':', grep { length }
        $ENV{ASAN_OPTIONS} || '', "log_path=$san/asan";
    local $ENV{UBSAN_OPTIONS} = join ':', grep { length }
        $ENV{UBSAN_OPTIONS} || '', "log_path=$san/ubsan";

    return run_cmd($self->{nginx}, @args);
}


# error log

sub error_log {
    my ($self) = @_;
    return $self->read_file('error.log');
}


sub log_mark {
    my ($self) = @_;
    return -s "$self->{dir}/error.log" || 0;
}


sub error_log_since {
    my ($self, $mark) = @_;
    my $log = $self->error_log;
    return length($log) > $mark ? substr($log, $mark) : '';
}


# waits for a pattern to show up in the log after $mark, since a line may
# be written just after the response went out; gives up after
# scaled($timeout) (default 2 s) and returns what was logged
sub wait_log {
    my ($self, $mark, $re, $timeout) = @_;

    my $since;

    wait_for(sub {
        $since = $self->error_log_since($mark);
        return $since =~ $re;
    }, $timeout || 2);

    return $since;
}


sub expect_emerg {
    my ($self) = @_;
    $self->{expect_emerg} = 1;
    return $self;
}


sub check_error_log {
    my ($self) = @_;

    my $log = $self->error_log;
    my @bad;

    for my $line (split /\n/, $log) {
        next unless $line =~ /\[(?:alert|crit)\]|AddressSanitizer|LeakSanitizer
                              |runtime\ error|exited\ on\ signal|signal\ 11/x
            || (!$self->{expect_emerg} && $line =~ /\[emerg\]/);
        push @bad, $line;
    }

    # the reports of an instrumented nginx, one file per process
    if (opendir my $dh, "$self->{dir}/sanitizer") {
        for my $f (sort grep { !/^\./ } readdir $dh) {
            next unless -s "$self->{dir}/sanitizer/$f";
            push @bad, "sanitizer report $f:",
                split /\n/, $self->read_file("sanitizer/$f");
        }
        closedir $dh;
    }

    Test::More::ok(!@bad, 'no alerts, crits or sanitizer reports in error.log')
        or Test::More::diag(join "\n", @bad);

    return $log;
}


# backend: echoes the request body and reports what it received

sub start_backend {
    my ($self) = @_;

    return $self->{backend_port} if $self->{backend_port};

    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
        Listen => 64, ReuseAddr => 1,
    ) or die "backend: cannot listen: $!\n";

    my $port = $listen->sockport;

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        $SIG{TERM} = sub { _exit(0) };
        while (1) {
            my $c = $listen->accept or next;
            eval {
                local $SIG{ALRM} = sub { die "timeout\n" };
                alarm $TIMEOUT;
                backend_serve($c);
                alarm 0;
            };
            close $c;
        }
        _exit(0);
    }

    close $listen;
    push @{ $self->{pids} }, $pid;
    $self->{backend_port} = $port;

    return $port;
}


sub read_more {
    my ($c, $bufref) = @_;
    my $n = sysread $c, $$bufref, 65536, length $$bufref;
    die "backend: connection closed early\n" unless $n;
    return $n;
}


sub backend_serve {
    my ($c) = @_;

    binmode $c;
    my $buf = '';

    read_more($c, \$buf) while index($buf, "\r\n\r\n") < 0;

    my $end = index($buf, "\r\n\r\n");
    my $head = substr($buf, 0, $end);
    $buf = substr($buf, $end + 4);

    my ($reqline, @lines) = split /\r\n/, $head;
    my ($method) = split / /, $reqline;
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $h{lc $k} = $v;
    }

    my $body = '';

    if (($h{'transfer-encoding'} || '') =~ /chunked/i) {
        while (1) {
            read_more($c, \$buf) while index($buf, "\r\n") < 0;
            my $e = index($buf, "\r\n");
            my $size = hex substr($buf, 0, $e);
            $buf = substr($buf, $e + 2);
            if ($size == 0) {
                read_more($c, \$buf) while index($buf, "\r\n") < 0;
                last;
            }
            read_more($c, \$buf) while length $buf < $size + 2;
            $body .= substr($buf, 0, $size);
            $buf = substr($buf, $size + 2);
        }

    } elsif (defined $h{'content-length'}) {
        my $len = $h{'content-length'};
        read_more($c, \$buf) while length $buf < $len;
        $body = substr($buf, 0, $len);
    }

    my $resp = "HTTP/1.0 200 OK\r\n"
        . "Content-Type: application/octet-stream\r\n"
        . "Connection: close\r\n"
        . "X-Backend-Method: $method\r\n"
        . 'X-Backend-Length: ' . length($body) . "\r\n";

    for (['moderation', 'x-comment-moderation'],
         ['score', 'x-comment-moderation-score'],
         ['rules', 'x-comment-moderation-rules'])
    {
        my ($name, $req) = @$_;
        $resp .= "X-Backend-\u$name: $h{$req}\r\n" if defined $h{$req};
    }

    $resp .= 'Content-Length: ' . length($body) . "\r\n\r\n" . $body;

    my $off = 0;
    while ($off < length $resp) {
        my $n = syswrite $c, $resp, length($resp) - $off, $off;
        last unless defined $n;
        $off += $n;
    }
}


# HTTP client

# sends raw bytes, reads to EOF; returns the raw response.  Gives up
# after $TIMEOUT, or scaled($opts{timeout}).
sub http {
    my ($self, $request, %opts) = @_;

    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => $opts{port} || $self->{port},
        Proto => 'tcp', Timeout => $TIMEOUT,
    ) or die "cannot connect to nginx: $!\n";

    binmode $s;
    $s->blocking(0);

    my $sel = IO::Select->new($s);
    my $deadline = time + ($opts{timeout} ? scaled($opts{timeout})
                                          : $TIMEOUT);
    my $off = 0;
    my $resp = '';
    my $eof = 0;

    # write and read together: nginx may answer before the body is sent
    while (!$eof && time < $deadline) {
        my $left = $deadline - time;

        if ($off < length $request) {
            my ($rd, $wr) = IO::Select->select($sel, $sel, undef, $left);
            if ($wr && @$wr) {
                my $n = syswrite $s, $request, length($request) - $off, $off;
                if (defined $n) {
                    $off += $n;
                } elsif ($! != EAGAIN && $! != EINTR) {
                    $off = length $request;    # peer closed; read the rest
                }
            }
            next unless $rd && @$rd;
        } else {
            next unless $sel->can_read($left);
        }

        my $n = sysread $s, $resp, 65536, length $resp;
        if (defined $n) {
            $eof = 1 if $n == 0;
        } elsif ($! != EAGAIN && $! != EINTR) {
            $eof = 1;
        }
    }

    close $s;

    die "timeout talking to nginx; got so far:\n$resp\n" unless $eof;

    return $resp;
}


# reads a socket to EOF, or until scaled($timeout) (default $TIMEOUT),
# and closes it; returns what came
sub read_to_eof {
    my ($s, $timeout) = @_;

    my $sel = IO::Select->new($s);
    my $deadline = time + ($timeout ? scaled($timeout) : $TIMEOUT);
    my $resp = '';

    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $n = sysread $s, $resp, 65536, length $resp;
        last unless $n;
    }

    close $s;
    return $resp;
}


sub http_get {
    my ($self, $uri, %headers) = @_;

    my $req = "GET $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
    $req .= "$_: $headers{$_}\r\n" for sort keys %headers;
    $req .= "\r\n";

    return $self->http($req);
}


# a request with a Content-Length body; method defaults to POST
sub http_post {
    my ($self, $uri, $body, %headers) = @_;

    my $method = delete $headers{-method} || 'POST';

    my $req = "$method $uri HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n"
        . 'Content-Length: ' . length($body) . "\r\n";
    $req .= "$_: $headers{$_}\r\n" for sort keys %headers;
    $req .= "\r\n" . $body;

    return $self->http($req);
}


sub http_post_chunked {
    my ($self, $uri, $chunks, %headers) = @_;

    my $req = "POST $uri HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nTransfer-Encoding: chunked\r\n";
    $req .= "$_: $headers{$_}\r\n" for sort keys %headers;
    $req .= "\r\n";
    $req .= sprintf("%x\r\n%s\r\n", length $_, $_) for @$chunks;
    $req .= "0\r\n\r\n";

    return $self->http($req);
}


# (status, \%headers with lowercased names, body); a repeated header's
# values are joined with ", "; a chunked body is dechunked
sub parse_response {
    my ($raw) = @_;
    $raw = $_[1] if ref $raw;    # called as a method

    return (undef, {}, undef) unless defined $raw;

    my $end = index($raw, "\r\n\r\n");
    return (undef, {}, undef) if $end < 0;

    my $head = substr($raw, 0, $end);
    my $body = substr($raw, $end + 4);

    my ($statusline, @lines) = split /\r\n/, $head;
    my ($status) = $statusline =~ m{^HTTP/\d\.\d (\d{3})};

    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        $k = lc $k;
        $h{$k} = defined $h{$k} ? "$h{$k}, $v" : $v;
    }

    if (($h{'transfer-encoding'} || '') =~ /chunked/i) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $size = hex $1;
            last if $size == 0;
            $out .= substr($body, 0, $size);
            $body = substr($body, $size + 2);
        }
        $body = $out;
    }

    return ($status, \%h, $body);
}


# several responses on one connection (pipelining, keepalive), each
# framed by Content-Length or chunked; returns a list of [status, \%h,
# body]
sub parse_responses {
    my ($raw) = @_;
    $raw = $_[1] if ref $raw;

    my @out;

    while (defined $raw && length $raw) {
        my $end = index($raw, "\r\n\r\n");
        last if $end < 0;

        my $head = substr($raw, 0, $end + 4);
        my $rest = substr($raw, $end + 4);
        my ($status, $h) = parse_response($head);
        my $body;

        if (($h->{'transfer-encoding'} || '') =~ /chunked/i) {
            $body = '';
            while ($rest =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
                my $size = hex $1;
                if ($size == 0) {
                    $rest =~ s/^\r\n//;
                    last;
                }
                $body .= substr($rest, 0, $size);
                $rest = substr($rest, $size + 2);
            }

        } elsif (defined $h->{'content-length'}) {
            $body = substr($rest, 0, $h->{'content-length'});
            $rest = substr($rest, length $body);

        } else {
            $body = $rest;
            $rest = '';
        }

        push @out, [$status, $h, $body];
        $raw = $rest;
    }

    return @out;
}


1;
