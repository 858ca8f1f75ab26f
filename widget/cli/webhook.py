"""``pledge-widget webhook ...``: the operator's webhook endpoints, per campaign or per site."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from ..addresses import InvalidAddress, normalise_email
from ..appstate import state
from ..webhooks import TooManyWebhooks, WebhookURLError, register
from .common import echo_rows, existing_site, shown


@click.group("webhook", help="Webhooks: each confirmed or withdrawn sign-on POSTed, signed, to a CRM.")
def webhook() -> None:
    pass


def _when(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


@webhook.command("add")
@click.option("--campaign", help="Deliver the events of every site of this campaign.")
@click.option("--site", "site_key", help="Deliver the events of this site only.")
@click.option("--url", required=True, help="The receiver's https:// URL.")
@click.option("--email", help="Who is mailed if the endpoint is switched off (default: the site's owner).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: id and secret.")
@with_appcontext
def webhook_add(campaign: str | None, site_key: str | None, url: str, email: str | None, as_json: bool) -> None:
    """Register an endpoint; print its id and its secret (shown this once)."""
    if (campaign is None) == (site_key is None):
        raise click.UsageError("give either --campaign SLUG or --site KEY")
    pledge = state()
    if campaign is not None and campaign not in pledge.campaigns:
        raise click.BadParameter(f"unknown campaign {campaign!r}; known: {sorted(pledge.campaigns)}",
                                 param_hint="--campaign")
    if site_key is not None:
        site_key = existing_site(site_key, "--site").key
    if email is not None:
        try:
            email = normalise_email(email)
        except InvalidAddress as exc:
            raise click.BadParameter(f"{email!r}: {exc}", param_hint="--email") from None
    try:
        endpoint, secret = register(pledge.store, url, current_app.config["PLEDGE_WEBHOOKS_ALLOW_PRIVATE"],
                                    campaign=campaign, site_key=site_key, owner_email=email)
    except WebhookURLError as exc:
        raise click.BadParameter(f"{url!r}: {exc}", param_hint="--url") from None
    except TooManyWebhooks as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"id": endpoint.id, "secret": secret, "target": endpoint.target, "url": url}))
        return
    click.echo(f"webhook {endpoint.id} for {endpoint.target}: {shown(url)}")
    click.echo(f"secret (shown once, give it to the receiver to verify signatures): {secret}")


@webhook.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def webhook_list(as_json: bool) -> None:
    """Every endpoint: id, target, URL, status (active, or disabled and why), failing since, last delivery."""
    store = state().store
    rows = []
    for endpoint in store.list_webhooks():
        last = store.last_webhook_status(endpoint.id)
        rows.append({
            "id": endpoint.id, "target": endpoint.target, "url": endpoint.url,
            "status": "disabled" if endpoint.disabled_at else "active",
            "disabled_reason": endpoint.disabled_reason, "disabled_at": _when(endpoint.disabled_at),
            "failing_since": _when(endpoint.failing_since), "owner_email": endpoint.owner_email,
            "last_delivery": last,
            "last": "" if last is None else ("delivered" if last["delivered"] else "failed")
            + (f" {last['status']}" if last["status"] else "") + (f": {last['error']}" if last["error"] else ""),
        })
    if as_json:
        for row in rows:
            del row["last"]
    echo_rows(rows, [("id", "id"), ("target", "target"), ("url", "url"), ("status", "status"),
                     ("reason", "disabled_reason"), ("failing since", "failing_since"), ("last delivery", "last")],
              as_json, "no webhooks")


@webhook.command("remove")
@click.argument("endpoint_id", metavar="ID", type=int)
@with_appcontext
def webhook_remove(endpoint_id: int) -> None:
    """Delete an endpoint and its queued deliveries."""
    if not state().store.remove_webhook(endpoint_id):
        raise click.ClickException(f"no webhook with the id {endpoint_id}")
    click.echo(f"removed webhook {endpoint_id}")
