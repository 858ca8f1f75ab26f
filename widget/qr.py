"""QR codes as inline SVG (segno): posters, letters and the desk's authenticator set-up print them."""
from __future__ import annotations

import re

import segno
from markupsafe import Markup

#: Error correction level "M": a poster gets scuffed, pinned and photographed at an angle.
QR_ERROR = "m"
#: The quiet zone the QR specification asks for, in modules.
QR_BORDER = 4
_STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)
_STYLE_ELEMENT = re.compile(r"<style\b.*?</style\s*>", re.IGNORECASE | re.DOTALL)


def qr_svg(url: str, label: str) -> Markup:
    """``url`` as a QR code in inline SVG (segno), black on white, scaled by CSS; an image named ``label``.

    Our pages' CSP forbids inline styles: segno writes presentation attributes (``fill``, ``stroke``),
    which CSP allows, but any ``style`` attribute is dropped all the same, in case a later segno adds one.
    """
    code = segno.make_qr(url, error=QR_ERROR)
    svg = code.svg_inline(scale=1, border=QR_BORDER, dark="#000", light="#fff", omitsize=True,
                          svgclass="qr", lineclass=None)  # segno's own markup: no text of ours in it
    svg = _STYLE_ELEMENT.sub("", _STYLE_ATTRIBUTE.sub("", svg))
    opening, rest = svg.split(">", 1)
    attributes = opening.removeprefix("<svg")
    return (Markup('<svg role="img" aria-label="%s" focusable="false"') % label + Markup(attributes + ">")
            + Markup("<title>%s</title>") % label + Markup(rest))
