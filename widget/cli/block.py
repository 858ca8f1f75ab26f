"""``pledge-widget block ...``: the block lists (domains, mailboxes, clients) whose sign-ons are held quietly."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask.cli import with_appcontext

from .. import blocking
from .common import cli_actor, echo_json, echo_rows, shown


@click.group("block", help="Block lists: sign-ons from a blocked domain, address or IP are held quietly.")
def block() -> None:
    pass


def _row(found: blocking.Block) -> dict:
    return {"id": found.id, "kind": found.kind, "value": found.value, "reason": found.reason,
            "created_at": datetime.fromtimestamp(found.created_at, timezone.utc).isoformat(timespec="seconds"),
            "created_by": found.created_by}


@block.command("add")
@click.option("--domain", help="A domain (its subdomains too), e.g. example.org.")
@click.option("--email", help="An address: its mailbox (J.Doe+x@gmail.com is jdoe@gmail.com).")
@click.option("--ip", help="A client's IP address (kept as its keyed hash), or the hash an alert names.")
@click.option("--reason", required=True, help="Why: kept with the block and in the audit log.")
@click.option("--json", "as_json", is_flag=True, help="Print the block as JSON.")
@with_appcontext
def block_add(domain: str | None, email: str | None, ip: str | None, reason: str, as_json: bool) -> None:
    """Block a domain, an address or an IP: their next sign-ons get the usual answer, are held, never mailed and
    never counted (sign-ons made before stay: see `signons invalidate`)."""
    given = [(kind, value) for kind, value in (("domain", domain), ("email", email), ("ip", ip)) if value is not None]
    if len(given) != 1:
        raise click.UsageError("give one of --domain, --email or --ip")
    kind, value = given[0]
    try:
        found, added = blocking.add(kind, value, reason, cli_actor())
    except blocking.BadBlock as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{kind}" if "reason" not in str(exc) else "--reason") from None
    if as_json:
        echo_json(dict(_row(found), added=added))
    elif added:
        click.echo(f"block {found.id}: {found.kind} {shown(found.value)}")
    else:
        click.echo(f"already blocked (block {found.id}): {found.kind} {shown(found.value)}")


@block.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def block_list(as_json: bool) -> None:
    """Every block, the newest first: id, kind, value (an IP as its hash), reason, when and by whom."""
    rows = [_row(found) for found in blocking.blocks()]
    echo_rows(rows, [("id", "id"), ("kind", "kind"), ("value", "value"), ("reason", "reason"),
                     ("created", "created_at"), ("by", "created_by")], as_json, "no blocks")


@block.command("remove")
@click.argument("block_id", type=int, metavar="ID")
@with_appcontext
def block_remove(block_id: int) -> None:
    """Lift a block (its held sign-ons stay held: `held release` or `held discard` them)."""
    found = blocking.remove(block_id, cli_actor())
    if found is None:
        raise click.ClickException(f"no block {block_id} (see `block list`)")
    click.echo(f"removed block {found.id}: {found.kind} {shown(found.value)}")
