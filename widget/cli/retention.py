"""``pledge-widget retention ...``: contact details erased PLEDGE_RETAIN_CONTACT_DAYS after a campaign's close."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import retention
from ..appstate import state
from .common import cli_actor, echo_rows


@click.group("retention", help="Contact details kept PLEDGE_RETAIN_CONTACT_DAYS after a campaign's close.")
def retention_group() -> None:
    pass


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


@retention_group.command("apply")
@click.option("--dry-run", is_flag=True, help="Say what would be erased, erase nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def retention_apply(dry_run: bool, as_json: bool) -> None:
    """Erase the names, addresses and commitment texts of the sign-ons of every campaign closed more than
    PLEDGE_RETAIN_CONTACT_DAYS days ago; counts, public entries and the audit log stay. Lists every closed
    campaign with when its details go."""
    days = retention.retain_days(current_app.config["PLEDGE_RETAIN_CONTACT_DAYS"])
    if days is None:
        click.echo("PLEDGE_RETAIN_CONTACT_DAYS is never: contact details are kept, nothing is erased", err=True)
    pledge = state()
    found = retention.apply(pledge.store, pledge.campaigns, days, cli_actor(), dry_run=dry_run)
    rows = [{"campaign": due.campaign, "closed_at": _day(due.closed_at), "erase_at": _day(due.erase_at),
             "signons": due.signons, "erased": due.erased} for due in found]
    echo_rows(rows, [("campaign", "campaign"), ("closed at", "closed_at"), ("erased from", "erase_at"),
                     ("sign-ons", "signons"), ("erased now", "erased")], as_json, "no closed campaign")
    if not as_json and dry_run:
        click.echo("dry run: nothing was erased", err=True)
