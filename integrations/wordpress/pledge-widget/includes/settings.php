<?php
/**
 * Settings → Pledge widget: the service's address, and how to place the widget.
 *
 * @package PledgeWidget
 */

defined( 'ABSPATH' ) || exit;

add_action( 'admin_menu', 'pledge_widget_add_settings_page' );
add_action( 'admin_init', 'pledge_widget_add_settings_fields' );
add_action( 'admin_notices', 'pledge_widget_missing_service_notice' );
add_filter( 'plugin_action_links_' . plugin_basename( dirname( __DIR__ ) . '/pledge-widget.php' ), 'pledge_widget_action_links' );

/**
 * Adds the page under Settings, for those who may manage options.
 */
function pledge_widget_add_settings_page() {
	add_options_page(
		__( 'Pledge widget', 'pledge-widget' ),
		__( 'Pledge widget', 'pledge-widget' ),
		'manage_options',
		'pledge-widget',
		'pledge_widget_settings_page'
	);
}

/**
 * The page's one section and field.
 */
function pledge_widget_add_settings_fields() {
	add_settings_section( 'pledge_widget_service', __( 'The pledge service', 'pledge-widget' ), 'pledge_widget_service_section', 'pledge-widget' );
	add_settings_field(
		'pledge_widget_service_url',
		__( 'Service address', 'pledge-widget' ),
		'pledge_widget_service_url_field',
		'pledge-widget',
		'pledge_widget_service',
		array( 'label_for' => 'pledge_widget_service_url' )
	);
}

/**
 * The section's introduction.
 */
function pledge_widget_service_section() {
	echo '<p>' . esc_html__( 'The widget, its script and its counts come from the pledge service your campaign runs. Ask the campaign for its address if you do not know it.', 'pledge-widget' ) . '</p>';
}

/**
 * The address field.
 */
function pledge_widget_service_url_field() {
	printf(
		'<input type="url" id="pledge_widget_service_url" name="pledge_widget_service_url" value="%1$s" class="regular-text code" placeholder="https://pledge.example.org" aria-describedby="pledge_widget_service_url_help" />',
		esc_attr( pledge_widget_service_url() )
	);
	printf(
		'<p class="description" id="pledge_widget_service_url_help">%s</p>',
		esc_html__( 'The address the service gave you, starting with https://. Add this site’s address (its origin) to your site on the service, or the widget will show as a link only.', 'pledge-widget' )
	);
}

/**
 * The settings page: the form (saved by options.php, which checks the nonce and the capability) and how to
 * place the widget.
 */
function pledge_widget_settings_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	?>
	<div class="wrap">
		<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
		<form action="options.php" method="post">
			<?php
			settings_fields( 'pledge_widget' );
			do_settings_sections( 'pledge-widget' );
			submit_button();
			?>
		</form>
		<h2><?php esc_html_e( 'Placing the widget', 'pledge-widget' ); ?></h2>
		<p><?php esc_html_e( 'In the block editor, add the “Pledge widget” block and enter your site key. Anywhere else, write the shortcode:', 'pledge-widget' ); ?></p>
		<p><code>[pledge_widget key="KEY" mode="form" lang="fr"]</code></p>
		<ul>
			<li><code>key</code>: <?php esc_html_e( 'your site key, from your dashboard on the pledge service (required).', 'pledge-widget' ); ?></li>
			<li><code>mode</code>: <?php esc_html_e( 'form (the default), button, counter or list.', 'pledge-widget' ); ?></li>
			<li><code>lang</code>: <?php esc_html_e( 'a language code such as fr or pt-BR; without it, the page’s language.', 'pledge-widget' ); ?></li>
			<li><code>theme</code>: <?php esc_html_e( 'light (the default), dark or auto.', 'pledge-widget' ); ?></li>
			<li><code>embed</code>: <?php esc_html_e( 'script (the default), or iframe: a frame of fixed height, with no script at all.', 'pledge-widget' ); ?></li>
		</ul>
	</div>
	<?php
}

/**
 * Tells administrators, on the dashboard and the plugins page, that the widgets wait for the address.
 */
function pledge_widget_missing_service_notice() {
	$screen = get_current_screen();
	if ( '' !== pledge_widget_service_url() || ! current_user_can( 'manage_options' ) || ! $screen || ! in_array( $screen->id, array( 'dashboard', 'plugins' ), true ) ) {
		return;
	}
	printf(
		'<div class="notice notice-warning"><p>%1$s <a href="%2$s">%3$s</a></p></div>',
		esc_html__( 'The pledge widgets show nothing until you enter the address of the pledge service.', 'pledge-widget' ),
		esc_url( admin_url( 'options-general.php?page=pledge-widget' ) ),
		esc_html__( 'Settings → Pledge widget', 'pledge-widget' )
	);
}

/**
 * A "Settings" link beside "Deactivate" on the plugins page.
 *
 * @param array $links The plugin's action links.
 * @return array
 */
function pledge_widget_action_links( $links ) {
	$settings = sprintf(
		'<a href="%1$s">%2$s</a>',
		esc_url( admin_url( 'options-general.php?page=pledge-widget' ) ),
		esc_html__( 'Settings', 'pledge-widget' )
	);
	array_unshift( $links, $settings );
	return $links;
}
