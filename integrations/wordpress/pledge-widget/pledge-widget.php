<?php
/**
 * Plugin Name:       Pledge widget
 * Description:       Puts the sign-on form of a flask-pledge-widget campaign on your pages, with a shortcode or a block, even for authors who may not paste scripts.
 * Version:           1.0.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            flask-pledge-widget contributors
 * License:           MIT
 * License URI:       https://opensource.org/licenses/MIT
 * Text Domain:       pledge-widget
 * Domain Path:       /languages
 *
 * @package PledgeWidget
 */

defined( 'ABSPATH' ) || exit;

require_once __DIR__ . '/includes/service.php';
require_once __DIR__ . '/includes/embed.php';
require_once __DIR__ . '/includes/settings.php';

add_action( 'init', 'pledge_widget_init' );

/**
 * Loads the translations, registers the setting, the shortcode and the block.
 */
function pledge_widget_init() {
	load_plugin_textdomain( 'pledge-widget', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );

	pledge_widget_register_setting();
	add_shortcode( 'pledge_widget', 'pledge_widget_shortcode' );

	$block = register_block_type( __DIR__ . '/block', array( 'render_callback' => 'pledge_widget_render_block' ) );
	if ( $block ) {
		// WordPress looks for the editor's translations in its own languages folder; ours travel with the plugin.
		wp_set_script_translations( generate_block_asset_handle( $block->name, 'editorScript' ), 'pledge-widget', __DIR__ . '/languages' );
	}
}
