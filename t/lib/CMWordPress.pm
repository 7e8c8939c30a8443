package CMWordPress;

# WordPress for a test, the real thing from Debian's packages, all in the
# test's temp dir and on loopback, no system service touched: MariaDB
# (mariadb-install-db, then mariadbd on a free port), php-fpm on a unix
# socket, a copy of /usr/share/wordpress with its own wp-config.php, set
# up from the command line with WordPress's own wp_install(), the
# twentytwentyone theme and config/wordpress/comment-moderation.php
# activated.  nginx is config/wordpress/nginx.conf, its addresses and
# paths moved.  Core Perl only.
#
#   my $why = CMWordPress::missing();    # what is not installed, or ''
#   my $wp = CMWordPress->start($t, redis => $port);
#   $wp->url('/?p=1'); $wp->post_id; $wp->sql("SELECT ...");
#   $wp->php('wp_trash_comment(3);');     # PHP with WordPress loaded

use strict;
use warnings;

use File::Path qw(make_path);
use POSIX qw(_exit);
use CMTest;

our $WORDPRESS = '/usr/share/wordpress';
our $THEME = 'twentytwentyone';

our $ADMIN = 'redaksi';
our $PASSWORD = 'rahasia-redaksi-123';

our $TITLE = 'Polres Serang Gelar Pelatihan Etika Pelayanan Publik '
           . 'dan Konten Media Sosial';

# a sample article, written for these tests
our $ARTICLE = <<'END';
<p>SERANG &ndash; Kepolisian Resor (Polres) Serang menggelar pelatihan
etika pelayanan publik bagi anggota yang bertugas di bagian pelayanan
masyarakat, mulai dari SPKT, satuan lalu lintas hingga humas. Pelatihan
berlangsung dua hari di aula Mapolres.</p>

<p>Materi hari pertama membahas sikap melayani: menyapa warga dengan
ramah, menjelaskan prosedur dengan bahasa yang mudah dipahami, menerima
pengaduan tanpa berbelit, dan menjaga kerahasiaan data pelapor.</p>

<p>Hari kedua diisi pembuatan konten media sosial. Peserta belajar
menulis informasi yang akurat dan santun, memilih foto yang tidak
melanggar privasi warga, serta menanggapi komentar warganet secara
profesional, termasuk kritik yang keras.</p>

<p>Kapolres berharap pelatihan ini membuat pelayanan lebih cepat dan
humanis, serta akun media sosial Polres menjadi saluran informasi yang
dipercaya masyarakat.</p>
END


sub php_fpm { (sort glob '/usr/sbin/php-fpm*')[-1] }


# what the test needs and is not installed, or ''
sub missing {
    my @m;

    push @m, 'wordpress' unless -f "$WORDPRESS/wp-settings.php";
    push @m, "wordpress-theme-$THEME"
        unless -d "$WORDPRESS/wp-content/themes/$THEME";
    push @m, 'php-fpm' unless php_fpm() && -x php_fpm();
    push @m, 'php-cli' unless -x '/usr/bin/php';
    push @m, 'php-mysql'
        unless `/usr/bin/php -m 2>/dev/null` =~ /^mysqli$/m;
    push @m, 'mariadb-server'
        unless -x '/usr/sbin/mariadbd' && -x '/usr/bin/mariadb-install-db';
    push @m, 'redis-server' unless -x '/usr/bin/redis-server';

    return @m ? join(', ', @m) . ' not installed (./build.sh deps)' : '';
}


sub start {
    my ($class, $t, %opts) = @_;

    my $self = bless {
        t      => $t,
        dir    => $t->dir,
        port   => $t->port,
        db     => CMTest::free_port(),
        redis  => $opts{redis},
    }, $class;

    $self->start_mariadb;
    $self->copy_wordpress;
    $self->start_php_fpm;
    $self->install;
    $self->start_nginx;

    return $self;
}


sub url {
    my ($self, $path) = @_;
    return "http://127.0.0.1:$self->{port}" . ($path // '/');
}

sub post_id { $_[0]->{post_id} }
sub root { "$_[0]->{dir}/wordpress" }


# a child process whose output goes to $log; stopped with the test's
# other children (TERM, then KILL)
sub spawn {
    my ($self, $log, @cmd) = @_;

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        no warnings 'exec';
        exec @cmd;
        _exit(127);
    }

    push @{ $self->{t}{pids} }, $pid;
    return $pid;
}


