<?php
/**
 * The widget on a page: the shortcode and the block both come here, so they check and write the same HTML.
 *
 * @package PledgeWidget
 */

defined( 'ABSPATH' ) || exit;

/**
 * What the widget shows (the snippet's data-mode), each with the fixed height its frame gets when it is
 * embedded without the service's script (embed="iframe"), in pixels: the content's height in English in a
 * column of 672 pixels, measured in Chromium (the frame scrolls where the content is taller, as on a phone).
 * A button opens the form in its own frame, which cannot grow: it gets the form's height.
 */
const PLEDGE_WIDGET_MODES = array(
	'form'    => 1800,
	'button'  => 1800,
	'counter' => 240,
	'list'    => 800,
);

/**
 * The room the widget takes in each mode, which the snippet's link reserves from the first paint so that the
 * page does not jump when the loader's frame takes its place: the service's own snippet reserves the same
 * (widget.snippet.RESERVED_HEIGHTS), and its loader starts the frame at that height.
 */
const PLEDGE_WIDGET_RESERVED = array(
	'form'    => '100vh',
	'button'  => '121px',
	'counter' => '212px',
	'list'    => '322px',
);

/** The source codes a shortcode may carry, as the snippet's data- attributes name them. */
const PLEDGE_WIDGET_UTM = array(
	'utm_source'   => 'data-utm-source',
	'utm_medium'   => 'data-utm-medium',
	'utm_campaign' => 'data-utm-campaign',
);

/** The snippet's data-theme values. */
const PLEDGE_WIDGET_THEMES = array( 'light', 'dark', 'auto' );

/** How the widget is embedded: our loader script (the frame takes its content's height), or a bare frame. */
const PLEDGE_WIDGET_EMBEDS = array( 'script', 'iframe' );

/** The script handle of the service's loader. */
const PLEDGE_WIDGET_LOADER = 'pledge-widget-loader';

/**
 * The attributes of the shortcode and the block, with their defaults.
 *
 * @return array
 */
function pledge_widget_defaults() {
	return array(
		'key'          => '',
		'mode'         => 'form',
		'lang'         => '',
		'theme'        => '',
		'embed'        => 'script',
		'utm_source'   => '',
		'utm_medium'   => '',
		'utm_campaign' => '',
	);
}

/**
 * A source code as the service keeps it, or '' for one it would drop: at most 64 characters, none of them a
 * control or invisible one (widget/utm.py), valid UTF-8.
 *
 * @param string $value The code, trimmed.
 * @return string
 */
function pledge_widget_utm_value( $value ) {
	return 1 === preg_match( '/^[^\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]{1,64}$/u', $value ) ? $value : '';
}

/**
 * The [pledge_widget key="KEY" mode="form" lang="fr" theme="dark" embed="iframe" utm_source="newsletter"]
 * shortcode (also utm_medium and utm_campaign: a code the service would drop is left out).
 *
 * @param array|string $atts The shortcode's attributes ('' when it has none).
 * @return string
 */
function pledge_widget_shortcode( $atts ) {
	return pledge_widget_render( shortcode_atts( pledge_widget_defaults(), $atts, 'pledge_widget' ) );
}

/**
 * The block's output, rendered on the server by the same function as the shortcode.
 *
 * @param array $attributes The block's attributes.
 * @return string
 */
function pledge_widget_render_block( $attributes ) {
	$html = pledge_widget_render( shortcode_atts( pledge_widget_defaults(), $attributes ) );
	if ( 0 === strpos( $html, '<!--' ) ) {
		return $html;
	}
	return sprintf( '<div %1$s>%2$s</div>', get_block_wrapper_attributes(), $html );
}

/**
 * Checks the attributes of a shortcode or block.
 *
 * @param array $atts Attributes, with every default filled in.
 * @return array|WP_Error The options, cleaned, or what is wrong with them.
 */
function pledge_widget_options( $atts ) {
	$options = array();
	foreach ( pledge_widget_defaults() as $name => $default ) {
		$value            = isset( $atts[ $name ] ) && is_scalar( $atts[ $name ] ) ? trim( (string) $atts[ $name ] ) : '';
		$options[ $name ] = '' === $value ? $default : $value;
	}
	$options['mode']  = strtolower( $options['mode'] );
	$options['theme'] = strtolower( $options['theme'] );
	$options['embed'] = strtolower( $options['embed'] );
	// The service drops a bad code without a word; so does the plugin: the widget works without it.
	foreach ( array_keys( PLEDGE_WIDGET_UTM ) as $name ) {
		$options[ $name ] = pledge_widget_utm_value( $options[ $name ] );
	}

	// The service's site keys: letters, digits, "-" and "_".
	if ( ! preg_match( '/^[A-Za-z0-9_-]{1,64}$/', $options['key'] ) ) {
		return new WP_Error(
			'pledge_widget_key',
			'' === $options['key']
				? __( 'the key attribute is missing: copy your site key from your dashboard on the pledge service.', 'pledge-widget' )
				/* translators: %s: the key as written in the page. */
				: sprintf( __( '"%s" is not a site key: copy your site key from your dashboard on the pledge service.', 'pledge-widget' ), $options['key'] )
		);
	}
	if ( ! array_key_exists( $options['mode'], PLEDGE_WIDGET_MODES ) ) {
		return new WP_Error( 'pledge_widget_mode', __( 'the mode must be form, button, counter or list.', 'pledge-widget' ) );
	}
	// A language code ("fr", "fil") or one with its region ("pt-BR", "es_419"): the service picks one it has.
	if ( '' !== $options['lang'] && ! preg_match( '/^[a-z]{2,3}(?:[-_](?:[a-z]{2}|[0-9]{3}))?$/i', $options['lang'] ) ) {
		return new WP_Error( 'pledge_widget_lang', __( 'the language must be a code such as fr or pt-BR.', 'pledge-widget' ) );
	}
	if ( '' !== $options['theme'] && ! in_array( $options['theme'], PLEDGE_WIDGET_THEMES, true ) ) {
		return new WP_Error( 'pledge_widget_theme', __( 'the theme must be light, dark or auto.', 'pledge-widget' ) );
	}
	if ( ! in_array( $options['embed'], PLEDGE_WIDGET_EMBEDS, true ) ) {
		return new WP_Error( 'pledge_widget_embed', __( 'the embed attribute must be script or iframe.', 'pledge-widget' ) );
	}
	return $options;
}

