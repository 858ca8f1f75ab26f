"""``pledge-widget site ...``: the host sites allowed to embed a widget."""
from __future__ import annotations

import json
from typing import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import actions
from ..addresses import InvalidAddress, normalise_email
from ..appstate import state
from ..i18n import LANGUAGES, speaking
from ..origins import site_origin
from ..snippet import snippet
from ..store import Site
from ..text import MAX_MARKS, clean_text, stacked_marks, unsafe_character
from .common import base_url, cli_actor, existing_site, shown


@click.group("site", help="Host sites: the web sites allowed to embed a widget.")
def site() -> None:
    pass


def _origin(value: str) -> str:
    try:
        return site_origin(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--origin") from None


def _name(value: str) -> str:
    """A site's name as people will read it on dashboards: not blank, nothing that breaks a display."""
    name = clean_text(value)
    if not name:
        raise click.BadParameter("the name is blank", param_hint="--name")
    if unsafe_character(name) or stacked_marks(name) or len(name) > 200:
        raise click.BadParameter(f"use at most 200 characters, no control or invisible characters, and at most "
                                 f"{MAX_MARKS} accents or marks on one letter", param_hint="--name")
    return name


def _owner(value: str) -> str:
    """The owner's address, as the host sign-in form will accept and spell it."""
    try:
        return normalise_email(value)
    except InvalidAddress as exc:
        raise click.BadParameter(f"{value!r}: {exc}", param_hint="--email") from None


def _campaign(slug: str | None) -> str:
    slug = slug or current_app.config["PLEDGE_DEFAULT_CAMPAIGN"]
    known = state().campaigns
    if slug not in known:
        raise click.BadParameter(f"unknown campaign {slug!r}; known: {sorted(known)}", param_hint="--campaign")
    return slug


@site.command("add")
@click.option("--name", required=True, help="The site's name, as its host would write it.")
@click.option("--origin", "origins", multiple=True, required=True, help="An origin that may embed the widget (repeatable); * lets any page embed it.")
@click.option("--email", required=True, help="The site owner's e-mail address (for the host dashboard).")
@click.option("--campaign", default=None, help="The campaign's slug (default: PLEDGE_DEFAULT_CAMPAIGN).")
@click.option("--lang", default=None, type=click.Choice(LANGUAGES),
              help="Language of the snippet's link text, which is also the iframe's title (default: the campaign's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def site_add(name: str, origins: tuple[str, ...], email: str, campaign: str | None, lang: str | None,
             as_json: bool) -> None:
    """Register a host site and print its key and embed snippet."""
    name, owner, slug = _name(name), _owner(email), _campaign(campaign)
    new_site = state().store.add_site(name, [_origin(o) for o in origins], owner, slug)
    base = base_url()
    html = _snippet(base, new_site.key, slug, lang)
    if as_json:
        click.echo(json.dumps({**site_json(new_site), "snippet": html, "widget_url": f"{base}/w/{new_site.key}"}))
    else:
        click.echo(f"Site key: {new_site.key}\n\nSnippet for {shown(name)}:\n\n" + shown(html, keep="\n"))


@site.command("edit")
@click.argument("key")
@click.option("--name", default=None, help="A new name.")
@click.option("--origin", "origins", multiple=True, help="The origins that may embed the widget, replacing the old ones (repeatable).")
@click.option("--email", default=None, help="A new owner's e-mail address.")
@click.option("--json", "as_json", is_flag=True, help="Print the site as JSON.")
@with_appcontext
def site_edit(key: str, name: str | None, origins: tuple[str, ...], email: str | None, as_json: bool) -> None:
    """Change a site's name, origins or owner (its key, snippet and counts stay)."""
    existing_site(key)
    if name is None and not origins and email is None:
        raise click.UsageError("nothing to change: give --name, --origin or --email")
    changed = state().store.update_site(
        key,
        name=_name(name) if name is not None else None,
        origins=[_origin(o) for o in origins] if origins else None,
        owner_email=_owner(email) if email is not None else None,
    )
    click.echo(json.dumps(site_json(changed)) if as_json else
               f"changed {key}: {shown(changed.name)}, {shown(' '.join(changed.origins))}")


@site.command("approve")
@click.argument("keys", nargs=-1, required=True)
@with_appcontext
def site_approve(keys: tuple[str, ...]) -> None:
    """Let sites that wait for approval (PLEDGE_HOST_APPROVAL=manual), or that were disabled, show their widget."""
    _set_status(keys, actions.approve_site, "approved")


@site.command("disable")
@click.argument("keys", nargs=-1, required=True)
@with_appcontext
def site_disable(keys: tuple[str, ...]) -> None:
    """Stop sites' widgets (404) without deleting anything; `site approve` undoes it."""
    _set_status(keys, actions.disable_site, "disabled")


def _set_status(keys: tuple[str, ...], action: Callable[[str, str], Site | None], done: str) -> None:
    for key in keys:
        existing_site(key)
    actor = cli_actor()
    for key in keys:
        action(key, actor)  # the desk's code: the audit log records it
        click.echo(f"{done} {key}")


@site.command("remove")
@click.argument("key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def site_remove(key: str, yes: bool) -> None:
    """Remove a site: its widget stops; its confirmed sign-ons stay in the campaign's total."""
    found = existing_site(key)
    if not yes:
        click.confirm(f"Remove {shown(found.name)} ({key})? Its widget stops working on every page.", abort=True)
    state().store.remove_site(key)
    click.echo(f"removed {key}")


def _snippet(base: str, site_key: str, slug: str, lang: str | None = None) -> str:
    campaign = state().campaign(slug)
    # Babel translates within a request only: a throwaway one carries the snippet's language.
    with current_app.test_request_context(), speaking(lang or campaign.default_lang):
        return snippet(base, site_key, campaign.text("title"))


def site_json(s: Site) -> dict:
    return {"key": s.key, "name": s.name, "campaign": s.campaign, "origins": list(s.origins), "email": s.owner_email,
            "status": s.status}


@site.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def site_list(as_json: bool) -> None:
    """List the registered host sites."""
    sites = state().store.list_sites()
    if as_json:
        click.echo(json.dumps([site_json(s) for s in sites]))
        return
    click.echo("key\tcampaign\tstatus\tname\torigins")
    for s in sites:
        click.echo(f"{s.key}\t{s.campaign}\t{s.status}\t{shown(s.name)}\t{shown(' '.join(s.origins))}")