# runs a command; dies with its output when it fails
sub run {
    my ($self, @cmd) = @_;

    # mariadb-install-db takes a while on a slow machine
    local $CMTest::TIMEOUT = CMTest::scaled(120);

    my ($rc, $out) = CMTest::run_cmd(@cmd);
    die "@cmd[0..1] failed ($rc):\n$out\n" if $rc != 0;

    return $out;
}


sub start_mariadb {
    my ($self) = @_;

    my $d = $self->{dir};
    my @root = $> == 0 ? ('--user=root') : ();

    $self->{sock} = "$d/mysql.sock";

    $self->run('/usr/bin/mariadb-install-db', '--no-defaults',
               "--datadir=$d/mysql", @root,
               '--auth-root-authentication-method=normal',
               '--skip-test-db');

    $self->spawn("$d/mariadb.log", '/usr/sbin/mariadbd', '--no-defaults',
                 "--datadir=$d/mysql", @root, "--socket=$self->{sock}",
                 "--port=$self->{db}", '--bind-address=127.0.0.1',
                 "--pid-file=$d/mysql.pid", '--skip-name-resolve',
                 '--skip-log-bin', '--innodb-buffer-pool-size=16M',
                 '--character-set-server=utf8mb4');

    CMTest::wait_for(sub {
        my ($rc) = CMTest::run_cmd($self->mysql_cmd('SELECT 1'));
        return $rc == 0;
    }, 60) or die "mariadbd did not start:\n"
                  . $self->{t}->read_file('mariadb.log');

    $self->run($self->mysql_cmd(
        "CREATE DATABASE wordpress CHARACTER SET utf8mb4;"
        . " CREATE USER 'wp'\@'127.0.0.1' IDENTIFIED BY 'wp';"
        . " GRANT ALL ON wordpress.* TO 'wp'\@'127.0.0.1';"));
}


sub mysql_cmd {
    my ($self, $query, @db) = @_;
    return ('/usr/bin/mariadb', '--no-defaults', "--socket=$self->{sock}",
            '-u', 'root', '-N', '-B', '-e', $query, @db);
}


# rows of a query on WordPress's database, each an array of columns
sub sql {
    my ($self, $query) = @_;

    my $out = $self->run($self->mysql_cmd($query, 'wordpress'));

    return map { [split /\t/, $_, -1] } split /\n/, $out;
}


