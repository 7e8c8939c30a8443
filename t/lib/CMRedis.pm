package CMRedis;

# Redis helpers for the rate limit tests, beside CMTest: a redis-server
# on a port of our choosing (so it can be killed and restarted on the same
# port), a raw RESP client to look at keys, and a scripted fake Redis that
# answers in fragments, late, or not at all.  Core Perl only.

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(sleep time);
use CMTest ();

my @children;

$SIG{PIPE} = 'IGNORE';


# starts redis-server on $port (with extra arguments such as
# --unixsocket); returns its pid once it answers PING
sub start_server {
    my ($dir, $port, @extra) = @_;

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', "$dir/redis-$port.log";
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        no warnings 'exec';
        exec '/usr/bin/redis-server', '--port', $port, '--bind', '127.0.0.1',
            '--save', '', '--appendonly', 'no', '--daemonize', 'no',
            '--dir', $dir, @extra;
        _exit(127);
    }

    push @children, $pid;

    CMTest::wait_for(sub {
        my $r = eval { command($port, 'PING') };
        return defined $r && $r eq 'PONG';
    }) or die "redis-server on $port did not answer PING\n";

    return $pid;
}


# starts a sentinel on $port watching the master on $master as $name,
# with a quorum of $quorum; returns its pid once it answers PING.  Debian's
# redis-sentinel, or redis-server --sentinel where it is not installed.
sub start_sentinel {
    my ($dir, $port, $name, $master, $quorum) = @_;

    my $conf = "$dir/sentinel-$port.conf";
    open my $fh, '>', $conf or die "cannot write $conf: $!\n";
    print $fh "port $port\nbind 127.0.0.1\ndaemonize no\ndir $dir\n"
        . "sentinel monitor $name 127.0.0.1 $master $quorum\n"
        . "sentinel down-after-milliseconds $name 500\n"
        . "sentinel failover-timeout $name 5000\n";
    close $fh;

    my @cmd = -x '/usr/bin/redis-sentinel'
        ? ('/usr/bin/redis-sentinel', $conf)
        : ('/usr/bin/redis-server', $conf, '--sentinel');

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', "$dir/sentinel-$port.log";
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        no warnings 'exec';
        exec @cmd;
        _exit(127);
    }

    push @children, $pid;

    CMTest::wait_for(sub {
        my $r = eval { command($port, 'PING') };
        return defined $r && $r eq 'PONG';
    }) or die "sentinel on $port did not answer PING\n";

    return $pid;
}


sub stop_server {
    my ($pid, $sig) = @_;

    kill $sig || 'KILL', $pid;
    kill 'CONT', $pid;
    waitpid($pid, 0);
    @children = grep { $_ != $pid } @children;
}


# one command over a fresh connection; returns the decoded reply (an
# error reply dies)
sub command {
    my ($port, @args) = @_;
    return command_db($port, undef, @args);
}


# the same, after SELECT $db when $db is defined
sub command_db {
    my ($port, $db, @args) = @_;

    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
        Timeout => CMTest::scaled(2),
    ) or die "cannot connect to redis on $port: $!\n";

    binmode $s;

    my $req = '';
    for my $cmd (defined $db ? (['SELECT', $db], [@args]) : ([@args])) {
        $req .= '*' . @$cmd . "\r\n";
        $req .= '$' . length($_) . "\r\n$_\r\n" for @$cmd;
    }
    syswrite $s, $req;

    my $buf = '';
    my $skip = defined $db ? 1 : 0;
    my $sel = IO::Select->new($s);
    my $deadline = time + CMTest::scaled(2);

    while (time < $deadline) {
        my ($v, $rest) = parse($buf);
        if (defined $rest && $skip) {
            $buf = $rest;
            $skip = 0;
            next;
        }
        if (defined $rest) {
            close $s;
            die "redis error: $v->{error}\n" if ref $v eq 'HASH';
            return $v;
        }
        $sel->can_read($deadline - time) or last;
        sysread($s, $buf, 65536, length $buf) or last;
    }

    close $s;
    die "no reply from redis on $port\n";
}


# (value, rest) for a complete reply at the start of $buf, else ()
sub parse {
    my ($buf) = @_;

    my $e = index($buf, "\r\n");
    return () if $e < 0;

    my $type = substr($buf, 0, 1);
    my $line = substr($buf, 1, $e - 1);
    my $rest = substr($buf, $e + 2);

    return ($line, $rest) if $type eq '+';
    return ({ error => $line }, $rest) if $type eq '-';
    return ($line + 0, $rest) if $type eq ':';

    if ($type eq '$') {
        return (undef, $rest) if $line < 0;
        return () if length $rest < $line + 2;
        return (substr($rest, 0, $line), substr($rest, $line + 2));
    }

    if ($type eq '*') {
        return (undef, $rest) if $line < 0;
        my @a;
        for (1 .. $line) {
            my ($v, $r) = parse($rest);
            return () unless defined $r;
            push @a, $v;
            $rest = $r;
        }
        return (\@a, $rest);
    }

    die "bad RESP: $buf\n";
}


