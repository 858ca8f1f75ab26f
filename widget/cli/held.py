"""``pledge-widget held ...``: sign-ons kept aside by the limits."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import actions, export
from ..appstate import state
from .common import cli_actor, echo_rows, required_public_url


@click.group("held", help="Sign-ons kept aside by the limits: review, release or discard them.")
def held() -> None:
    pass


@held.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def held_list(as_json: bool) -> None:
    """Sign-ons kept aside, oldest first, with the limit that held each."""
    rows = [dict(export.row(s), held_reason=s.held_reason) for s in state().store.held_signons()]
    for row in rows:
        row["held_because"] = actions.HELD_REASONS.get(row["held_reason"] or "", row["held_reason"] or "unknown")
    columns = [("id", "id"), ("site", "site_key"), ("email", "email"), ("organization", "organization"),
               ("held because", "held_because")]
    echo_rows(rows, columns, as_json, "no held sign-ons")


@held.command("release")
@click.argument("ids", nargs=-1)
@click.option("--all", "release_all", is_flag=True, help="Release every held sign-on (of --reason, if given).")
@click.option("--reason", type=click.Choice(sorted(actions.HELD_REASONS)), default=None,
              help="With --all: only those held by this limit.")
@with_appcontext
def held_release(ids: tuple[str, ...], release_all: bool, reason: str | None) -> None:
    """Send held sign-ons their confirmation e-mail, as if they had never been held."""
    base = required_public_url()
    chosen = _chosen(ids, release_all, reason)
    with current_app.test_request_context(base_url=base):  # the mails' links are absolute
        outcome = actions.release_held(chosen, cli_actor())
    for signon_id in outcome.skipped:
        click.echo(f"{signon_id}: not held", err=True)
    click.echo(f"released {len(outcome.done)} sign-on(s)")
    if outcome.skipped:
        raise SystemExit(1)


@held.command("discard")
@click.argument("ids", nargs=-1)
@click.option("--all", "discard_all", is_flag=True, help="Discard every held sign-on (of --reason, if given).")
@click.option("--reason", type=click.Choice(sorted(actions.HELD_REASONS)), default=None,
              help="With --all: only those held by this limit.")
@with_appcontext
def held_discard(ids: tuple[str, ...], discard_all: bool, reason: str | None) -> None:
    """Delete held sign-ons without mailing them."""
    outcome = actions.discard_held(_chosen(ids, discard_all, reason, required=True), cli_actor())
    for signon_id in outcome.skipped:
        click.echo(f"{signon_id}: not held", err=True)
    click.echo(f"discarded {len(outcome.done)} sign-on(s)")
    if outcome.skipped:
        raise SystemExit(1)


def _chosen(ids: tuple[str, ...], every: bool, reason: str | None, required: bool = False) -> list[str]:
    """The ids given, or with --all those of every held sign-on (held by ``reason`` if given)."""
    if reason and not every:
        raise click.UsageError("--reason goes with --all")
    if every and ids:
        raise click.UsageError("give the ids of held sign-ons, or --all, not both")
    if required and not every and not ids:
        raise click.UsageError("give the ids of held sign-ons (see `held list`), or --all")
    return [s.id for s in actions.held_signons(reason)] if every else list(ids)
