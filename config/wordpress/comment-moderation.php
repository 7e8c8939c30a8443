<?php
/**
 * Plugin Name: Comment Moderation for nginx
 * Description: Reads the decision of nginx's comment moderation module. A held comment waits for a moderator; a passed one follows the site's discussion settings; the score and the rules are kept with the comment and shown on the Comments screen. Tools &gt; Ekspor komentar (or <code>wp comment-moderation export</code>) exports the approved, spam and trashed comments as LABEL&lt;TAB&gt;TEXT, for retraining.
 * Version: 0.1.0
 * Requires at least: 5.5
 * Requires PHP: 7.4
 * License: BSD-2-Clause
 *
 * nginx passes the decision as FastCGI parameters, which a client cannot
 * set (its headers arrive as HTTP_*):
 *
 *   location = /wp-comments-post.php {
 *       comment_moderation on;
 *       fastcgi_param COMMENT_MODERATION_DECISION $comment_moderation_decision;
 *       fastcgi_param COMMENT_MODERATION_SCORE $comment_moderation_score;
 *       fastcgi_param COMMENT_MODERATION_RULES $comment_moderation_rules;
 *       ...
 *   }
 *
 * A rejected comment never reaches WordPress (nginx answers it); one that
 * does with "reject" (the module in detect mode) is held as well.  A
 * comment without a decision (posted some other way) is left to
 * WordPress.
 */

defined( 'ABSPATH' ) || exit;


/** The module's decision for this request: "pass", "hold", "reject" or "". */
function cm_decision() {
	$d = isset( $_SERVER['COMMENT_MODERATION_DECISION'] )
		? (string) $_SERVER['COMMENT_MODERATION_DECISION'] : '';

	return in_array( $d, array( 'pass', 'hold', 'reject' ), true ) ? $d : '';
}


/**
 * A held comment is pending, whatever the settings would do; a passed one
 * keeps what WordPress decided (its moderation settings, its disallowed
 * words, a flood or a duplicate).
 */
function cm_pre_comment_approved( $approved, $commentdata ) {
	$d = cm_decision();

	if ( ( 'hold' !== $d && 'reject' !== $d )
		|| is_wp_error( $approved ) || 'spam' === $approved
		|| 'trash' === $approved ) {
		return $approved;
	}

	return 0;
}
add_filter( 'pre_comment_approved', 'cm_pre_comment_approved', 99, 2 );


/** The decision, score and rule ids, kept with the comment. */
function cm_comment_post( $comment_id ) {
	$d = cm_decision();

	if ( '' === $d ) {
		return;
	}

	$score = isset( $_SERVER['COMMENT_MODERATION_SCORE'] )
		? (int) $_SERVER['COMMENT_MODERATION_SCORE'] : 0;
	$rules = isset( $_SERVER['COMMENT_MODERATION_RULES'] )
		? preg_replace( '/[^0-9,]/', '', (string) $_SERVER['COMMENT_MODERATION_RULES'] )
		: '';

	add_comment_meta( $comment_id, 'cm_decision', $d, true );
	add_comment_meta( $comment_id, 'cm_score', $score, true );
	add_comment_meta( $comment_id, 'cm_rules', $rules, true );
}
add_action( 'comment_post', 'cm_comment_post', 10, 1 );


/* The Comments screen: a column with what the module found. */

function cm_comment_columns( $columns ) {
	$columns['cm_moderation'] = __( 'Moderasi otomatis', 'comment-moderation' );
	return $columns;
}
add_filter( 'manage_edit-comments_columns', 'cm_comment_columns' );


