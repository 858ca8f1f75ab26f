"""``pledge-widget checkins``: send the check-ins that are due, and moderate the progress updates.

The mail senders queue due check-ins on their own every ``PLEDGE_CHECKIN_INTERVAL`` seconds; ``send`` does
the same from cron. Each check-in is mailed once however many run at once (the store claims it by a row).
"""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import actions, checkins
from ..appstate import state
from .common import cli_actor, echo_json, echo_rows, required_public_url


@click.group("checkins")
def checkins_group() -> None:
    """Check-ins about the signatories' commitments, and their progress updates."""


@checkins_group.command("send")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def send(as_json: bool) -> None:
    """Queue every check-in due now (to signatories who agreed); the mail senders deliver them."""
    base = required_public_url()
    with current_app.test_request_context(base_url=base):
        queued = checkins.send_checkins(time.time())
    if as_json:
        echo_json({"queued": queued})
    else:
        click.echo(f"queued {queued} check-in(s)")


@checkins_group.command("updates")
@click.option("--state", "moderation", type=click.Choice(["pending", "approved", "rejected"]), default="pending",
              show_default=True, help="Which updates.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def updates(moderation: str, as_json: bool) -> None:
    """The progress updates waiting for moderation (or approved, or rejected), newest first."""
    rows = [{"id": u.id, "campaign": u.campaign, "organization": u.organization, "country": u.country,
             "text": u.text, "reported_at": u.reported_at} for u in state().store.updates(None, moderation, limit=1000)]
    echo_rows(rows, [("id", "id"), ("campaign", "campaign"), ("organization", "organization"), ("text", "text")],
              as_json, f"no {moderation} update")


def _moderate(update_id: int, moderation: str) -> None:
    # widget.actions: the desk's code, which records the audit entry
    if not actions.moderate_update(update_id, moderation, cli_actor()):
        raise click.ClickException(f"no update {update_id}")
    click.echo(f"update {update_id} {moderation}")


@checkins_group.command("approve")
@click.argument("update_id", type=int)
@with_appcontext
def approve(update_id: int) -> None:
    """Show an update on the campaign's public progress page."""
    _moderate(update_id, "approved")


@checkins_group.command("reject")
@click.argument("update_id", type=int)
@with_appcontext
def reject(update_id: int) -> None:
    """Keep an update off the public progress page."""
    _moderate(update_id, "rejected")
