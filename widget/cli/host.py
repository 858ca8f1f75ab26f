"""``pledge-widget host ...``: the organisations that show widgets on their web sites."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..addresses import normalise_stored
from ..export import timestamp
from ..appstate import state
from .common import echo_rows, shown


@click.group("host", help="Hosts: the organisations that show widgets on their web sites.")
def host() -> None:
    pass


@host.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def host_list(as_json: bool) -> None:
    """Every host, oldest first, with its number of sites, whether it is disabled, and the campaign whose
    thank-you page it signed up from ("Put this button on your own website"), if it did."""
    store = state().store
    recruited = store.recruited_hosts()
    rows = [
        {"email": h.email, "sites": n, "created_at": timestamp(h.created_at), "disabled_at": timestamp(h.disabled_at),
         "from_campaign": recruited.get(h.email)}
        for h, n in store.list_hosts()
    ]
    columns = [("email", "email"), ("sites", "sites"), ("since", "created_at"), ("disabled", "disabled_at"),
               ("from sign-on", "from_campaign")]
    echo_rows(rows, columns, as_json, "no hosts")
    if not as_json and recruited:
        click.echo(f"{len(recruited)} host(s) signed up from a sign-on's thank-you page", err=True)


@host.command("disable")
@click.argument("email")
@with_appcontext
def host_disable(email: str) -> None:
    """Stop a host at once: its sessions end, its sites' widgets stop, it gets no more sign-in links."""
    address = normalise_stored(email)
    if not state().store.disable_host(address):
        raise click.BadParameter(f"no enabled host {address!r}", param_hint="EMAIL")
    click.echo(f"disabled {shown(address)}")