function cm_comment_column( $column, $comment_id ) {
	if ( 'cm_moderation' !== $column ) {
		return;
	}

	$d = get_comment_meta( $comment_id, 'cm_decision', true );

	if ( '' === $d ) {
		echo '&mdash;';
		return;
	}

	$score = get_comment_meta( $comment_id, 'cm_score', true );
	$rules = get_comment_meta( $comment_id, 'cm_rules', true );

	printf(
		'<span class="cm-moderation cm-%1$s">%1$s, skor %2$s%3$s</span>',
		esc_html( $d ),
		esc_html( $score ),
		'' !== $rules ? esc_html( sprintf( ', aturan %s', $rules ) ) : ''
	);
}
add_action( 'manage_comments_custom_column', 'cm_comment_column', 10, 2 );


/*
 * The export: approved comments are ham, spam is spam, and trashed ones
 * (a moderator's bin, or WordPress's disallowed words) abuse.  One line
 * a comment, LABEL<TAB>TEXT, the text on one line; what comment-check
 * --corpus and the quality gate read.
 */

function cm_export( $out ) {
	$labels = array(
		'approve' => 'ham',
		'spam'    => 'spam',
		'trash'   => 'abuse',
	);
	$n = 0;

	foreach ( $labels as $status => $label ) {
		$offset = 0;

		do {
			$comments = get_comments( array(
				'status'  => $status,
				'type'    => 'comment',
				'orderby' => 'comment_ID',
				'order'   => 'ASC',
				'number'  => 500,
				'offset'  => $offset,
			) );

			foreach ( $comments as $c ) {
				$text = trim( preg_replace( '/\s+/u', ' ', $c->comment_content ) );
				if ( '' !== $text ) {
					fwrite( $out, $label . "\t" . $text . "\n" );
					$n++;
				}
			}

			$offset += 500;
		} while ( count( $comments ) === 500 );
	}

	return $n;
}


/* Tools > Ekspor komentar: a page with one button, and its download. */

function cm_export_menu() {
	add_management_page(
		__( 'Ekspor komentar', 'comment-moderation' ),
		__( 'Ekspor komentar', 'comment-moderation' ),
		'moderate_comments',
		'comment-moderation-export',
		'cm_export_page'
	);
}
add_action( 'admin_menu', 'cm_export_menu' );


function cm_export_page() {
	?>
	<div class="wrap">
	<h1><?php esc_html_e( 'Ekspor komentar', 'comment-moderation' ); ?></h1>
	<p><?php esc_html_e( 'Komentar yang disetujui (ham), spam (spam) dan yang dibuang ke tempat sampah (abuse), satu per baris sebagai LABEL<TAB>TEKS, untuk melatih ulang aturan moderasi.', 'comment-moderation' ); ?></p>
	<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
		<input type="hidden" name="action" value="cm_export">
		<?php wp_nonce_field( 'cm_export' ); ?>
		<?php submit_button( __( 'Unduh comments.tsv', 'comment-moderation' ) ); ?>
	</form>
	</div>
	<?php
}


function cm_export_download() {
	if ( ! current_user_can( 'moderate_comments' ) ) {
		wp_die( esc_html__( 'Anda tidak boleh mengekspor komentar.', 'comment-moderation' ), 403 );
	}

	check_admin_referer( 'cm_export' );

	nocache_headers();
	header( 'Content-Type: text/tab-separated-values; charset=utf-8' );
	header( 'Content-Disposition: attachment; filename="comments.tsv"' );
	header( 'X-Content-Type-Options: nosniff' );

	$out = fopen( 'php://output', 'w' );
	cm_export( $out );
	fclose( $out );
	exit;
}
add_action( 'admin_post_cm_export', 'cm_export_download' );


/* wp comment-moderation export > comments.tsv */

if ( defined( 'WP_CLI' ) && WP_CLI ) {
	WP_CLI::add_command(
		'comment-moderation export',
		function () {
			$out = fopen( 'php://stdout', 'w' );
			$n   = cm_export( $out );
			fclose( $out );

			/* stdout is the export */
			fwrite( STDERR, sprintf( "%d comments exported\n", $n ) );
		},
		array( 'shortdesc' => 'Approved, spam and trashed comments as LABEL<TAB>TEXT (ham, spam, abuse).' )
	);
}
