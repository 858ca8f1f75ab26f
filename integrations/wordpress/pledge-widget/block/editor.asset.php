<?php
/**
 * The editor script's dependencies, as a build step would write them: it has none, only WordPress's globals.
 *
 * @package PledgeWidget
 */

return array(
	'dependencies' => array( 'wp-block-editor', 'wp-blocks', 'wp-components', 'wp-element', 'wp-i18n', 'wp-server-side-render' ),
	'version'      => '1.0.0',
);
