"""Sign-ons as rows for CSV and JSON exports (the CLI and the host dashboard)."""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from typing import IO, Any, Iterable

from .store import SignOn

COLUMNS = ("id", "campaign", "site_key", "email", "name", "organization", "org_type", "country", "goal",
           "actions", "timetable", "resources", "lang", "created_at", "confirmed_at", "consent_at",
           "consent_version")


def timestamp(value: float | None) -> str | None:
    """A moment as ISO 8601 in UTC (``2026-11-25T09:41:02Z``): readable, sortable, spreadsheet-friendly."""
    if value is None:
        return None
    return datetime.fromtimestamp(value, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def row(signon: SignOn) -> dict[str, Any]:
    """Everything stored about one sign-on, by column name."""
    values: dict[str, Any] = {"id": signon.id, "campaign": signon.campaign, "site_key": signon.site_key,
                              "email": signon.email, "lang": signon.lang, "status": signon.status,
                              "created_at": timestamp(signon.created_at),
                              "confirmed_at": timestamp(signon.confirmed_at),
                              "consent_at": timestamp(signon.consent_at), "consent_version": signon.consent_version}
    values.update(signon.answers)
    return values


def csv_cell(value: Any) -> Any:
    """Neutralise what a spreadsheet would run: a cell starting with = + - @ (or a tab / carriage return)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(signons: Iterable[SignOn], columns: tuple[str, ...], stream: IO[str]) -> None:
    """Write one header line, then one line per sign-on, every cell neutralised."""
    writer = csv.writer(stream)
    writer.writerow(columns)
    for signon in signons:
        values = row(signon)
        writer.writerow([csv_cell(values.get(column)) for column in columns])
