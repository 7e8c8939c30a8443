package CMBrowser;

# A reader's browser for the tests: Debian's chromium, headless, driven
# through chromium-driver's WebDriver (W3C) protocol with HTTP::Tiny and
# JSON::PP.  chromedriver listens on a free loopback port; chromium runs
# with a fresh profile in the test dir and without any network of its
# own (no updates, sync or first-run pages).
#
#   my $b = CMBrowser->new($dir) or skip ...;   # undef: see $CMBrowser::WHY
#   $b->go("http://127.0.0.1:$port/");
#   $b->type('textarea[name=komentar]', 'halo');
#   $b->click('button[type=submit]');
#   $b->text('h1'); $b->attr('a#back', 'href'); $b->source;
#   $b->screenshot('build/browser/01.png');
#   $b->quit;                                   # also at DESTROY

use strict;
use warnings;

use File::Path qw(make_path);
use HTTP::Tiny;
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(sleep time);
use CMTest ();

our $WHY = '';

my $ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

my @CHROMIUM = ('/usr/lib/chromium/chromium', '/usr/bin/chromium');
my $DRIVER = '/usr/bin/chromedriver';


# a browser, or undef with the reason in $WHY
sub new {
    my ($class, $dir, %opts) = @_;

    my ($chromium) = grep { -x } @CHROMIUM;

    unless ($chromium && -x $DRIVER) {
        $WHY = 'chromium and chromium-driver are not installed '
             . '(./build.sh deps)';
        return undef;
    }

    my $self = bless {
        dir     => $dir,
        port    => CMTest::free_port(),
        json    => JSON::PP->new->utf8->canonical,
        http    => HTTP::Tiny->new(timeout => CMTest::scaled(60)),
    }, $class;

    $self->start_driver or return undef;

    my $profile = "$dir/chromium-profile";
    make_path($profile);

    my ($w, $h) = @{ $opts{size} || [1024, 900] };

    my $r = $self->call(POST => '/session', {
        capabilities => { alwaysMatch => {
            browserName => 'chrome',
            'goog:chromeOptions' => {
                binary => $chromium,
                args   => [
                    '--headless', '--no-sandbox', '--disable-gpu',
                    '--disable-background-networking',
                    '--disable-component-update', '--disable-sync',
                    '--no-first-run', '--no-default-browser-check',
                    '--disable-dev-shm-usage', '--lang=id-ID',
                    "--user-data-dir=$profile", "--window-size=$w,$h",
                ],
            },
        } },
    });

    unless ($r && $r->{sessionId}) {
        $WHY = 'chromium did not start: ' . ($self->{error} || '?');
        $self->quit;
        return undef;
    }

    $self->{session} = $r->{sessionId};

    return $self;
}


sub start_driver {
    my ($self) = @_;

    my $log = "$self->{dir}/chromedriver.log";

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        no warnings 'exec';
        exec $DRIVER, "--port=$self->{port}", '--allowed-ips=127.0.0.1';
        _exit(127);
    }

    $self->{driver} = $pid;

    my $ready = CMTest::wait_for(sub {
        my $res = $self->{http}->get("http://127.0.0.1:$self->{port}/status");
        return $res->{success} && $res->{content} =~ /"ready":\s*true/;
    }, 20);

    $WHY = "chromedriver did not answer on port $self->{port} (see $log)"
        unless $ready;

    return $ready;
}


# one WebDriver command; returns its "value", or undef with
# $self->{error} set
sub call {
    my ($self, $method, $path, $body) = @_;

    my $res = $self->{http}->request($method,
        "http://127.0.0.1:$self->{port}$path",
        defined $body ? {
            headers => { 'Content-Type' => 'application/json' },
            content => $self->{json}->encode($body),
        } : {});

    my $v = eval { $self->{json}->decode($res->{content}) };

    if (!$res->{success} || !$v) {
        $self->{error} = $v && ref $v->{value} eq 'HASH'
            ? "$v->{value}{error}: $v->{value}{message}"
            : "$res->{status} $res->{reason} $res->{content}";
        return undef;
    }

    return $v->{value};
}


