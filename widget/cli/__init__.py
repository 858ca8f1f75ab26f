"""The command line: ``flask pledge ...`` inside a host app, ``pledge-widget ...`` standalone."""
from __future__ import annotations

import json
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import export
from ..addresses import normalise_stored
from ..appstate import state
from ..origins import normalise_origin
from ..store import DEMO_SITE_KEY
from .common import DEFAULT_PORT, ShownStream, echo_json, existing_site, shown
from .admin import admin
from .alerts import alerts_group
from .block import block
from .campaign import campaign
from .db import db
from .held import held
from .host import host
from .listing import list_group
from .notify import digest
from .checkins import checkins_group
from .mail import mail
from .ledger import log_group
from .paper import paper
from .retention import retention_group
from .signons import signons
from .site import site
from .webhook import webhook


@click.group("pledge", help="Manage the pledge widget: host sites, counts, the outbox.")
def pledge() -> None:
    pass


pledge.add_command(site)
pledge.add_command(admin)
pledge.add_command(db)
pledge.add_command(held)
pledge.add_command(host)
pledge.add_command(digest)
pledge.add_command(mail)
pledge.add_command(paper)
pledge.add_command(webhook)
pledge.add_command(list_group)
pledge.add_command(campaign)
pledge.add_command(retention_group)
pledge.add_command(checkins_group)
pledge.add_command(block)
pledge.add_command(signons)
pledge.add_command(alerts_group)
pledge.add_command(log_group)


