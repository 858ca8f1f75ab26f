"""``pledge-widget admin ...``: the operator's staff who use the desk at /admin/."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from ..addresses import normalise_stored
from ..admin import signin
from .common import cli_actor, shown


@click.group("admin", help="The operator's desk (/admin/): its admins' second factor.")
def admin() -> None:
    pass


@admin.command("reset-totp")
@click.argument("email")
@with_appcontext
def reset_totp(email: str) -> None:
    """Forget EMAIL's authenticator app and recovery codes (a lost phone) and end its desk sessions: its
    next sign-in sets up an app again. Recorded in the audit log."""
    if not signin.reset_totp(email, cli_actor(), time.time()):
        raise click.ClickException(f"{shown(normalise_stored(email))} has no authenticator app set up")
    click.echo(f"{shown(normalise_stored(email))}: authenticator and recovery codes forgotten, sessions ended; "
               "the next sign-in sets up an app again")


@admin.command("sign-out")
@click.argument("email")
@with_appcontext
def sign_out(email: str) -> None:
    """End every desk session of EMAIL (a lost or shared computer): the desk's "sign out everywhere else",
    for all of them. Its authenticator stays set up. Recorded in the audit log."""
    ended = signin.end_sessions(email, cli_actor(), time.time())
    click.echo(f"{shown(normalise_stored(email))}: {ended} desk session(s) ended")
