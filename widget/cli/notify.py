"""``pledge-widget digest``: the hosts' daily digests, for operators who run them from cron.

The mail senders queue them once a day on their own (their housekeeping); this command does the same
at a time of the operator's choosing. Running both, or running it twice, mails each host once a day.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import notifications
from .common import required_public_url


@click.command("digest")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The UTC day to report, YYYY-MM-DD (default: yesterday).")
@with_appcontext
def digest(day: datetime | None) -> None:
    """Queue each host's daily digest (hosts who asked for it): the sign-ons confirmed through its sites
    on the UTC day before. Once per host and day, however often it runs; the mail senders deliver them."""
    base = required_public_url()
    now = datetime.now(timezone.utc) if day is None else day.replace(tzinfo=timezone.utc) + timedelta(days=1)
    with current_app.test_request_context(base_url=base):
        queued = notifications.send_digests(now)
    reported = (now - timedelta(days=1)).date().isoformat()
    click.echo(f"queued {queued} digest(s) for {reported}")
