"""``pledge-widget mail ...``: the outbox: deliver it, see how it goes, retry what failed for good."""
from __future__ import annotations

import json
import signal
import threading
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import actions
from ..appstate import state
from .common import cli_actor, echo_json, shown


@click.group("mail", help="The outbox of e-mails.")
def mail() -> None:
    pass


@mail.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@with_appcontext
def mail_worker(once: bool) -> None:
    """Deliver queued e-mail until stopped (SIGINT or SIGTERM)."""
    pledge_state = state()
    if once:
        sent, failed = pledge_state.sender.deliver_due()
        click.echo(f"sent {sent}, failed {failed}")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("mail worker: delivering the outbox (Ctrl+C to stop)", err=True)
    pledge_state.sender.run(stop, current_app.config["PLEDGE_MAIL_POLL_SECONDS"])


@mail.command("status")
@with_appcontext
def mail_status() -> None:
    """How many e-mails are queued, sent, and failed for good."""
    click.echo(json.dumps(state().store.outbox_stats()))


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


@mail.command("failed")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def mail_failed(as_json: bool) -> None:
    """E-mails that failed for good, latest first: id, address, attempts, when (UTC) and the server's answer."""
    rows = [dict(row, failed_at=_when(row["failed_at"])) for row in state().store.failed_mail()]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no failed e-mails")
    for row in rows:
        click.echo(f"{row['id']}\t{shown(row['to'])}\t{row['attempts']}\t{row['failed_at']}\t{shown(row['last_error'] or '')}")


@mail.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Queue every failed e-mail again.")
@with_appcontext
def mail_retry(ids: tuple[int, ...], retry_all: bool) -> None:
    """Put e-mails that failed for good back in the queue, due now (after fixing what made them fail)."""
    if bool(ids) == retry_all:
        raise click.UsageError("give the ids of failed e-mails (see `mail failed`), or --all")
    outcome = actions.retry_mail(None if retry_all else list(ids), cli_actor())
    for mail_id in outcome.skipped:
        click.echo(f"{mail_id}: not a failed e-mail", err=True)
    click.echo(f"queued {len(outcome.done)} e-mail(s) again")
