"""The widget page rendered once per campaign, language and query, then filled in for each site.

Over thousands of host sites nearly every widget view is a page this process has not kept yet, and most of
its rendering (the form's fields, the campaign's texts, the styles) is the same for every site of a
campaign. So the page is rendered once with stand-ins (markers) for what is a site's own: its key, its name,
its form token, the origin it is framed by, and the parts that show its counts. That rendering, cut at the
markers, is a :class:`Shell`, kept with the pages (see :class:`widget.caching.PageCache`, which forgets both
when a campaign changes). A site's page is the shell with each marker replaced by the site's value, escaped
as the template would have escaped it: the same bytes as a rendering of its own (tests compare them).

Markers carry a random part made at start, so no text of a campaign, site or query can pass for one; each is
made of letters and digits, which HTML escaping and URL quoting leave as they are, except the origin's,
whose ``#`` tells the two places it appears apart: as it is (``data-host-origin``, escaped) and inside the
page's links (URL-quoted, then escaped).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import quote_plus

from flask import current_app
from jinja2 import pass_context
from markupsafe import Markup, escape

from ..campaigns import Campaign
from ..store import Counts
from .blueprint import blueprint

_NONCE = secrets.token_hex(8)


def _marker(name: str) -> str:
    return f"zq{_NONCE}{name}qz"


#: The stand-ins of a site's own values in a shell.
KEY = _marker("key")
NAME = _marker("name")
TOKEN = _marker("token")
ORIGIN = _marker("origin#")
#: The parts of the page that show counts (macros of ``_widget_counts.html``).
COUNT_PARTS = ("progress", "progress_line", "total", "closed")
COUNT_MARKERS = {part: _marker("count" + part.replace("_", "")) for part in COUNT_PARTS}
_COUNT_SLOTS = {marker[len(_NONCE) + 2:-2]: part for part, marker in COUNT_MARKERS.items()}
_SLOT = re.compile(f"zq{_NONCE}([a-z]+(?:#|%23)?)qz")

#: Characters Werkzeug leaves unquoted in a query value (``werkzeug.urls._urlencode``).
QUERY_SAFE = "!$'()*,/:;?@"


@dataclass(frozen=True)
class Shell:
    """A widget page cut at its markers: ``parts`` alternates text and slot names, text first and last."""

    campaign: Campaign
    parts: tuple[str, ...]

    @property
    def slots(self) -> frozenset[str]:
        return frozenset(self.parts[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        """The page with each slot replaced by its value in ``values`` (already escaped)."""
        parts = list(self.parts)
        parts[1::2] = [values[slot] for slot in parts[1::2]]
        return "".join(parts)


def cut(campaign: Campaign, rendered: str) -> Shell:
    """The :class:`Shell` of a page rendered with the markers."""
    return Shell(campaign, tuple(_SLOT.split(rendered)))


def site_values(slots: frozenset[str], key: str, name: str, token: str, origin: str | None,
                count_part: Callable[[str], str]) -> dict[str, str]:
    """The value of each slot for one site, escaped as the template escapes it."""
    values = {"key": str(escape(key)), "name": str(escape(name)), "token": str(escape(token))}
    if origin is not None:
        values["origin#"] = str(escape(origin))
        values["origin%23"] = str(escape(quote_plus(origin, safe=QUERY_SAFE)))
    for slot in slots:
        part = _COUNT_SLOTS.get(slot)
        if part is not None:
            values[slot] = str(count_part(part))
    return values


def render_count_part(part: str, counts: Counts, goal: int | None, show_count: bool, ended_at: float | None,
                      reported: int = 0) -> Markup:
    """One count part of the widget page (a macro of ``_widget_counts.html``), in the current language;
    ``reported``: the organisations that reported progress, where the campaign shows them."""
    macro = getattr(current_app.jinja_env.get_template("_widget_counts.html").module, part)
    if part == "closed":
        return Markup(macro(counts, goal, show_count, ended_at))
    return Markup(macro(counts, goal, show_count, reported))


@blueprint.app_template_global("pledge_count_part")
@pass_context
def _count_part_global(context: Any, part: str) -> Markup:
    """The widget template's count parts: the part itself, or its marker while a shell is rendered."""
    markers = context.get("count_markers")
    if markers:
        return Markup(markers[part])
    return render_count_part(part, context["counts"], context["goal"], context["show_count"], context.get("ended_at"),
                             context.get("reported", 0))
