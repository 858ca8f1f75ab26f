"""What several command groups share: the service's public address and errors about sites."""
from __future__ import annotations

import getpass
import json
import os
from typing import Any, Sequence

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


def echo_rows(rows: list[dict[str, Any]], columns: Sequence[tuple[str, str]], as_json: bool, empty: str) -> None:
    """Print ``rows`` as a JSON array (every key), or as tab-separated ``columns`` (header, key) under a
    header line, each cell on one line (a new line typed into a form must not break the table); ``empty``
    when there is nothing to show."""
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo(empty)
        return
    click.echo("\t".join(header for header, _key in columns))
    for row in rows:
        click.echo("\t".join(" ".join(str(row.get(key) or "").split()) for _header, key in columns))