# Debian's WordPress, copied: its wp-config.php reads /etc/wordpress,
# and ours must not
sub copy_wordpress {
    my ($self) = @_;

    my $root = $self->root;
    my $t = $self->{t};

    $self->run('cp', '-a', $WORDPRESS, $root);

    my $keys = join '', map {
        sprintf "define('%s', '%s');\n", $_,
                join '', map { ('a'..'z', 0..9)[rand 36] } 1 .. 48
    } qw(AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT
         SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT);

    $t->write_file("$root/wp-config.php", <<"END");
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp');
define('DB_HOST', '127.0.0.1:$self->{db}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$keys
define('WP_HOME', 'http://127.0.0.1:$self->{port}');
define('WP_SITEURL', 'http://127.0.0.1:$self->{port}');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
\$table_prefix = 'wp_';
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
END

    # as an operator installs the plugin: one file into plugins/
    $self->run('cp', $t->repo . '/config/wordpress/comment-moderation.php',
               "$root/wp-content/plugins/comment-moderation.php");

    # the test's own: no mail, and WordPress's flood check (15 s between
    # comments of one address) off, so that nginx's limit is what a
    # quick sixth comment meets
    $t->write_file("$root/wp-content/mu-plugins/test.php", <<'END');
<?php
add_filter('pre_wp_mail', '__return_false');
add_filter('wp_is_comment_flood', '__return_false', 100);
END
}


sub start_php_fpm {
    my ($self) = @_;

    my $d = $self->{dir};
    my $user = $> == 0 ? "user = root\ngroup = root\n" : '';

    $self->{fpm} = "$d/php-fpm.sock";

    $self->{t}->write_file("$d/php-fpm.conf", <<"END");
[global]
pid = $d/php-fpm.pid
error_log = $d/php-fpm.log
daemonize = no

[www]
$user
listen = $self->{fpm}
pm = static
pm.max_children = 2
catch_workers_output = yes
php_admin_value[error_log] = $d/php-errors.log
php_admin_flag[log_errors] = on
END

    $self->spawn("$d/php-fpm.out", php_fpm(), '--nodaemonize',
                 '--fpm-config', "$d/php-fpm.conf",
                 $> == 0 ? ('--allow-to-run-as-root') : ());

    CMTest::wait_for(sub { -S $self->{fpm} }, 30)
        or die "php-fpm did not start:\n"
               . $self->{t}->read_file('php-fpm.log');
}


# PHP with WordPress loaded, run by php-cli; returns what it printed
sub php {
    my ($self, $code, %opts) = @_;

    my $file = "$self->{dir}/cli-" . ++$self->{scripts} . '.php';
    my $installing = $opts{installing} ? "define('WP_INSTALLING', true);"
                                       : '';

    $self->{t}->write_file($file, <<"END");
<?php
$installing
\$_SERVER['HTTP_HOST'] = '127.0.0.1:$self->{port}';
require '@{[ $self->root ]}/wp-load.php';
$code
END

    return $self->run('/usr/bin/php', '-d', 'display_errors=stderr',
                      '-d', 'error_reporting=E_ALL & ~E_DEPRECATED', $file);
}


# WordPress's own installer, the site's settings, the theme, the plugin
# and the article, as an administrator would
sub install {
    my ($self) = @_;

    (my $article = $ARTICLE) =~ s/'/\\'/g;

    my $out = $self->php(<<"END", installing => 1);
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

\$r = wp_install('Berita Contoh', '$ADMIN', 'redaksi\@example.com', false,
                 '', '$PASSWORD');

// comments by readers: the site's own settings let a comment through at
// once, unless the plugin holds it
update_option('comment_moderation', 0);
update_option('comment_previously_approved', 0);
update_option('require_name_email', 1);

switch_theme('$THEME');

// WordPress's sample comment: not a reader's
wp_delete_comment(1, true);

\$a = activate_plugin('comment-moderation.php');
if (is_wp_error(\$a)) {
    fwrite(STDERR, \$a->get_error_message());
    exit(1);
}

\$id = wp_insert_post(array(
    'post_title'     => '$TITLE',
    'post_content'   => '$article',
    'post_status'    => 'publish',
    'post_author'    => \$r['user_id'],
    'comment_status' => 'open',
), true);
if (is_wp_error(\$id)) {
    fwrite(STDERR, \$id->get_error_message());
    exit(1);
}

echo "post=\$id\\n";
END

    ($self->{post_id}) = $out =~ /^post=(\d+)$/m
        or die "WordPress install printed no post id:\n$out\n";
}


sub start_nginx {
    my ($self) = @_;

    my $t = $self->{t};
    my $repo = $t->repo;
    my $d = $self->{dir};

    open my $fh, '<', "$repo/config/wordpress/nginx.conf"
        or die "cannot read config/wordpress/nginx.conf: $!\n";
    my $conf = do { local $/; <$fh> };
    close $fh;

    my $n = 0;
    $n += $conf =~ s{/etc/nginx/comment-moderation/main\.rules}
                    {$repo/rules/main.rules}g;
    $n += $conf =~ s{127\.0\.0\.1:6379}{127.0.0.1:$self->{redis}}g;
    $n += $conf =~ s{unix:/run/php/php8\.2-fpm\.sock}{unix:$self->{fpm}}g;
    $n += $conf =~ s{^(\s*)listen 80;}{$1listen 127.0.0.1:$self->{port};}m;
    $n += $conf =~ s{^(\s*)root /usr/share/wordpress;}
                    {$1root @{[ $self->root ]};}m;
    # Debian's fastcgi_params passes HTTP_HOST as $host, without the
    # port: on a port of its own, WordPress would redirect to itself
    $n += $conf =~ s{include fastcgi_params;}
                    {include /etc/nginx/fastcgi_params;
        fastcgi_param HTTP_HOST \$host:\$server_port;}g;

    $n += $conf =~ s{/var/log/nginx/(access\.log|comments\.json)}{$d/$1}g;

    die "config/wordpress/nginx.conf changed: t/wordpress.t cannot move "
        . "it ($n)\n" unless $n == 9;

    $t->write_config($conf);
    $t->run;
}


1;
