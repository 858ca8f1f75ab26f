"""What several command groups share: the service's public address, errors about sites, and the one way
user data reaches the operator's terminal (:func:`shown`)."""
from __future__ import annotations

import getpass
import json
import os
import unicodedata
from typing import IO, Any, Sequence

import click
from flask import current_app

from ..appstate import state
from ..store import Site

DEFAULT_PORT = 5000


def base_url() -> str:
    """Where snippets point: PLEDGE_PUBLIC_URL, else the development server's address (with a note)."""
    configured = current_app.config.get("PLEDGE_PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    click.echo(
        f"note: PLEDGE_PUBLIC_URL is not set; snippets point at http://127.0.0.1:{DEFAULT_PORT}", err=True
    )
    return f"http://127.0.0.1:{DEFAULT_PORT}" + current_app.config["PLEDGE_URL_PREFIX"]


def required_public_url() -> str:
    """PLEDGE_PUBLIC_URL for a command that mails links: a guessed address would send people dead links."""
    configured = current_app.config.get("PLEDGE_PUBLIC_URL")
    if not configured:
        raise click.ClickException(
            "this command e-mails links: set PLEDGE_PUBLIC_URL to the address where people reach the "
            "service (e.g. https://pledge.example.org), so the links work"
        )
    return configured.rstrip("/")


def cli_actor() -> str:
    """Who runs this command, for the audit log: ``cli:`` and the OS user (the desk records an address)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no such user in the passwords file (a container's numeric uid)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def existing_site(key: str, param_hint: str = "KEY") -> Site:
    """The site with this key, or a usage error naming the key."""
    found = state().store.get_site(key)
    if found is None:
        raise click.BadParameter(f"no site with the key {key!r}", param_hint=param_hint)
    return found


#: Format characters that scripts and emoji need and that move nothing on a terminal: the joiners
#: (Persian, Indic scripts, 👩‍🌾) and the tags of subdivision flags.
KEPT_FORMAT = frozenset("\u200c\u200d") | frozenset(map(chr, range(0xE0020, 0xE0080)))


def _escaped(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # as JSON writes it: a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def shown(value: Any, keep: str = "") -> str:
    """``value`` as text a terminal can show as it is: every character that could move the cursor, rewrite
    the screen or the window's title, or reverse what follows (C0 and C1 controls, so escape sequences;
    bidirectional overrides, isolates and marks; line separators; other invisible format characters) is
    written ``\\u001b``, as JSON would write it (so JSON stays JSON). ``keep``: characters to leave alone
    (the line breaks of an indented JSON or of a CSV). Every command prints people's data through this."""
    return "".join(
        _escaped(char)
        if char not in keep and (unicodedata.category(char) in ("Cc", "Cs", "Co", "Zl", "Zp")
                                 or (unicodedata.category(char) == "Cf" and char not in KEPT_FORMAT))
        else char
        for char in str(value)
    )


def echo_json(value: Any, indent: int | None = None) -> None:
    """Print ``value`` as JSON, every string readable as typed and safe for a terminal (see :func:`shown`)."""
    click.echo(shown(json.dumps(value, ensure_ascii=False, indent=indent), keep="\n"))


class ShownStream:
    """A text stream that writes through :func:`shown` (keeping tabs and line breaks): for a CSV written
    to the terminal."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(shown(text, keep="\t\r\n"))


def echo_rows(rows: list[dict[str, Any]], columns: Sequence[tuple[str, str]], as_json: bool, empty: str) -> None:
    """Print ``rows`` as a JSON array (every key), or as tab-separated ``columns`` (header, key) under a
    header line, each cell on one line (a new line typed into a form must not break the table); ``empty``
    when there is nothing to show. Either way through :func:`shown`."""
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(empty)
        return
    click.echo("\t".join(header for header, _key in columns))
    for row in rows:
        click.echo("\t".join(shown(" ".join(_cell(row.get(key)).split())) for _header, key in columns))


def _cell(value: Any) -> str:
    """A table cell: nothing for a missing value, the value otherwise (a count of 0 is written 0)."""
    return "" if value is None else str(value)
