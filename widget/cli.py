"""The command line: ``flask pledge ...`` inside a host app, ``pledge-widget ...`` standalone."""
from __future__ import annotations

import json
import signal
import sys
import threading
import time

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import export
from .extension import state
from .i18n import LANGUAGES
from .origins import normalise_origin
from .snippet import snippet
from .views.front import DEMO_SITE_KEY

DEFAULT_PORT = 5000


@click.group("pledge", help="Manage the pledge widget: host sites, counts, the outbox.")
def pledge() -> None:
    pass


def _base_url() -> str:
    configured = current_app.config.get("PLEDGE_PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    click.echo(
        f"note: PLEDGE_PUBLIC_URL is not set; snippets point at http://127.0.0.1:{DEFAULT_PORT}", err=True
    )
    return f"http://127.0.0.1:{DEFAULT_PORT}" + current_app.config["PLEDGE_URL_PREFIX"]


def _origin(value: str) -> str:
    try:
        return normalise_origin(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--origin") from None


@pledge.group("site", help="Host sites: the web sites allowed to embed a widget.")
def site() -> None:
    pass


@site.command("add")
@click.option("--name", required=True, help="The site's name, as its host would write it.")
@click.option("--origin", "origins", multiple=True, required=True, help="An origin that may embed the widget (repeatable).")
@click.option("--email", required=True, help="The site owner's e-mail address (for the host dashboard).")
@click.option("--campaign", default=None, help="The campaign's slug (default: PLEDGE_DEFAULT_CAMPAIGN).")
@click.option("--lang", default=None, type=click.Choice(LANGUAGES),
              help="Language of the snippet's link text, which is also the iframe's title (default: the campaign's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def site_add(name: str, origins: tuple[str, ...], email: str, campaign: str | None, lang: str | None,
             as_json: bool) -> None:
    """Register a host site and print its key and embed snippet."""
    pledge_state = state()
    slug = campaign or current_app.config["PLEDGE_DEFAULT_CAMPAIGN"]
    if slug not in pledge_state.campaigns:
        raise click.BadParameter(f"unknown campaign {slug!r}; known: {sorted(pledge_state.campaigns)}", param_hint="--campaign")
    if "@" not in email:
        raise click.BadParameter(f"{email!r} is not an e-mail address", param_hint="--email")
    new_site = pledge_state.store.add_site(name.strip(), [_origin(o) for o in origins], email.strip(), slug)
    base = _base_url()
    html = _snippet(base, new_site.key, slug, lang)
    if as_json:
        click.echo(json.dumps({**_site_json(new_site), "snippet": html, "widget_url": f"{base}/w/{new_site.key}"}))
    else:
        click.echo(f"Site key: {new_site.key}\n\nSnippet for {name}:\n\n{html}")


def _snippet(base: str, site_key: str, slug: str, lang: str | None = None) -> str:
    from flask_babel import force_locale

    campaign = state().campaign(slug)
    # Babel translates within a request only: a throwaway one carries the snippet's language.
    with current_app.test_request_context(), force_locale(lang or campaign.default_lang):
        return snippet(base, site_key, campaign.text("title"))


def _site_json(s) -> dict:
    return {"key": s.key, "name": s.name, "campaign": s.campaign, "origins": list(s.origins), "email": s.owner_email}


@site.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def site_list(as_json: bool) -> None:
    """List the registered host sites."""
    sites = state().store.list_sites()
    if as_json:
        click.echo(json.dumps([_site_json(s) for s in sites]))
        return
    click.echo("key\tcampaign\tname\torigins")
    for s in sites:
        click.echo(f"{s.key}\t{s.campaign}\t{s.name}\t{' '.join(s.origins)}")


@pledge.command("counts")
@click.option("--site", "site_key", default=None, help="Only this site.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def counts(site_key: str | None, as_json: bool) -> None:
    """Confirmed sign-ons per site and per campaign."""
    pledge_state = state()
    if site_key:
        found = pledge_state.store.get_site(site_key)
        if found is None:
            raise click.BadParameter(f"no site with the key {site_key!r}", param_hint="--site")
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


@pledge.command("export")
@click.option("--site", "site_key", default=None, help="Only the sign-ons that came through this site.")
@click.option("--email", default=None, help="Everything stored about one address, whatever its status (access requests).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@with_appcontext
def export_command(site_key: str | None, email: str | None, fmt: str) -> None:
    """Write the confirmed sign-ons (or all of one address's) to standard output."""
    store = state().store
    if email:
        signons = store.signons_of(email.strip().lower())
        columns = ("status", *export.COLUMNS)
    else:
        signons = list(store.confirmed_signons(site_key))
        columns = export.COLUMNS
    if fmt == "json":
        rows = [{column: export.row(s).get(column) for column in columns} for s in signons]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    export.write_csv(signons, columns, sys.stdout)


@pledge.command("forget")
@click.option("--email", required=True, help="The address to erase.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def forget(email: str, yes: bool) -> None:
    """Erase an address (erasure requests): its sign-ons leave the counts, its e-mails are deleted."""
    address = email.strip().lower()
    if not yes:
        click.confirm(f"Delete every sign-on and e-mail of {address}?", abort=True)
    removed = state().store.forget(address)
    click.echo(f"forgot {removed} sign-on(s) of {address}")


@pledge.group("held", help="Sign-ons kept aside by the limits: review, release or discard them.")
def held() -> None:
    pass


@held.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def held_list(as_json: bool) -> None:
    """Sign-ons kept aside, oldest first."""
    rows = [export.row(s) for s in state().store.held_signons()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("no held sign-ons")
    for row in rows:
        click.echo(f"{row['id']}\t{row['site_key']}\t{row['email']}\t{row.get('organization', '')}")


@held.command("release")
@click.argument("ids", nargs=-1)
@click.option("--all", "release_all", is_flag=True, help="Release every held sign-on.")
@with_appcontext
def held_release(ids: tuple[str, ...], release_all: bool) -> None:
    """Send held sign-ons their confirmation e-mail, as if they had never been held."""
    from .views.widget import confirmation_mail

    store = state().store
    wanted = {s.id: s for s in store.held_signons()}
    chosen = list(wanted) if release_all else list(ids)
    released = 0
    with current_app.test_request_context(base_url=_base_url()):
        for signon_id in chosen:
            signon = wanted.get(signon_id)
            if signon is None:
                click.echo(f"{signon_id}: not held", err=True)
            elif store.release_held(signon.id, confirmation_mail(signon)):
                released += 1
    click.echo(f"released {released} sign-on(s)")


@held.command("discard")
@click.argument("ids", nargs=-1, required=True)
@with_appcontext
def held_discard(ids: tuple[str, ...]) -> None:
    """Delete held sign-ons without mailing them."""
    store = state().store
    discarded = sum(store.discard_held(signon_id) for signon_id in ids)
    click.echo(f"discarded {discarded} sign-on(s)")


@pledge.group("mail", help="The outbox of e-mails.")
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
    click.echo(f"Database: {app.config['PLEDGE_DATABASE']} (instance folder: {app.instance_path})", err=True)
    if not app.config.get("PLEDGE_SMTP_URL"):
        click.echo("PLEDGE_SMTP_URL is not set: e-mails are printed here.", err=True)
    click.echo(f"Pledge widget on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    pledge_state.ensure_sender()
    from werkzeug.serving import run_simple

    # Not app.run(): Flask ignores it inside a CLI command.
    run_simple(host, port, app, threaded=True, use_reloader=False)


def main() -> None:
    """The ``pledge-widget`` console script."""
    from . import create_app
    from .campaigns import CampaignError

    def make_app():
        try:
            return create_app()
        except CampaignError as exc:  # a message naming the campaign and the problem, not a traceback
            raise click.ClickException(f"PLEDGE_CAMPAIGNS_FILE: {exc}") from None

    cli = ServiceGroup(name="pledge-widget", create_app=make_app, add_default_commands=False,
                     add_version_option=False, load_dotenv=False, set_debug_flag=False,
                     help="The pledge widget service.")
    for command in pledge.commands.values():
        cli.add_command(command)
    # This is our service's command line, not Flask's: no --app/--env-file (the app is ours).
    cli.params = [param for param in cli.params if param.name not in ("app", "env_file")]
    cli.main(prog_name="pledge-widget")


class ServiceGroup(FlaskGroup):
    """Only our own commands: not those other packages plug into ``flask`` (Flask-Limiter's), nor the
    app's ``flask pledge`` group, which would list every command twice."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name)
