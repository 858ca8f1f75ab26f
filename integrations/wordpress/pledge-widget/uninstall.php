<?php
/**
 * Deleting the plugin deletes its one option.
 *
 * @package PledgeWidget
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'pledge_widget_service_url' );
