"""``pledge-widget paper ...``: paper sign-ons that hosts entered, waiting for the operator."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import actions, export
from ..appstate import state
from .common import cli_actor, echo_rows

#: What approving a sign-on did, for the operator.
OUTCOMES = {
    "unknown": "not waiting for approval (unknown, approved or rejected before)",
    "already": "its address has signed the campaign meanwhile: not counted again; reject it",
}


@click.group("paper", help="Paper sign-ons entered by hosts: review, approve (they count) or reject (deleted).")
def paper() -> None:
    pass


@paper.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def paper_list(as_json: bool) -> None:
    """Paper sign-ons waiting for approval, oldest first."""
    rows = [export.row(s) for s in state().store.paper_signons()]
    columns = [("id", "id"), ("site", "site_key"), ("entered", "created_at"), ("organization", "organization"),
               ("country", "country"), ("name", "name"), ("email", "email")]
    echo_rows(rows, columns, as_json, "no paper sign-ons wait for approval")


@paper.command("approve")
@click.argument("ids", nargs=-1)
@click.option("--all", "approve_all", is_flag=True, help="Approve every paper sign-on waiting.")
@with_appcontext
def paper_approve(ids: tuple[str, ...], approve_all: bool) -> None:
    """Approve paper sign-ons: they are confirmed, and counted (site, total and paper) once."""
    if approve_all == bool(ids):
        raise click.UsageError("give the ids of paper sign-ons, or --all")
    outcome = actions.approve_paper(None if approve_all else list(ids), cli_actor())
    for signon_id, why in outcome.skipped.items():
        click.echo(f"{signon_id}: {OUTCOMES[why]}", err=True)
    click.echo(f"approved {len(outcome.done)} paper sign-on(s)")
    if outcome.skipped:
        raise SystemExit(1)


@paper.command("reject")
@click.argument("ids", nargs=-1, required=True)
@with_appcontext
def paper_reject(ids: tuple[str, ...]) -> None:
    """Delete paper sign-ons waiting for approval (they were never counted)."""
    outcome = actions.reject_paper(list(ids), cli_actor())
    for signon_id in outcome.skipped:
        click.echo(f"{signon_id}: {OUTCOMES['unknown']}", err=True)
    click.echo(f"rejected {len(outcome.done)} paper sign-on(s)")
    if outcome.skipped:
        raise SystemExit(1)