# A fake Redis.  What it does with EVALSHA is read from $dir/fake-mode
# at each command, so a test switches behaviour without restarting it:
#
#   pass        ":0"
#   limit N     ":N" (microseconds to wait)
#   fragments   ":3000000", one byte at a time, 10 ms apart
#   late MS     ":0" after MS milliseconds
#   big         a 100 KB bulk string, written at once (more than hiredis
#               reads in one call: the adapter must drain the socket)
#   drop        half a reply, then the connection is closed
#   noscript    "-NOSCRIPT" once per connection, then ":0"
#   autherr     "-ERR" to every command of the handshake
#
# Every command is appended to $dir/fake-log.  Returns (pid, port).
sub start_fake {
    my ($dir) = @_;

    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
        Listen => 64, ReuseAddr => 1,
    ) or die "fake redis: cannot listen: $!\n";

    my $port = $listen->sockport;

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        $SIG{TERM} = sub { _exit(0) };
        $SIG{CHLD} = 'IGNORE';
        while (1) {
            my $c = $listen->accept or next;
            my $child = fork;
            if (defined $child && $child == 0) {
                close $listen;
                eval { fake_serve($c, $dir) };
                _exit(0);
            }
            close $c;
        }
    }

    close $listen;
    push @children, $pid;

    return ($pid, $port);
}


sub fake_mode {
    my ($dir) = @_;
    open my $fh, '<', "$dir/fake-mode" or return 'pass';
    my $m = <$fh>;
    close $fh;
    chomp $m if defined $m;
    return defined $m && length $m ? $m : 'pass';
}


sub set_fake_mode {
    my ($dir, $mode) = @_;
    open my $fh, '>', "$dir/fake-mode.tmp" or die "$!\n";
    print $fh "$mode\n";
    close $fh;
    rename "$dir/fake-mode.tmp", "$dir/fake-mode" or die "$!\n";
}


sub fake_serve {
    my ($c, $dir) = @_;

    binmode $c;
    my $buf = '';
    my $noscript_sent = 0;

    while (1) {
        my ($cmd, $rest) = parse($buf);

        if (!defined $rest) {
            my $n = sysread $c, $buf, 65536, length $buf;
            return unless $n;
            next;
        }

        $buf = $rest;

        my $name = uc($cmd->[0] // '');
        my $mode = fake_mode($dir);

        if (open my $log, '>>', "$dir/fake-log") {
            print $log "$name\n";
            close $log;
        }

        if ($mode eq 'autherr') {
            syswrite $c, "-ERR fake refuses\r\n";
            next;
        }

        if ($name ne 'EVALSHA') {
            my $reply = $name eq 'PING' ? "+PONG\r\n"
                : $name eq 'SCRIPT' ? '$40' . "\r\n" . ('0' x 40) . "\r\n"
                : "+OK\r\n";
            syswrite $c, $reply;
            next;
        }

        if ($mode eq 'pass') {
            syswrite $c, ":0\r\n";

        } elsif ($mode =~ /^limit (\d+)$/) {
            syswrite $c, ":$1\r\n";

        } elsif ($mode eq 'fragments') {
            for my $ch (split //, ":3000000\r\n") {
                syswrite $c, $ch;
                sleep 0.01;
            }

        } elsif ($mode =~ /^late (\d+)$/) {
            sleep $1 / 1000;
            syswrite $c, ":0\r\n";

        } elsif ($mode eq 'big') {
            my $bulk = 'x' x 100000;
            syswrite $c, '$' . length($bulk) . "\r\n$bulk\r\n";

        } elsif ($mode eq 'drop') {
            syswrite $c, ":30";
            sleep 0.02;
            close $c;
            return;

        } elsif ($mode eq 'noscript') {
            if ($noscript_sent++) {
                syswrite $c, ":0\r\n";
            } else {
                syswrite $c, "-NOSCRIPT No matching script.\r\n";
            }
        }
    }
}


sub fake_log {
    my ($dir) = @_;
    open my $fh, '<', "$dir/fake-log" or return ();
    my @l = <$fh>;
    close $fh;
    chomp @l;
    return @l;
}


sub cleanup {
    for my $pid (@children) {
        kill 'CONT', $pid;
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    @children = ();
}


END {
    local $?;
    cleanup();
}


# a POST on a socket left open: returns the socket, to read later with
# CMTest::read_to_eof(); the request is all sent at once
sub post_start {
    my ($port, $uri, $body, %headers) = @_;

    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
        Timeout => CMTest::scaled(5),
    ) or die "cannot connect: $!\n";

    binmode $s;

    my $req = "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . 'Content-Length: ' . length($body) . "\r\n";
    $req .= "$_: $headers{$_}\r\n" for sort keys %headers;
    $req .= "\r\n$body";

    syswrite $s, $req;

    return $s;
}


1;
