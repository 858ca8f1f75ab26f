"""``pledge-widget held ...``: sign-ons kept aside by the limits."""
from __future__ import annotations


import click
from flask import current_app
from flask.cli import with_appcontext

from .. import export, signons
from ..extension import state
from .common import echo_rows, required_public_url

#: What each limit's name means, for the operator reviewing held sign-ons.
REASONS = {
    "email_per_day": "address over PLEDGE_LIMIT_EMAIL_PER_DAY",
    "site_per_hour": "site over PLEDGE_LIMIT_SITE_PER_HOUR",
    "ip_per_day": "client over PLEDGE_LIMIT_IP_PER_DAY",
}


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
        row["held_because"] = REASONS.get(row["held_reason"] or "", row["held_reason"] or "unknown")
    columns = [("id", "id"), ("site", "site_key"), ("email", "email"), ("organization", "organization"),
               ("held because", "held_because")]
    echo_rows(rows, columns, as_json, "no held sign-ons")


@held.command("release")
@click.argument("ids", nargs=-1)
@click.option("--all", "release_all", is_flag=True, help="Release every held sign-on.")
@with_appcontext
def held_release(ids: tuple[str, ...], release_all: bool) -> None:
    """Send held sign-ons their confirmation e-mail, as if they had never been held."""
    base = required_public_url()
    chosen = [s.id for s in state().store.held_signons()] if release_all else list(ids)
    with current_app.test_request_context(base_url=base):
        released, unknown = signons.release_held(chosen)
    for signon_id in unknown:
        click.echo(f"{signon_id}: not held", err=True)
    click.echo(f"released {len(released)} sign-on(s)")
    if unknown:
        raise SystemExit(1)


@held.command("discard")
@click.argument("ids", nargs=-1, required=True)
@with_appcontext
def held_discard(ids: tuple[str, ...]) -> None:
    """Delete held sign-ons without mailing them."""
    store = state().store
    unknown = [signon_id for signon_id in ids if not store.discard_held(signon_id)]
    for signon_id in unknown:
        click.echo(f"{signon_id}: not held", err=True)
    click.echo(f"discarded {len(ids) - len(unknown)} sign-on(s)")
    if unknown:
        raise SystemExit(1)
