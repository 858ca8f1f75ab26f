"""The two lines of HTML a webmaster pastes: a plain link that the loader turns into the widget."""
from __future__ import annotations

from markupsafe import escape


def widget_url(base_url: str, site_key: str, lang: str | None = None) -> str:
    """The widget page of a site under the service's public base URL (prefix included)."""
    url = f"{base_url.rstrip('/')}/w/{site_key}"
    return f"{url}?lang={lang}" if lang else url


def snippet(base_url: str, site_key: str, title: str) -> str:
    """The embed snippet. Without JavaScript it stays a link to the widget page, which works on its own."""
    base = base_url.rstrip("/")
    return (
        f'<a class="pledge-widget" href="{escape(widget_url(base, site_key))}">{escape(title)}</a>\n'
        f'<script async src="{escape(base)}/embed.js"></script>'
    )
