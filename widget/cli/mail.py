"""``pledge-widget mail ...``: the outbox: deliver it, see how it goes, retry what failed for good."""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import actions
from ..appstate import state
from ..mail.bounces import OUTCOMES, VERP, from_maildir, from_mbox, from_stream, read_reports
from ..mail.dkim import load_signer
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


@mail.command("bounces")
@click.option("--maildir", type=click.Path(exists=True, file_okay=False), help="Read the Maildir's unread messages.")
@click.option("--mbox", type=click.Path(exists=True, dir_okay=False), help="Read every message of an mbox file.")
@click.argument("stdin", required=False, metavar="[-]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def mail_bounces(maildir: str | None, mbox: str | None, stdin: str | None, as_json: bool) -> None:
    """Read delivery status notifications (bounces) sent back to PLEDGE_BOUNCE_ADDRESS: from a Maildir (its
    unread messages, marked read), an mbox, or one message on standard input (`-`, for an MTA's pipe)."""
    if stdin not in (None, "-"):
        raise click.UsageError(f"unexpected argument {stdin!r}: give --maildir PATH, --mbox PATH or -")
    if [maildir is not None, mbox is not None, stdin == "-"].count(True) != 1:
        raise click.UsageError("give one of --maildir PATH, --mbox PATH or - (one message on standard input)")
    pattern = current_app.config["PLEDGE_BOUNCE_ADDRESS"]
    if not pattern:
        raise click.ClickException("PLEDGE_BOUNCE_ADDRESS is not set: no e-mail says where its bounces go, so no "
                                   "bounce can be traced back to it (see docs/configuration.md)")
    verp = VERP(pattern, state().tokens.keys)
    if maildir is not None:
        messages = from_maildir(maildir)
    elif mbox is not None:
        messages = from_mbox(mbox)
    else:
        messages = from_stream(sys.stdin.buffer)
    try:
        summary, _reports = read_reports(messages, verp, state().store, os.environ)
    except state().store.Unavailable as exc:
        # 75 (EX_TEMPFAIL): an MTA piping a message keeps it and tries again later, rather than losing it.
        click.echo(f"the database is out of reach ({exc}): nothing was recorded; try again later", err=True)
        sys.exit(75)
    counts = {outcome: summary.counts.get(outcome, 0) for outcome in OUTCOMES}
    if as_json:
        echo_json({"read": summary.read, **counts})
        return
    click.echo(f"read {summary.read} message(s): {counts['hard']} hard bounce(s) (mail to those addresses stopped), "
               f"{counts['soft']} soft, {counts['repeat']} read before, {counts['unknown']} about e-mails no longer "
               f"kept, {counts['unverified']} without a valid bounce address, {counts['ignored']} not a delivery "
               "report (ignored)")


@mail.command("dkim-record")
@with_appcontext
def mail_dkim_record() -> None:
    """Print the DNS TXT record that receivers check the DKIM signatures against (PLEDGE_DKIM_*)."""
    config = current_app.config
    signer = load_signer(config["PLEDGE_DKIM_KEY_FILE"], config["PLEDGE_DKIM_SELECTOR"], config["PLEDGE_DKIM_DOMAIN"])
    if signer is None:
        raise click.ClickException("DKIM signing is off: set PLEDGE_DKIM_KEY_FILE, PLEDGE_DKIM_SELECTOR and "
                                   "PLEDGE_DKIM_DOMAIN")
    click.echo(signer.zone_line())
