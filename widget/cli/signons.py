"""``pledge-widget signons ...``: invalidating the sign-ons of a fraudulent surge, and restoring them."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import invalidation
from ..moments import iso_moment
from .common import cli_actor, echo_json, echo_rows, shown


@click.group("signons", help="Sign-ons in bulk: invalidate those of a surge (out of every count), restore them.")
def signons() -> None:
    pass


def _echo(summary: dict, as_json: bool, text: str) -> None:
    if as_json:
        echo_json(summary)
        return
    click.echo(text)
    for status, n in summary["by_status"].items():
        click.echo(f"  {status}\t{n}")


@signons.command("invalidate")
@click.option("--domain", help="Sign-ons of addresses at this domain or below it.")
@click.option("--site", "site_key", help="Sign-ons through this site.")
@click.option("--ip", help="Sign-ons from this client's IP address (or the hash an alert names).")
@click.option("--since", help="Made at or after this moment (ISO 8601; UTC unless an offset is given).")
@click.option("--until", help="Made before this moment (ISO 8601).")
@click.option("--reason", required=True, help="Why: kept with the batch and in the audit log.")
@click.option("--dry-run", is_flag=True, help="Only say how many sign-ons it would take.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def signons_invalidate(domain: str | None, site_key: str | None, ip: str | None, since: str | None,
                       until: str | None, reason: str, dry_run: bool, as_json: bool) -> None:
    """Take the confirmed, pending and held sign-ons of a domain, a site or a client (within --since/--until)
    out of every count, as one batch (never all sign-ons: one of --domain, --site, --ip is required). They stay
    stored with the batch id and the reason, are never mailed, and come back with `signons restore --batch`."""
    try:
        where = invalidation.make_filter(domain, site_key, ip, since, until)
        result = invalidation.invalidate(where, reason, cli_actor(), dry_run=dry_run)
    except invalidation.BadFilter as exc:
        raise click.UsageError(str(exc)) from None
    summary = dict(invalidation.summary(result), dry_run=dry_run, filter=invalidation.describe(where),
                   reason=reason.strip())
    if dry_run:
        text = f"would invalidate {result.size} sign-on(s) (dry run: nothing changed)"
    elif result.batch is None:
        text = "no sign-on matches: nothing changed"
    else:
        text = f"invalidated {result.size} sign-on(s): batch {result.batch} (undo: signons restore --batch {result.batch})"
    _echo(summary, as_json, text)


@signons.command("restore")
@click.option("--batch", required=True, help="The batch id `signons invalidate` printed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def signons_restore(batch: str, as_json: bool) -> None:
    """Put back the sign-ons of an invalidation batch and count them again. One whose mailbox signed the
    campaign meanwhile stays out (named). Exit 1 for no such batch or one restored already."""
    result = invalidation.restore(batch, cli_actor())
    if result is None:
        raise click.ClickException(f"no invalidation batch {shown(batch)} waiting to be restored (see `signons batches`)")
    _echo(invalidation.summary(result), as_json, f"restored {result.size} sign-on(s) of batch {result.batch}")
    for signon_id in [] if as_json else result.skipped:  # JSON: in "skipped"
        click.echo(f"{signon_id}: its mailbox signed meanwhile: stays invalidated", err=True)


@signons.command("batches")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def signons_batches(as_json: bool) -> None:
    """The invalidation batches, the newest first: id, filter, reason, size, when, by whom, restored."""
    rows = [{"batch": b.id, "filter": invalidation.describe(b.filter), "reason": b.reason, "size": b.size,
             "created_at": iso_moment(b.created_at), "created_by": b.created_by,
             "restored_at": iso_moment(b.restored_at), "restored_by": b.restored_by} for b in invalidation.batches()]
    for row in rows:
        row["what"] = " ".join(f"{k}={v}" for k, v in row["filter"].items() if v)
    echo_rows(rows, [("batch", "batch"), ("filter", "what"), ("size", "size"), ("reason", "reason"),
                     ("created", "created_at"), ("restored", "restored_at")], as_json, "no invalidations")
