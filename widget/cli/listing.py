"""``pledge-widget list ...``: moderation of the public list of signatories."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import actions, listing
from ..appstate import state
from ..store.listing import Entry
from .common import cli_actor, echo_rows, shown


@click.group("list", help="The public list of signatories: hide, show, approve entries.")
def list_group() -> None:
    pass


def _done(action, *args: str) -> Entry:
    try:  # widget.actions: the desk's code, which records the audit entry
        return action(*args, cli_actor())
    except listing.ListingError as exc:
        raise click.ClickException(str(exc)) from None


def _describe(entry: Entry) -> str:
    return f"{entry.id} ({shown(entry.organization)}): {entry.public(current_app.config['PLEDGE_LIST_MODERATION'])}"


@list_group.command("hide")
@click.argument("entry_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is hidden (kept for the record).")
@with_appcontext
def list_hide(entry_id: str, reason: str) -> None:
    """Take an entry off the public list (it stays counted)."""
    if not reason.strip():
        raise click.BadParameter("a reason is required to hide an entry", param_hint="--reason")
    click.echo(_describe(_done(actions.hide_entry, entry_id, reason)))


@list_group.command("show")
@click.argument("entry_id", metavar="ID")
@with_appcontext
def list_show(entry_id: str) -> None:
    """Put a hidden entry back on the public list."""
    click.echo(_describe(_done(actions.show_entry, entry_id)))


@list_group.command("approve")
@click.argument("entry_id", metavar="ID")
@with_appcontext
def list_approve(entry_id: str) -> None:
    """List an entry that waits for approval (PLEDGE_LIST_MODERATION=pre)."""
    click.echo(_describe(_done(actions.approve_entry, entry_id)))


@list_group.command("requeue")
@click.argument("entry_id", metavar="ID")
@with_appcontext
def list_requeue(entry_id: str) -> None:
    """Send an entry back to the queue: off the list until `list approve ID` (it stays counted)."""
    click.echo(_describe(_done(actions.requeue_entry, entry_id)))


@list_group.command("pending")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def list_pending(as_json: bool) -> None:
    """Entries waiting for approval, oldest first: id, organisation, type, country, campaign, confirmed."""
    rows = [{"id": e.id, "organization": e.organization, "org_type": e.org_type or "", "country": e.country or "",
             "campaign": e.campaign, "site": e.site_key,
             "confirmed_at": datetime.fromtimestamp(e.confirmed_at, timezone.utc).isoformat(timespec="seconds")}
            for e in state().store.waiting_entries(current_app.config["PLEDGE_LIST_MODERATION"])]
    echo_rows(rows, [("id", "id"), ("organization", "organization"), ("type", "org_type"), ("country", "country"),
                     ("campaign", "campaign"), ("confirmed", "confirmed_at")], as_json, "no entry waits for approval")
