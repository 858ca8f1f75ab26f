"""The two lines of HTML a webmaster pastes: a plain link that the loader turns into the widget, and the
options it carries (``data-`` attributes of the link, passed on by the loader as query parameters)."""
from __future__ import annotations

import re
from typing import Mapping
from urllib.parse import urlencode

from markupsafe import escape

#: What the widget shows (``data-mode``): the full form, a compact button that opens it, the count, or the
#: latest signatories. The first is the default; any other value shows the form.
MODES = ("form", "button", "counter", "list")
#: ``data-scope`` of the list mode: the signatories who came through the site (the default) or the whole
#: campaign's.
SCOPES = ("site", "campaign")
#: ``data-theme``: light (the default), dark, or the visitor's own setting.
THEMES = ("light", "dark", "auto")
#: The widget's own accent (light theme): a snippet's accent replaces it.
DEFAULT_ACCENT = "#1d5e2b"
#: WCAG 2.2 AA for normal text (SC 1.4.3): the accent is the colour of links on white and the
#: background of buttons with white text, so it needs this much contrast against white.
MIN_CONTRAST = 4.5

#: The snippet's data- attribute of each option, and the query parameter the loader makes of it.
ATTRIBUTES = {"mode": "data-mode", "lang": "data-lang", "theme": "data-theme", "min_count": "data-min-count",
              "accent": "data-accent", "scope": "data-scope"}
QUERY_NAMES = {"mode": "mode", "lang": "lang", "theme": "theme", "min_count": "min", "accent": "accent", "scope": "scope"}

#: The snippet's source codes (the names of widget.utm.UTM_FIELDS), as the data- attributes the loader reads
#: (it puts them in the frame's fragment, never in its query).
UTM_ATTRIBUTES = {"utm_source": "data-utm-source", "utm_medium": "data-utm-medium", "utm_campaign": "data-utm-campaign"}

HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")


def widget_url(base_url: str, site_key: str, lang: str | None = None) -> str:
    """The widget page of a site under the service's public base URL (prefix included)."""
    url = f"{base_url.rstrip('/')}/w/{site_key}"
    return f"{url}?lang={lang}" if lang else url


#: The loader's versioned address, under the service's base URL: its bytes never change (see /embed/v1.js).
PINNED_LOADER = "/embed/v1.js"


def snippet(base_url: str, site_key: str, title: str, *, integrity: str | None = None,
            utm: Mapping[str, str] | None = None, **options: str | int | None) -> str:
    """The embed snippet. Without JavaScript it stays a link to the widget page, which works on its own.

    Each option given (``mode``, ``lang``, ``theme``, ``min_count``, ``accent``; None or "" for none)
    becomes a ``data-`` attribute of the link, in that order. With ``integrity`` (``sha384-...`` of the
    versioned loader), the script is the versioned loader, pinned: the browser runs it only if its bytes
    are those (Subresource Integrity), so a page keeps running exactly the loader it was given. ``utm``
    (source codes by ``utm_source``... name, checked by the caller: widget.utm.utm_value) become
    ``data-utm-source``... attributes after the options.
    """
    base = base_url.rstrip("/")
    unknown = set(options) - set(ATTRIBUTES)
    if unknown:
        raise TypeError(f"unknown snippet option(s): {', '.join(sorted(unknown))}")
    attributes = "".join(
        f' {attribute}="{escape(options[name])}"'
        for name, attribute in ATTRIBUTES.items()
        if options.get(name) not in (None, "")
    ) + utm_attributes(utm or {})
    script = (f'<script async src="{escape(base)}{PINNED_LOADER}" integrity="{escape(integrity)}" '
              f'crossorigin="anonymous"></script>' if integrity else f'<script async src="{escape(base)}/embed.js"></script>')
    # The link holds the widget's place from the first paint, before the loader comes: the host's page does not
    # jump when the frame takes it (the loader drops the link's display when it gives the link back).
    reserve = f' style="display:block;height:{reserved_height(options.get("mode"))}"'
    return (f'<a class="pledge-widget" href="{escape(widget_url(base, site_key))}"{attributes}{reserve}>'
            f'{escape(title)}</a>\n' + script)


#: The room the widget takes in each mode, which the script snippet's link reserves (the loader gives its frame
#: the same heights: embed/loader.js; the WordPress plugin's link reserves them too: PLEDGE_WIDGET_RESERVED in
#: integrations/wordpress/pledge-widget/includes/embed.php): in the short modes the content's height on a phone
#: in English, measured in Chromium (one line more or less elsewhere); the form is taller than any screen, so
#: one screen holds its place (the page below is out of sight when it grows).
RESERVED_HEIGHTS = {"form": "100vh", "button": "121px", "counter": "212px", "list": "322px"}


def reserved_height(mode: str | int | None) -> str:
    """The CSS height the script snippet's link reserves for the widget in ``mode`` (any other: the form's)."""
    return RESERVED_HEIGHTS.get(str(mode or MODES[0]), RESERVED_HEIGHTS[MODES[0]])


