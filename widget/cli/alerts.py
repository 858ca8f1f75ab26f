"""``pledge-widget alerts ...``: surge alerts (sign-ons from one client, domain or site far above their usual rate)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import alerts
from ..moments import iso_moment
from .common import echo_rows


@click.group("alerts", help="Surge alerts: sign-ons from one client, domain or site far above their usual rate.")
def alerts_group() -> None:
    pass


def _rows(found: list[alerts.Alert]) -> list[dict]:
    return [{"id": a.id, "kind": a.kind, "value": a.value, "count": a.count, "usual": round(a.usual, 2),
             "since": iso_moment(a.since), "raised_at": iso_moment(a.raised_at)} for a in found]


COLUMNS = [("id", "id"), ("kind", "kind"), ("value", "value"), ("sign-ons in the hour", "count"),
           ("usual an hour", "usual"), ("since", "since")]


@alerts_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def alerts_check(as_json: bool) -> None:
    """Look at the last hour now (the mail senders do every 5 minutes): raise and mail the alerts it calls for
    (each once a day at most per client, domain or site) and print them."""
    echo_rows(_rows(alerts.check()), COLUMNS, as_json, "no new alert")


@alerts_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def alerts_list(as_json: bool) -> None:
    """The alerts of the last day, the newest first."""
    echo_rows(_rows(alerts.recent()), COLUMNS, as_json, "no alert in the last day")