@pledge.command("counts")
@click.option("--site", "site_key", default=None, help="Only this site.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def counts(site_key: str | None, as_json: bool) -> None:
    """Confirmed sign-ons per site and per campaign."""
    pledge_state = state()
    if site_key:
        found = existing_site(site_key, "--site")
        c = pledge_state.store.counts(found.campaign, found.key)
        rows = [{"campaign": found.campaign, "site": found.key, "confirmed": c.site, "total": c.total}]
    else:
        rows = [
            {"campaign": campaign, "site": key or None, "confirmed": n}
            for campaign, key, n in pledge_state.store.all_counts()
        ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    click.echo("campaign\tsite\tconfirmed")
    for row in rows:
        click.echo(f"{row['campaign']}\t{row['site'] or '(total)'}\t{row['confirmed']}")


@pledge.command("recount")
@click.option("--fix", is_flag=True, help="Set every counter that drifted to the number of rows.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def recount(fix: bool, as_json: bool) -> None:
    """Compare every counter (confirmed, and paper) with the sign-ons it counts, and each campaign's total
    with its count log; report the drift, and fix the counters with --fix (the log is never changed). Exits 1
    when a counter drifted and --fix was not given, or a total differs from its log."""
    store = state().store
    drift = store.fix_counts() if fix else store.recount()
    rows = [{"campaign": c, "site": s or None, "counter": counter, "rows": n} for c, s, counter, n in drift]
    if as_json:
        click.echo(json.dumps(rows))
    elif not rows:
        click.echo("every counter equals its rows", err=True)
    else:
        click.echo("campaign\tsite\tcounter\trows")
        for row in rows:
            click.echo(f"{row['campaign']}\t{row['site'] or '(total)'}\t{row['counter']}\t{row['rows']}")
        click.echo(f"fixed {len(rows)} counter(s)" if fix else f"{len(rows)} counter(s) drifted: --fix sets them to "
                   "the rows", err=True)
    # The count log is append-only: --fix never touches it, and a counter fixed may then differ from it.
    log_drift = store.recount_log()
    for campaign, counter, logged in log_drift:
        click.echo(f"{campaign}: the total counter says {counter}, the count log {logged} (confirmed - withdrawn - "
                   "invalidated + restored)", err=True)
    for campaign, n in store.duplicates():
        click.echo(f"{campaign}: {n} sign-on(s) confirmed by a mailbox that had signed already (before addresses "
                   "were compared by mailbox): kept, counted once", err=True)
    if (rows and not fix) or log_drift:
        sys.exit(1)


@pledge.command("export")
@click.option("--site", "site_key", default=None, help="Only the sign-ons that came through this site.")
@click.option("--email", default=None, help="Everything stored about one address, whatever its status (access requests).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@with_appcontext
def export_command(site_key: str | None, email: str | None, fmt: str) -> None:
    """Write the confirmed sign-ons (or all of one address's) to standard output."""
    store = state().store
    if site_key:
        existing_site(site_key, "--site")
    if email:
        signons = store.signons_of(email)
        columns = ("status", *export.COLUMNS, *export.PERSONAL_COLUMNS)
        reports = store.reports_of([s.id for s in signons])
    else:
        signons = list(store.confirmed_signons(site_key))
        columns = export.COLUMNS
        reports = {}
    if fmt == "json":
        rows = [{column: export.row(s).get(column) for column in columns} for s in signons]
        if email:  # what the signatory reported of their commitment, updates included, is theirs too
            for row, signon in zip(rows, signons):
                row["progress"] = export.progress_reports(reports.get(signon.id, []))
        echo_json(rows, indent=1)
        return
    export.write_csv(signons, columns, ShownStream(sys.stdout),
                     (lambda s: {"progress": export.progress_cell(export.progress_reports(reports.get(s.id, [])))})
                     if email else None)


@pledge.command("forget")
@click.option("--email", required=True, help="The address to erase.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def forget(email: str, yes: bool) -> None:
    """Erase an address (erasure requests): its sign-ons leave the counts, its e-mails are deleted."""
    address = normalise_stored(email)
    if not yes:
        click.confirm(f"Delete every sign-on and e-mail of {shown(address)}?", abort=True)
    removed = state().store.forget(address)
    click.echo(f"forgot {removed} sign-on(s) of {shown(address)}")


@pledge.command("purge")
@with_appcontext
def purge() -> None:
    """Delete unconfirmed sign-ons older than PLEDGE_PENDING_DAYS."""
    days = current_app.config["PLEDGE_PENDING_DAYS"]
    removed = state().store.purge_pending(time.time() - days * 86400)
    click.echo(f"purged {removed} unconfirmed sign-on(s) older than {days} day(s)")


@pledge.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@with_appcontext
def run(host: str, port: int) -> None:
    """Run the development server; e-mail goes out from the same process."""
    app = current_app._get_current_object()
    pledge_state = state()
    public = app.config.get("PLEDGE_PUBLIC_URL")
    own_origins = sorted({f"http://{host}:{port}", f"http://localhost:{port}", f"http://127.0.0.1:{port}"})
    if public:
        own_origins.insert(0, normalise_origin(public))
    store = pledge_state.store
    if not store.has_sites():
        store.add_site("Demo", own_origins, "demo@localhost", app.config["PLEDGE_DEFAULT_CAMPAIGN"], key=DEMO_SITE_KEY)
        click.echo(f"Created the demo site (key {DEMO_SITE_KEY!r}).", err=True)
    click.echo(f"Data folder: {app.instance_path} (keep and back it up; PLEDGE_DATA_DIR moves it)", err=True)
    click.echo(f"Database: {app.config['PLEDGE_DATABASE']}", err=True)
    if not app.config.get("PLEDGE_SMTP_URL"):
        click.echo("PLEDGE_SMTP_URL is not set: e-mails are printed here.", err=True)
    if not app.config.get("PLEDGE_PRIVACY_URL"):
        click.echo("PLEDGE_PRIVACY_URL is not set: the widget and e-mails link to no privacy notice.", err=True)
    click.echo(f"Pledge widget on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    pledge_state.ensure_sender()
    from werkzeug.serving import run_simple

    # Not app.run(): Flask ignores it inside a CLI command.
    run_simple(host, port, app, threaded=True, use_reloader=False)