#: The height in pixels of a frame without our loader (the frame snippet, oEmbed's answer), per mode: the
#: content's height in English in a column of 672 pixels, measured in Chromium, the same as the WordPress
#: plugin's (integrations/wordpress/pledge-widget/includes/embed.php). Such a frame cannot follow its content:
#: where it is taller (a phone, a longer language, error messages), the frame scrolls. A button opens the form
#: in its own frame, so it gets the form's height. Measured again for the builder (Chromium, 672 px wide):
#: the form 1744 px in English, 1650 in Arabic, 1815 in German and Russian; the counter 190 to 212; the list
#: 300 empty, about 700 with its 10 signatories; at 360 px (a phone) the form is 1900 to 2400 and scrolls.
FRAME_HEIGHTS = {"form": 1800, "button": 1800, "counter": 240, "list": 800}


def frame_address(base_url: str, site_key: str, **options: str | int | None) -> str:
    """The widget page's address with a snippet's options as the loader would pass them (no ``hl`` nor
    ``origin``: a bare frame has no loader to tell the page's language and origin)."""
    unknown = set(options) - set(ATTRIBUTES)
    if unknown:
        raise TypeError(f"unknown snippet option(s): {', '.join(sorted(unknown))}")
    query = urlencode(loader_query(options))
    url = widget_url(base_url.rstrip("/"), site_key)
    return f"{url}?{query}" if query else url


def frame_snippet(base_url: str, site_key: str, title: str, *, utm: Mapping[str, str] | None = None,
                  **options: str | int | None) -> str:
    """The frame-only snippet, for pages that allow no script: the widget page in an ``<iframe>`` of the
    mode's fixed height (:data:`FRAME_HEIGHTS`), titled for screen readers, loaded when scrolled near. The
    widget page needs nothing of the host page: the browser still lets only the site's origins frame it.
    ``utm`` (checked source codes) go in the address's fragment, where the widget reads them as it reads the
    loader's (``#utm_source=...``): the server never sees them on a GET."""
    address = frame_address(base_url, site_key, **options)
    fragment = urlencode(utm_codes(utm or {}))
    return frame_html(f"{address}#{fragment}" if fragment else address, title, frame_height(options.get("mode")))


def utm_codes(utm: Mapping[str, str]) -> dict[str, str]:
    """The source codes given, in the order of :data:`UTM_ATTRIBUTES`, the empty ones left out."""
    unknown = set(utm) - set(UTM_ATTRIBUTES)
    if unknown:
        raise TypeError(f"unknown source code(s): {', '.join(sorted(unknown))}")
    return {name: utm[name] for name in UTM_ATTRIBUTES if utm.get(name)}


def utm_attributes(utm: Mapping[str, str]) -> str:
    """The ``data-utm-*`` attributes of the script snippet's link for the source codes given, escaped."""
    return "".join(f' {UTM_ATTRIBUTES[name]}="{escape(value)}"' for name, value in utm_codes(utm).items())


def frame_height(mode: str | int | None) -> int:
    """The fixed height of a frame of the widget in ``mode`` (any other value: the form's)."""
    return FRAME_HEIGHTS.get(str(mode or MODES[0]), FRAME_HEIGHTS[MODES[0]])


#: The widget's widest content, in CSS pixels (42rem: its main column).
WIDGET_MAX_WIDTH = 672


def frame_html(src: str, title: str, height: int, width: int | None = None) -> str:
    """An ``<iframe>`` of the widget page at ``src``: as wide as its column (at most ``width`` pixels when
    given), ``height`` pixels high, titled, loaded lazily."""
    size = f' width="{width}"' if width else ""
    limit = f"{width}px" if width else "100%"
    return (f'<iframe src="{escape(src)}" title="{escape(title)}" loading="lazy"{size} height="{height}" '
            f'style="width:100%;max-width:{limit};border:0"></iframe>')


def oembed_address(base_url: str, widget_address: str) -> str:
    """The oEmbed endpoint's address for a widget address (the discovery link of widget pages)."""
    return f"{base_url.rstrip('/')}/oembed?{urlencode({'url': widget_address, 'format': 'json'})}"


def link_snippet(base_url: str, site_key: str, title: str, lang: str | None = None) -> str:
    """The plain link to the site's sign-on page, for where neither scripts nor frames are allowed."""
    return f'<a href="{escape(widget_url(base_url.rstrip("/"), site_key, lang))}">{escape(title)}</a>'


def loader_query(options: Mapping[str, str | int | None]) -> dict[str, str]:
    """The query parameters the loader makes of a snippet's options (before it adds ``hl`` and ``origin``)."""
    return {QUERY_NAMES[name]: str(value) for name, value in options.items() if value not in (None, "")}


# -- the accent colour ---------------------------------------------------------------------------


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a ``#RRGGBB`` colour: 0 for black, 1 for white."""
    hex_digits = colour.lstrip("#")

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(hex_digits[i : i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str = "#ffffff") -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours, from 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def hex_colour(value: str | None) -> str | None:
    """``"#1D5E2B"`` or ``"1d5e2b"`` → ``"#1d5e2b"``; anything else → None."""
    match = HEX_COLOUR.match(value or "")
    return f"#{match.group(1).lower()}" if match else None


def usable_accent(value: str | None) -> str | None:
    """The accent as ``#rrggbb`` if it is a colour that white text on it (and it on white) can be read
    with (at least :data:`MIN_CONTRAST`), else None: the widget then keeps its own."""
    colour = hex_colour(value)
    return colour if colour and contrast_ratio(colour) >= MIN_CONTRAST else None
