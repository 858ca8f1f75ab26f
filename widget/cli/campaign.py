"""``pledge-widget campaign ...``: every campaign's life (list, pause, resume, close, extend) and its TOML."""
from __future__ import annotations

import dataclasses
from typing import Callable

import click
from flask.cli import with_appcontext

from .. import campaign_actions
from ..appstate import state
from ..campaign_actions import CampaignActionError, LifeChange
from ..campaign_toml import campaign_texts, export_campaign
from ..i18n import speaking
from ..moments import MomentError, iso_moment, parse_moment
from ..store.sql import TOTAL
from .common import cli_actor, echo_rows


@click.group("campaign", help="Campaigns: their status, pausing, closing and extending them, their TOML.")
def campaign() -> None:
    pass


def _rows() -> list[dict]:
    pledge = state()
    totals = {slug: n for slug, key, n in pledge.store.all_counts() if key == TOTAL}
    rows = []
    for slug, found in sorted(pledge.campaigns.items()):
        total = totals.get(slug, 0)
        with speaking(found.default_lang):
            title = found.text("title")
        rows.append({"campaign": slug, "title": title, "source": found.source, "status": found.status(),
                     "opens": iso_moment(found.opens), "closes": iso_moment(found.ended_at() or found.closes),
                     "total": total, "goal": found.goal_for(total), "auto_goal": found.auto_goal,
                     "consent_version": found.consent_version})
    return rows


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def campaign_list(as_json: bool) -> None:
    """Every campaign: where it is written (builtin, file, desk), its status, when it opens and closes,
    its confirmed total and its goal."""
    echo_rows(_rows(), [("campaign", "campaign"), ("source", "source"), ("status", "status"), ("opens", "opens"),
                        ("closes", "closes"), ("total", "total"), ("goal", "goal"), ("title", "title")],
              as_json, "no campaign")


def _act(action: Callable[..., LifeChange], slug: str, *args: object) -> LifeChange:
    try:  # widget.campaign_actions: the desk's code, which records the audit entry
        return action(slug, *args, cli_actor())
    except CampaignActionError as exc:
        if exc.code == "unknown":
            raise click.BadParameter(str(exc), param_hint="SLUG") from None
        if exc.code in ("past", "before_opens"):
            raise click.BadParameter(str(exc), param_hint="--to") from None
        raise click.ClickException(str(exc)) from None


def _report(change: LifeChange, slug: str) -> None:
    closes = iso_moment(change.after.ended_at() or change.after.closes)
    status = change.after.status() + (f" (closes {closes})" if closes else "")
    click.echo(f"{slug}: {status}" if change.changed else f"{slug}: already {status}; nothing changed")


@campaign.command("pause")
@click.argument("slug")
@with_appcontext
def campaign_pause(slug: str) -> None:
    """Stop signing for a while: the widget says it resumes soon; sign-ons are refused (410)."""
    _report(_act(campaign_actions.pause, slug), slug)


@campaign.command("resume")
@click.argument("slug")
@with_appcontext
def campaign_resume(slug: str) -> None:
    """Let a paused campaign be signed again."""
    _report(_act(campaign_actions.resume, slug), slug)


@campaign.command("close")
@click.argument("slug")
@with_appcontext
def campaign_close(slug: str) -> None:
    """Close signing now: the widget shows the final count and thanks; sign-ons are refused (410)."""
    _report(_act(campaign_actions.close, slug), slug)


@campaign.command("extend")
@click.argument("slug")
@click.option("--to", "to", required=True, metavar="DATETIME",
              help="When signing closes now: ISO 8601, e.g. 2027-06-30T18:00:00Z (no offset: UTC).")
@with_appcontext
def campaign_extend(slug: str, to: str) -> None:
    """Set when signing closes to a moment to come; a closed campaign opens again until then."""
    try:
        moment = parse_moment(to)
    except MomentError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    _report(_act(campaign_actions.extend, slug, moment), slug)


@campaign.command("export")
@click.argument("slug")
@with_appcontext
def campaign_export(slug: str) -> None:
    """Write a campaign as a campaigns file's TOML to standard output (the file's, the built-in one's with
    each catalogue's texts, or one written in the desk), with the closing time in force."""
    campaigns = state().campaigns
    if slug not in campaigns:
        raise click.BadParameter(f"no campaign {slug!r}; known: {', '.join(sorted(campaigns))}", param_hint="SLUG")
    found = campaigns[slug]
    ended = found.ended_at()
    if ended is not None and (found.opens is None or ended > found.opens):
        found = dataclasses.replace(found, closes=ended)  # closed by hand: it stays closed where it is loaded
    click.echo(f"# {slug}: {found.source} campaign, {found.status()} when exported")
    click.echo(export_campaign(found, campaign_texts(found, speaking)), nl=False)
