"""``pledge-widget log ...``: the count log's checkpoints, signed on demand, and a log checked from outside."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import checkpoints, ledger, log_check
from ..appstate import state
from .common import echo_json, echo_rows, shown


@click.group("log", help="The count log: each campaign's count changes, hash-chained, with signed checkpoints.")
def log_group() -> None:
    pass


@log_group.command("checkpoint")
@click.option("--campaign", default=None, help="Only this campaign (default: every campaign known or with a log).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def log_checkpoint(campaign: str | None, as_json: bool) -> None:
    """Sign a checkpoint of each campaign's count log now (the senders sign one a day on their own), with
    PLEDGE_LOG_KEY or the key generated into the data folder."""
    pledge = state()
    logged = {slug for slug, _last in pledge.store.count_log_campaigns()}
    if campaign is not None and campaign not in pledge.campaigns and campaign not in logged:
        raise click.BadParameter(f"unknown campaign {campaign!r}", param_hint="--campaign")
    config = current_app.config
    try:
        key = ledger.load_key(config["PLEDGE_LOG_KEY"], current_app.instance_path, config["PLEDGE_DATABASE"])
    except ledger.LogKeyError as exc:
        raise click.ClickException(str(exc)) from None
    slugs = [campaign] if campaign is not None else sorted(set(pledge.campaigns) | logged)
    rows = [checkpoints.sign_checkpoint(pledge.store, key, slug).as_json() for slug in slugs]
    echo_rows(rows, [("campaign", "campaign"), ("size", "size"), ("root", "root"), ("signed at", "signed_at"),
                     ("public key", "public_key")], as_json, "no campaign")


@log_group.command("verify")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def log_verify(url: str, as_json: bool) -> None:
    """Check a campaign's count log from any service, over HTTP: URL is its
    https://.../api/v1/campaigns/<campaign> (or .../log). Replays the hash chain, checks the last
    checkpoint's signature and root, and that the count API's total is confirmed - withdrawn - invalidated +
    restored. Exit 1 naming the first broken entry; 2 when the log could not be read at all."""
    try:
        result = log_check.verify(url)
    except log_check.LogCheckError as exc:
        unread = isinstance(exc, log_check.Unreachable)
        if as_json:
            echo_json({"ok": False, "error": str(exc)})
        else:  # the server's text, made harmless for the terminal
            click.echo(f"{'cannot check the log' if unread else 'the log does not hold'}: {shown(exc)}", err=True)
        sys.exit(2 if unread else 1)
    checkpoint = result.checkpoint
    if as_json:
        echo_json({"ok": True, "campaign": result.campaign, "size": result.size, "total": result.total,
                   "checkpoint": checkpoint.as_json() if checkpoint else None})
        return
    click.echo(f"{shown(result.campaign)}: {_entries(result.size)}, total {result.total}: the hash chain holds and the "
               "count API agrees")
    if checkpoint is None:
        click.echo("no checkpoint was signed yet", err=True)
    else:
        click.echo(f"checkpoint of {_entries(checkpoint.size)} signed {shown(checkpoint.signed_at)} by the key "
                   f"{shown(checkpoint.public_key)}: the signature and its root hold")


def _entries(size: int) -> str:
    return f"{size} entry" if size == 1 else f"{size} entries"
