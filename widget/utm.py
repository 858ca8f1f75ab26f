"""Where a sign-on came from, in the hosts' own campaign codes: ``utm_source``, ``utm_medium`` and
``utm_campaign``.

The loader takes them from the snippet (``data-utm-source``...) and from the host page's own address
(``?utm_source=...``, which wins), and puts them in the widget frame's fragment beside the page's address:
the server never sees them on a GET (one cached widget page serves every page), the widget's form sends
them with a sign-on. They are a host's labels, not a visitor's words: short, printable, or not kept.
"""
from __future__ import annotations

import unicodedata
from typing import Mapping

#: The codes kept with a sign-on, as the form, the CSV and the webhook ``data`` name them.
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
#: The longest code kept: a longer one is dropped (never cut: a cut code would count as another source).
UTM_MAX = 64
#: A source with fewer confirmed signatures than this shows on the dashboard among "other sources", so
#: that no figure there points at one organisation.
MIN_SHOWN = 3


def utm_value(value: object) -> str | None:
    """A code as given (spaces around it trimmed), or None: empty, over :data:`UTM_MAX` characters, or with a
    control or format character (a line break, a bidirectional override...)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > UTM_MAX:
        return None
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") for char in value):
        return None
    return value


def utm_values(values: Mapping[str, str]) -> dict[str, str]:
    """The valid codes among ``values`` (a form), by field name; the others left out."""
    kept = {name: utm_value(values.get(name)) for name in UTM_FIELDS}
    return {name: value for name, value in kept.items() if value}


def by_source(rows: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], int, int]:
    """The dashboard's signatures per source, from ``(utm_source, count)`` rows ("" for none):
    ``(sources shown, largest first; "other sources"; without a source)``. A source with fewer than
    :data:`MIN_SHOWN` joins "other sources"."""
    shown = [(source, n) for source, n in rows if source and n >= MIN_SHOWN]
    other = sum(n for source, n in rows if source and n < MIN_SHOWN)
    untagged = sum(n for source, n in rows if not source)
    return sorted(shown, key=lambda row: (-row[1], row[0])), other, untagged


def share_query(channel: str) -> dict[str, str]:
    """What a share link adds to the address it shares: the source ``share`` and its channel."""
    return {"utm_source": "share", "utm_medium": channel}
