<?php
/**
 * The address of the pledge service: where the widget, its loader and its counts are served from.
 *
 * @package PledgeWidget
 */

defined( 'ABSPATH' ) || exit;

/**
 * The service's address as saved on the settings page, without a trailing slash; '' while unset.
 *
 * @return string
 */
function pledge_widget_service_url() {
	$url = get_option( 'pledge_widget_service_url', '' );
	return is_string( $url ) ? untrailingslashit( $url ) : '';
}

/**
 * The given address, cleaned, if it is one a service can live at: http or https, a host name or IP
 * address, an optional port and path (a service mounted under a prefix); no user, query or fragment.
 *
 * @param mixed $value What the administrator typed.
 * @return string The address without a trailing slash, or '' when it is not one.
 */
function pledge_widget_valid_service_url( $value ) {
	if ( ! is_string( $value ) ) {
		return '';
	}
	$value = trim( $value );
	$parts = wp_parse_url( $value );
	if ( ! is_array( $parts ) || ! isset( $parts['scheme'], $parts['host'] ) ) {
		return '';
	}
	if ( isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) ) {
		return '';
	}
	if ( ! in_array( strtolower( $parts['scheme'] ), array( 'http', 'https' ), true ) ) {
		return '';
	}
	if ( ! preg_match( '/^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)$/i', $parts['host'] ) ) {
		return '';
	}
	// esc_url_raw() changes nothing in a clean address but the case of its scheme: any other change means
	// it was not clean.
	$clean = esc_url_raw( $value, array( 'http', 'https' ) );
	if ( 0 !== strcasecmp( $clean, $value ) ) {
		return '';
	}
	return untrailingslashit( $clean );
}

/**
 * Sanitises the setting on its way to the database: a bad address is refused with a message and the
 * saved one is kept; an empty one switches the widgets off.
 *
 * @param mixed $value The submitted value.
 * @return string
 */
function pledge_widget_sanitize_service_url( $value ) {
	if ( is_string( $value ) && '' === trim( $value ) ) {
		return '';
	}
	$url = pledge_widget_valid_service_url( $value );
	if ( '' === $url ) {
		add_settings_error(
			'pledge_widget_service_url',
			'pledge_widget_invalid_url',
			__( 'The service address must be a web address that starts with https:// (or http://), such as https://pledge.example.org, with no query. It was not saved.', 'pledge-widget' )
		);
		return pledge_widget_service_url();
	}
	return $url;
}

/**
 * Registers the option with the Settings API, which checks the nonce and the capability on saving.
 */
function pledge_widget_register_setting() {
	register_setting(
		'pledge_widget',
		'pledge_widget_service_url',
		array(
			'type'              => 'string',
			'description'       => __( 'The address of the pledge service.', 'pledge-widget' ),
			'sanitize_callback' => 'pledge_widget_sanitize_service_url',
			'default'           => '',
			'show_in_rest'      => false,
		)
	);
}