/**
 * The widget's HTML for checked-or-not attributes: the snippet (a link the service's loader turns into the
 * widget, and a working link without JavaScript), a bare frame, or, for bad attributes, nothing a visitor
 * sees.
 *
 * @param array $atts Attributes, with every default filled in.
 * @return string
 */
function pledge_widget_render( $atts ) {
	$options = pledge_widget_options( $atts );
	if ( is_wp_error( $options ) ) {
		return pledge_widget_problem( $options );
	}
	$service = pledge_widget_service_url();
	if ( '' === $service ) {
		return pledge_widget_problem(
			new WP_Error( 'pledge_widget_service', __( 'the address of the pledge service is not set (Settings → Pledge widget).', 'pledge-widget' ) )
		);
	}

	$url   = $service . '/w/' . $options['key'];
	$query = array_filter(
		array(
			'mode'  => $options['mode'],
			'lang'  => $options['lang'],
			'theme' => $options['theme'],
		)
	);
	$title = pledge_widget_title( $options['mode'] );
	$utm   = array_filter( array_intersect_key( $options, PLEDGE_WIDGET_UTM ) );

	if ( 'iframe' === $options['embed'] ) {
		// The codes go in the fragment, where the widget reads them: the service never sees them on a GET.
		$fragment = $utm ? '#' . http_build_query( $utm ) : '';
		return sprintf(
			'<iframe class="pledge-widget-frame" src="%1$s" title="%2$s" loading="lazy" style="width:100%%;border:0" height="%3$d"></iframe>',
			esc_url( add_query_arg( $query, $url ) . $fragment ),
			esc_attr( $title ),
			PLEDGE_WIDGET_MODES[ $options['mode'] ]
		);
	}

	pledge_widget_enqueue_loader( $service );
	$data = '';
	foreach ( $query as $name => $value ) {
		$data .= sprintf( ' data-%1$s="%2$s"', $name, esc_attr( $value ) );
	}
	foreach ( $utm as $name => $value ) {
		$data .= sprintf( ' %1$s="%2$s"', PLEDGE_WIDGET_UTM[ $name ], esc_attr( $value ) );
	}
	// The link holds the widget's room until the loader's frame, of the same height, takes its place.
	return sprintf(
		'<a class="pledge-widget" href="%1$s"%2$s style="display:block;height:%3$s">%4$s</a>',
		esc_url( $url ),
		$data,
		esc_attr( PLEDGE_WIDGET_RESERVED[ $options['mode'] ] ),
		esc_html( $title )
	);
}

/**
 * The widget's name for its frame's title and its link's text, by what it shows.
 *
 * @param string $mode A key of PLEDGE_WIDGET_MODES.
 * @return string
 */
function pledge_widget_title( $mode ) {
	if ( 'counter' === $mode ) {
		return __( 'See how many have signed the pledge', 'pledge-widget' );
	}
	if ( 'list' === $mode ) {
		return __( 'See who has signed the pledge', 'pledge-widget' );
	}
	return __( 'Sign the pledge', 'pledge-widget' );
}

/**
 * Queues the service's loader once per page, in the footer, loaded asynchronously.
 *
 * @param string $service The service's address.
 */
function pledge_widget_enqueue_loader( $service ) {
	// No version: the service serves /embed.js with its own caching; WordPress 6.3 and later add async
	// themselves from 'strategy', older ones through pledge_widget_async_loader().
	wp_enqueue_script(
		PLEDGE_WIDGET_LOADER,
		$service . '/embed.js',
		array(),
		null, // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion
		array(
			'in_footer' => true,
			'strategy'  => 'async',
		)
	);
}

add_filter( 'script_loader_tag', 'pledge_widget_async_loader', 10, 2 );

/**
 * Adds async to the loader's script tag where WordPress did not (before 6.3).
 *
 * @param string $tag    The script tag.
 * @param string $handle Its handle.
 * @return string
 */
function pledge_widget_async_loader( $tag, $handle ) {
	if ( PLEDGE_WIDGET_LOADER !== $handle || preg_match( '/\sasync[\s>=]/', $tag ) ) {
		return $tag;
	}
	return str_replace( ' src=', ' async src=', $tag );
}

/**
 * What bad attributes leave in the page: for visitors an HTML comment naming the problem's code only; for
 * those who can edit posts a short notice saying what to fix.
 *
 * @param WP_Error $error What is wrong.
 * @return string
 */
function pledge_widget_problem( $error ) {
	if ( ! current_user_can( 'edit_posts' ) ) {
		return '<!-- ' . esc_html( $error->get_error_code() ) . ' -->';
	}
	return sprintf(
		'<p class="pledge-widget-notice"><strong>%1$s</strong> %2$s</p>',
		esc_html__( 'Pledge widget:', 'pledge-widget' ),
		esc_html( $error->get_error_message() )
	);
}
