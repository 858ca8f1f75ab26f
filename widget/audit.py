"""The audit log: who did what to what, when, with the state before and after (JSON).

The log is append-only: the code has no path that changes or removes an entry (no UPDATE or DELETE of
``audit_log`` anywhere: tests/test_admin_auth.py greps the code for one). Actors are an admin's address,
or ``cli:<os user>`` for the command line.

An action that changes the store (:mod:`widget.actions`) does not :func:`record` after its change: a crash
in between would leave the change unrecorded. It hands the store method a function making its entries
(:func:`note`) instead, appended in the change's own transaction (see :mod:`widget.store.admin`).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from .export import csv_cell
from .store.admin import AuditNote

#: Columns of the CSV export, in order.
CSV_COLUMNS = ("id", "at", "actor", "action", "target", "before", "after")


@dataclass(frozen=True)
class Entry:
    """One line of the audit log; ``before`` and ``after`` are what was recorded (dicts), or None."""

    id: int
    at: float
    actor: str
    action: str
    target: str
    before: dict | None
    after: dict | None


def record(store: Any, actor: str, action: str, target: str, before: dict | None, after: dict | None) -> None:
    """Append one entry (``action`` such as ``site.approve``; ``target`` what it was done to), in a
    transaction of its own: for what changes nothing in the store, or was committed already (a sign-in)."""
    store.append_audit(actor, action, target, _json(before), _json(after))


def note(actor: str, action: str, target: str, before: dict | None, after: dict | None) -> AuditNote:
    """One entry, for a store method to append in the transaction of the change it records."""
    return AuditNote(actor, action, target, _json(before), _json(after))


def _json(value: dict | None) -> str | None:
    # default=str: dates, sets and the like are written as text rather than refused mid-action.
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


#: An entry's before or after as the desk shows it: the stored text, letters as they are (é, not \u00e9).
as_text = _json


def entries(store: Any, actor: str | None = None, action: str | None = None, since: float | None = None,
            until: float | None = None, limit: int | None = 100, before_id: int | None = None) -> list[Entry]:
    """Entries newest first, filtered by actor, action (exact), and time (``since`` <= at < ``until``);
    ``before_id`` pages on (entries older than that one)."""
    rows = store.audit_entries(actor=actor or None, action=action or None, since=since, until=until, limit=limit,
                               before_id=before_id)
    return [Entry(id, at, actor_, action_, target, _load(before), _load(after))
            for id, at, actor_, action_, target, before, after in rows]


def _load(text: str | None) -> dict | None:
    return None if text is None else json.loads(text)


def actions(store: Any) -> list[str]:
    """Every action name in the log (for the filter's choices)."""
    return store.audit_actions()


def write_csv(items: Iterable[Entry], stream: io.TextIOBase) -> None:
    """The entries as CSV (UTC ISO times, JSON before/after), spreadsheet-safe as every export of ours."""
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for entry in items:
        at = datetime.fromtimestamp(entry.at, tz=timezone.utc).isoformat(timespec="seconds")
        writer.writerow([entry.id, at, *(csv_cell(value) for value in (
            entry.actor, entry.action, entry.target, _json(entry.before) or "", _json(entry.after) or ""))])
