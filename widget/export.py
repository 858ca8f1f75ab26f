"""Sign-ons as rows for CSV and JSON exports (the CLI and the host dashboard)."""
from __future__ import annotations

import csv
import re
from datetime import datetime, timezone
from typing import IO, Any, Callable, Iterable

from flask_babel import get_locale
from flask_babel import gettext as _

from . import countries
from .campaigns import Campaign
from .forms import LABELS
from .i18n import autonym
from .store import SignOn
from .utm import UTM_FIELDS

COLUMNS = ("id", "campaign", "site_key", "email", "name", "organization", "org_type", "country", "goal",
           "actions", "timetable", "resources", "lang", "created_at", "confirmed_at", "consent_at",
           "consent_version", "source", *UTM_FIELDS)
#: What an access request adds: the optional consents to check-ins and news (their wording's version, or empty)
#: and the progress the signatory reported with its updates (see :func:`progress_cell`).
PERSONAL_COLUMNS = ("checkin_consent", "news_consent", "progress")


def timestamp(value: float | None) -> str | None:
    """A moment as ISO 8601 in UTC (``2026-11-25T09:41:02Z``): readable, sortable, spreadsheet-friendly."""
    if value is None:
        return None
    return datetime.fromtimestamp(value, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def row(signon: SignOn) -> dict[str, Any]:
    """Everything stored about one sign-on, by column name."""
    values: dict[str, Any] = {"id": signon.id, "campaign": signon.campaign, "site_key": signon.site_key,
                              "email": signon.email if signon.has_email else "", "lang": signon.lang,
                              "status": signon.status, "source": signon.source,
                              "created_at": timestamp(signon.created_at),
                              "confirmed_at": timestamp(signon.confirmed_at),
                              "consent_at": timestamp(signon.consent_at), "consent_version": signon.consent_version,
                              "checkin_consent": signon.checkin_consent, "news_consent": signon.news_consent}
    values.update(signon.answers)
    values.update(signon.utm)
    return values


def progress_reports(reports: Iterable[tuple[str, str | None, str | None, float]]) -> list[dict[str, Any]]:
    """A sign-on's progress reports (``SQLStore.reports_of``) as an access request shows them in JSON."""
    return [{"reported_at": timestamp(at), "status": status, "update": update, "moderation": moderation}
            for status, update, moderation, at in reports]


def progress_cell(reports: list[dict[str, Any]]) -> str:
    """The same reports in one CSV cell: one line each, ``2027-05-01T09:00:00Z done: update (approved)``."""
    return "\n".join(f"{r['reported_at']} {r['status']}"
                     + (f": {r['update']} ({r['moderation']})" if r["update"] else "") for r in reports)


#: Where a spreadsheet may begin a cell of its own inside one of ours: at its start, and after whatever list
#: separator it picks (a comma, the semicolon of French or German Excel, a tab, a bar) or a line break (where
#: it does not read our quotes as we meant them), spaces and quotes skipped; then what starts a formula.
FORMULA = re.compile(r"""(^|[,;|\t\r\n])([ "]*)(?=[=+\-@\t\r])""")


def csv_cell(value: Any) -> Any:
    """Neutralise what a spreadsheet would run, whatever its list separator: an apostrophe goes before each
    = + - @ (or tab, carriage return) that could begin a cell (``ACME;=cmd|...`` → ``ACME;'=cmd|...``).
    Numbers are left alone: they stay numbers."""
    if isinstance(value, str):
        return FORMULA.sub(r"\1\2'", value)
    return value


def write_csv(signons: Iterable[SignOn], columns: tuple[str, ...], stream: IO[str],
              more: Callable[[SignOn], dict[str, Any]] | None = None) -> None:
    """Write one header line, then one line per sign-on, every cell neutralised; ``more(signon)``: the values
    of columns not stored in the sign-on's row (an access request's progress)."""
    writer = csv.writer(stream)
    writer.writerow(columns)
    for signon in signons:
        values = row(signon)
        if more is not None:
            values.update(more(signon))
        writer.writerow([csv_cell(values.get(column)) for column in columns])


def host_columns(campaign: Campaign) -> list[tuple[str, Callable[[SignOn], Any]]]:
    """The host's CSV: a header in the host's language and readable values, each code in a column of its
    own for machines. Only what signatories agreed to share with another organisation: their
    organisation, its type and country, and their commitment; their name and e-mail address only when they
    ticked the campaign's separate box that lets the host contact them."""
    def label(name: str) -> str:
        return campaign.text(f"label.{name}") or str(LABELS[name])

    def answer(name: str) -> Callable[[SignOn], Any]:
        return lambda s: s.answers.get(name, "")

    columns: list[tuple[str, Callable[[SignOn], Any]]] = [(_("Sign-on"), lambda s: s.id)]
    for name in campaign.fields:
        if name == "org_type":
            columns.append((label(name), lambda s: campaign.text(f"org_type.{s.answers.get('org_type')}", s.answers.get("org_type", ""))))
            columns.append((_("%(column)s (code)", column=label(name)), answer(name)))
        elif name == "country":
            columns.append((label(name), lambda s: countries.name(s.answers["country"], str(get_locale())) if s.answers.get("country") else ""))
            columns.append((_("%(column)s (code)", column=label(name)), answer(name)))
        elif name in ("organization", "goal", "actions", "timetable", "resources"):
            columns.append((label(name), answer(name)))
    if "contact_consent" in campaign.fields:
        # Contact details only of those who ticked the separate box that lets the host contact them.
        columns.append((label("name"), lambda s: s.answers.get("name", "") if s.contact_consent else ""))
        columns.append((str(LABELS["email"]), lambda s: s.email if s.contact_consent else ""))
        columns.append((_("May be contacted"), lambda s: _("yes") if s.contact_consent else _("no")))
    columns.append((_("Language"), lambda s: autonym(s.lang) if s.lang else ""))
    columns.append((_("Confirmed (UTC)"), lambda s: timestamp(s.confirmed_at)))
    columns.append((_("Paper"), lambda s: _("yes") if s.source == "paper" else _("no")))  # entered from a signed paper
    # Where it came from, in the host's own codes: named as the host wrote them in its links.
    columns.extend((name, lambda s, name=name: s.utm.get(name, "")) for name in UTM_FIELDS)
    return columns


def write_host_csv(signons: Iterable[SignOn], campaign: Campaign, stream: IO[str]) -> None:
    """Write a site's confirmed sign-ons for its host (see :func:`host_columns`), every cell neutralised."""
    columns = host_columns(campaign)
    writer = csv.writer(stream)
    writer.writerow([header for header, _value in columns])
    for signon in signons:
        writer.writerow([csv_cell(value(signon)) for _header, value in columns])