# a command in the session; dies when it fails
sub cmd {
    my ($self, $method, $path, $body) = @_;

    my $v = $self->call($method, "/session/$self->{session}$path", $body);
    die "webdriver $method $path: $self->{error}\n"
        if !defined $v && $self->{error};

    return $v;
}


sub go {
    my ($self, $url) = @_;
    return $self->cmd(POST => '/url', { url => $url });
}


sub url { $_[0]->cmd(GET => '/url') }
sub title { $_[0]->cmd(GET => '/title') }
sub source { $_[0]->cmd(GET => '/source') }


# the elements a CSS selector finds (ids)
sub find_all {
    my ($self, $css) = @_;

    my $v = $self->cmd(POST => '/elements',
                       { using => 'css selector', value => $css });

    return map { $_->{$ELEMENT} } @{ $v || [] };
}


# the first element, waiting for it a while; dies when none comes
sub find {
    my ($self, $css, $timeout) = @_;

    my $id;

    CMTest::wait_for(sub { ($id) = $self->find_all($css); $id },
                     $timeout || 10);

    die "no element \"$css\" on " . $self->url . "\n" unless $id;
    return $id;
}


sub has {
    my ($self, $css) = @_;
    my @e = $self->find_all($css);
    return scalar @e;
}


sub type {
    my ($self, $css, $text) = @_;
    my $id = $self->find($css);
    $self->cmd(POST => "/element/$id/clear", {});
    return $self->cmd(POST => "/element/$id/value", { text => $text });
}


sub click {
    my ($self, $css) = @_;
    my $id = $self->find($css);
    return $self->cmd(POST => "/element/$id/click", {});
}


sub text {
    my ($self, $css) = @_;
    my $id = $self->find($css);
    return $self->cmd(GET => "/element/$id/text");
}


# an attribute as written in the page
sub attr {
    my ($self, $css, $name) = @_;
    my $id = $self->find($css);
    return $self->cmd(GET => "/element/$id/attribute/$name");
}


# a property of the element (a textarea's "value" as the reader sees it)
sub prop {
    my ($self, $css, $name) = @_;
    my $id = $self->find($css);
    return $self->cmd(GET => "/element/$id/property/$name");
}


sub script {
    my ($self, $js, @args) = @_;
    return $self->cmd(POST => '/execute/sync',
                      { script => $js, args => \@args });
}


# waits until the page's URL matches; returns it
sub wait_url {
    my ($self, $re, $timeout) = @_;

    my $url = '';
    CMTest::wait_for(sub { $url = $self->url // ''; $url =~ $re },
                     $timeout || 10);

    return $url;
}


# the viewport as a PNG file
sub screenshot {
    my ($self, $file) = @_;

    my $png = $self->cmd(GET => '/screenshot');

    (my $d = $file) =~ s{/[^/]*$}{};
    make_path($d) if length $d;

    open my $fh, '>:raw', $file or die "cannot write $file: $!\n";
    print $fh decode_base64($png);
    close $fh;

    return $file;
}


sub quit {
    my ($self) = @_;

    if ($self->{session}) {
        $self->call(DELETE => "/session/$self->{session}");
        $self->{session} = undef;
    }

    if (my $pid = delete $self->{driver}) {
        kill 'TERM', $pid;
        my $deadline = time + CMTest::scaled(10);
        while (waitpid($pid, WNOHANG) == 0) {
            if (time > $deadline) {
                kill 'KILL', $pid;
                waitpid($pid, 0);
                last;
            }
            sleep 0.05;
        }
    }
}


sub DESTROY {
    my ($self) = @_;
    local ($?, $!, $@);
    $self->quit;
}


1;
