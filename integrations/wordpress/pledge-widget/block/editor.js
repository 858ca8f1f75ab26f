/**
 * The Pledge widget block in the editor. No build step: only WordPress's own globals. The preview is
 * rendered by the server, by the same function as the shortcode, so editors see what visitors will see
 * (and a notice when an attribute is wrong).
 *
 * @package PledgeWidget
 */
( function ( wp ) {
	const { registerBlockType } = wp.blocks;
	const { createElement: el, useState } = wp.element;
	const { InspectorControls, useBlockProps } = wp.blockEditor;
	const { Button, Disabled, PanelBody, Placeholder, SelectControl, TextControl } = wp.components;
	const { __ } = wp.i18n;
	const ServerSideRender = wp.serverSideRender;

	/**
	 * Asks for the site key before anything else: the block shows nothing without it.
	 *
	 * @param {Object}   props          The block's properties.
	 * @param {Function} props.onChoose Called with the key typed.
	 * @return {Object} The placeholder.
	 */
	function KeyPlaceholder( { onChoose } ) {
		const [ key, setKey ] = useState( '' );
		return el(
			Placeholder,
			{
				icon: 'megaphone',
				label: __( 'Pledge widget', 'pledge-widget' ),
				instructions: __( 'Enter the site key from your dashboard on the pledge service.', 'pledge-widget' ),
			},
			el(
				'form',
				{
					style: { display: 'flex', alignItems: 'flex-start', gap: '8px' },
					onSubmit: ( event ) => {
						event.preventDefault();
						onChoose( key.trim() );
					},
				},
				el( TextControl, {
					label: __( 'Site key', 'pledge-widget' ),
					value: key,
					onChange: setKey,
				} ),
				el( Button, { variant: 'primary', type: 'submit', style: { marginTop: '23px' } }, __( 'Embed', 'pledge-widget' ) )
			)
		);
	}

	/**
	 * The sidebar's settings: one control per attribute.
	 *
	 * @param {Object}   props               The block's properties.
	 * @param {Object}   props.attributes    Its attributes.
	 * @param {Function} props.setAttributes Changes them.
	 * @return {Object} The inspector controls.
	 */
	function Settings( { attributes, setAttributes } ) {
		const set = ( name ) => ( value ) => setAttributes( { [ name ]: value } );
		return el(
			InspectorControls,
			null,
			el(
				PanelBody,
				{ title: __( 'Widget', 'pledge-widget' ) },
				el( TextControl, {
					label: __( 'Site key', 'pledge-widget' ),
					value: attributes.key,
					onChange: set( 'key' ),
				} ),
				el( SelectControl, {
					label: __( 'Shows', 'pledge-widget' ),
					value: attributes.mode,
					options: [
						{ value: 'form', label: __( 'The sign-on form', 'pledge-widget' ) },
						{ value: 'button', label: __( 'A button that opens the form', 'pledge-widget' ) },
						{ value: 'counter', label: __( 'The count', 'pledge-widget' ) },
						{ value: 'list', label: __( 'The latest signatories', 'pledge-widget' ) },
					],
					onChange: set( 'mode' ),
				} ),
				el( TextControl, {
					label: __( 'Language', 'pledge-widget' ),
					help: __( 'A code such as fr or pt-BR. Empty: the page’s language.', 'pledge-widget' ),
					value: attributes.lang,
					onChange: set( 'lang' ),
				} ),
				el( SelectControl, {
					label: __( 'Theme', 'pledge-widget' ),
					value: attributes.theme,
					options: [
						{ value: '', label: __( 'Light (the default)', 'pledge-widget' ) },
						{ value: 'dark', label: __( 'Dark', 'pledge-widget' ) },
						{ value: 'auto', label: __( 'The visitor’s setting', 'pledge-widget' ) },
					],
					onChange: set( 'theme' ),
				} ),
				el( SelectControl, {
					label: __( 'Embedding', 'pledge-widget' ),
					help: __( 'A frame only has a fixed height, and works where scripts are not allowed.', 'pledge-widget' ),
					value: attributes.embed,
					options: [
						{ value: 'script', label: __( 'With the service’s script', 'pledge-widget' ) },
						{ value: 'iframe', label: __( 'A frame only', 'pledge-widget' ) },
					],
					onChange: set( 'embed' ),
				} )
			)
		);
	}

	registerBlockType( 'pledge-widget/widget', {
		edit( props ) {
			const { attributes, setAttributes } = props;
			return el(
				'div',
				useBlockProps(),
				el( Settings, props ),
				attributes.key
					? el( Disabled, null, el( ServerSideRender, { block: 'pledge-widget/widget', attributes } ) )
					: el( KeyPlaceholder, { onChoose: ( key ) => setAttributes( { key } ) } )
			);
		},
		// Rendered on the server: the post keeps only the block's comment and its attributes.
		save: () => null,
	} );
}( window.wp ) );
