"""Counter badges: a small SVG of a count, for newsletters, e-mails and pages that allow no script.

No font is loaded (the reader's system font draws the text), so the text width is estimated per
character, generously: a badge may be a little wide, never clipped.
"""
from __future__ import annotations

import unicodedata

from markupsafe import escape

from .snippet import widget_url

FONT = ("-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans','Noto Sans Arabic',"
        "'PingFang SC','Hiragino Sans','Microsoft YaHei','Noto Sans CJK SC','Nirmala UI','Noto Sans Devanagari',"
        "Tahoma,sans-serif")
SIZE = 11  # px
PAD = 7  # px each side of a text
HEIGHT = 20
LABEL_COLOUR = "#555"
COUNT_COLOUR = "#2e7d32"
MAX_LABEL = 40  # characters


def text_width(text: str) -> int:
    """An upper estimate of ``text``'s width in pixels at :data:`SIZE` in a sans-serif system font."""
    width = 0.0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        if unicodedata.east_asian_width(char) in ("W", "F"):
            width += SIZE * 1.05
        elif char in " .,:;'!|il1\u00a0\u202f":
            width += SIZE * 0.36
        elif char.isupper() or char in "mwMW@%":
            width += SIZE * 0.78
        else:
            width += SIZE * 0.62
    return int(width) + 1


def short_label(text: str) -> str:
    """A campaign's title cut to its short name ("4 per 1000: Declaration..." → "4 per 1000")."""
    label = text.split(":")[0].split("\uff1a")[0].strip() or text.strip()
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "\u2026"


def render(label: str, count: str, lang: str, direction: str) -> str:
    """The badge: ``label`` then ``count`` in reading order (right to left for ``direction="rtl"``)."""
    label_w, count_w = text_width(label) + 2 * PAD, text_width(count) + 2 * PAD
    width = label_w + count_w
    rtl = direction == "rtl"
    # Parts laid out in reading order: in Arabic the label is on the right.
    label_x, count_x = (count_w, 0) if rtl else (0, label_w)
    title = f"{label}: {count}"
    text_attrs = f'text-anchor="middle" direction="{direction}" font-family="{FONT}" font-size="{SIZE}"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" aria-labelledby="t" xml:lang="{escape(lang)}">'
        f'<title id="t">{escape(title)}</title>'
        f'<rect x="{label_x}" width="{label_w}" height="{HEIGHT}" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{count_x}" width="{count_w}" height="{HEIGHT}" fill="{COUNT_COLOUR}"/>'
        f'<g fill="#fff" {text_attrs} aria-hidden="true">'
        f'<text x="{label_x + label_w / 2:g}" y="14">{escape(label)}</text>'
        f'<text x="{count_x + count_w / 2:g}" y="14">{escape(count)}</text>'
        "</g></svg>"
    )


def badge_url(base_url: str, site_key: str, lang: str | None = None) -> str:
    """A site's badge under the service's public base URL (prefix included)."""
    url = f"{base_url.rstrip('/')}/badge/{site_key}.svg"
    return f"{url}?lang={lang}" if lang else url


def badge_snippets(base_url: str, site_key: str, alt: str, lang: str | None = None) -> tuple[str, str]:
    """The badge as HTML and as Markdown: the image of the count, a link to the site's sign-on page."""
    link, image = widget_url(base_url, site_key, lang), badge_url(base_url, site_key, lang)
    html = f'<a href="{escape(link)}"><img src="{escape(image)}" alt="{escape(alt)}"></a>'
    markdown_alt = "".join("\\" + char if char in "\\[]" else char for char in " ".join(alt.split()))
    return html, f"[![{markdown_alt}]({image})]({link})"
