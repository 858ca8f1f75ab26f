"""The public list of signatories and its moderation (a part of :class:`widget.store.sql.SQLStore`).

An entry of the list is a sign-on that is confirmed, consented to publication and names an organisation.
Its ``list_state`` column says what the operator or the signatory decided about it:

- NULL: nobody decided: listed under ``post`` moderation, waiting under ``pre``;
- ``listed``: approved or shown again by the operator;
- ``pending``: sent back to the queue by the operator;
- ``hidden``: hidden by the operator (with a reason, when and by whom);
- ``left``: the signatory left the list.

Whatever its state, a confirmed sign-on stays counted: the list is what is published, not what counts.
The moderation mode is read when the list is read, so switching ``PLEDGE_LIST_MODERATION`` needs no
migration. Only organisation, type, country and date leave this module for public pages, with a public id
derived from the sign-on's secret id (which is in every confirm and withdraw link).
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

from .admin import Audit

#: The rows that can be on the list at all; the list's partial indexes are built on exactly this.
LISTABLE = "status = 'confirmed' AND consent_at IS NOT NULL AND organization IS NOT NULL"
#: Which states are listed and which wait for the operator, per moderation mode.
SHOWN = {"post": "(list_state IS NULL OR list_state = 'listed')", "pre": "list_state = 'listed'"}
WAITING = {"post": "list_state = 'pending'", "pre": "(list_state IS NULL OR list_state = 'pending')"}
STATES = ("listed", "pending", "hidden", "left")
ENTRY_COLUMNS = ("public_id, organization, org_type, country, confirmed_at, campaign, site_key, list_state, "
                 "list_reason, list_changed_at, list_changed_by, verified_domain")
#: A cursor as :class:`Cursor` writes it (seconds since the epoch, its public id): docs/openapi.yaml says the same.
CURSOR = re.compile(r"[0-9]{1,11}(\.[0-9]{1,20})?_[0-9a-f]{16}")
#: The longest search string considered (a longer one is cut: it would match nothing anyway).
MAX_QUERY = 100


def public_id(signon_id: str) -> str:
    """The id published for a sign-on: a one-way digest of its secret id (which a confirm or withdraw link
    carries), so the list never tells anyone how to act on a sign-on."""
    return hashlib.sha256(f"pledge-widget/public:{signon_id}".encode()).hexdigest()[:16]


def fold(text: str | None) -> str | None:
    """The spelling searches compare: case-folded in Python (SQLite's lower() knows A-Z only)."""
    return text.casefold() if text else None


def clean(text: str) -> str:
    """A search string as it is used: its spaces collapsed, control characters (NUL, which PostgreSQL
    refuses in a string) left out, at most :data:`MAX_QUERY` characters."""
    return " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())[:MAX_QUERY]


def listing_columns(signon_id: str, organization: str | None) -> dict[str, Any]:
    """The list's columns of a new sign-on row (its insert adds them)."""
    return {"public_id": public_id(signon_id), "org_folded": fold(organization)}


@dataclass(frozen=True)
class Entry:
    """One organisation of the list, with its moderation (only the first five fields and ``verified_domain``
    are public)."""

    id: str  # the public id
    organization: str
    org_type: str | None
    country: str | None
    confirmed_at: float
    campaign: str
    site_key: str
    state: str | None  # see the module's docstring
    reason: str | None = None
    changed_at: float | None = None
    changed_by: str | None = None
    #: The registrable domain of its website, when its confirmed address was at it (see widget.domains).
    verified_domain: str | None = None

    def public(self, moderation: str) -> str:
        """``listed``, ``pending``, ``hidden`` or ``left``: what the state means under ``moderation``."""
        return self.state or ("pending" if moderation == "pre" else "listed")


@dataclass(frozen=True)
class Cursor:
    """Where a page of the list starts: just after (older than) this entry."""

    confirmed_at: float
    id: str

    def __str__(self) -> str:
        return f"{self.confirmed_at!r}_{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> "Cursor | None":
        """A cursor from a URL parameter; None for anything else (then the list starts at its newest)."""
        if not CURSOR.fullmatch(text or ""):
            return None
        when, _, entry_id = text.partition("_")
        return cls(float(when), entry_id)


@dataclass(frozen=True)
class Filters:
    """What narrows the list: a campaign or a site, a country, an organisation type, a search string."""

    campaign: str | None = None
    site_key: str | None = None
    country: str | None = None
    org_type: str | None = None
    q: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        for column in ("campaign", "site_key", "country", "org_type"):
            value = getattr(self, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.q and self.q.strip():
            # A substring anywhere in the name: LIKE on the folded name, its wildcards escaped. It walks the
            # list's index newest first and stops once a page is full, so a common word costs one page.
            term = fold(clean(self.q)) or ""
            clauses.append("org_folded LIKE ? ESCAPE '\\'")
            params.append("%" + re.sub(r"([\\%_])", r"\\\1", term) + "%")
        return " AND ".join(clauses), params


class ListingTables:
    """The list's reads and its moderation. Mixed into the store, whose ``query()`` and ``write()`` it uses."""

    query: Any  # provided by the store: (sql, params) -> list of rows
    write: Any  # provided by the store: a write transaction
    _append_audit: Any  # provided by the store: (db, note) -> None
    engine: str  # provided by the store: "sqlite" or "postgresql"

    def _list_table(self, filters: Filters) -> str:
        """``signons``, and on SQLite the list index that serves ``filters``. SQLite's planner, without the
        statistics the service never gathers, prefers (campaign, status, ...) indexes to the partial one
        that holds every column the list reads: a count of 100,000 entries took 170 ms instead of 9."""
        if self.engine != "sqlite":
            return "signons"
        name = next((n for n, value in (("site", filters.site_key), ("country", filters.country),
                                         ("org_type", filters.org_type)) if value), "campaign")
        if name == "campaign" and not filters.campaign:
            return "signons"
        return f"signons INDEXED BY signons_list_{name}"

    def list_entries(self, filters: Filters, moderation: str = "post", after: Cursor | None = None,
                     limit: int = 50) -> tuple[list[Entry], Cursor | None]:
        """One page of the public list, newest first, and the cursor of the next page (None on the last).

        Keyset paging by ``(confirmed_at, public_id)``: page 5,000 is one range of an index, like page 1.
        """
        where, params = filters.where()
        sql = f"SELECT {ENTRY_COLUMNS} FROM {self._list_table(filters)} WHERE {LISTABLE} AND {SHOWN[moderation]}"
        if where:
            sql += " AND " + where
        if after is not None:
            # A row value: both engines read it as the start of a range of the index, not a filter.
            sql += " AND (confirmed_at, public_id) < (?, ?)"
            params += [after.confirmed_at, after.id]
        rows = self.query(sql + " ORDER BY confirmed_at DESC, public_id DESC LIMIT ?", [*params, limit + 1])
        entries = [self._entry(row) for row in rows[:limit]]
        more = len(rows) > limit
        return entries, (Cursor(entries[-1].confirmed_at, entries[-1].id) if more else None)

    def count_entries(self, filters: Filters, moderation: str = "post") -> int:
        """How many entries the list has with these filters."""
        where, params = filters.where()
        sql = f"SELECT COUNT(*) FROM {self._list_table(filters)} WHERE {LISTABLE} AND {SHOWN[moderation]}"
        return self.query(sql + (" AND " + where if where else ""), params)[0][0]

    def waiting_entries(self, moderation: str = "post", campaign: str | None = None) -> list[Entry]:
        """Entries waiting for the operator's approval, oldest first."""
        where, params = Filters(campaign=campaign).where()
        sql = f"SELECT {ENTRY_COLUMNS} FROM signons WHERE {LISTABLE} AND {WAITING[moderation]}"
        rows = self.query(sql + (" AND " + where if where else "") + " ORDER BY confirmed_at, public_id", params)
        return [self._entry(row) for row in rows]

    def get_entry(self, entry_id: str) -> Entry | None:
        """The entry of a public id (or of a sign-on's own id), whatever its state; None if it is not one
        that the list could show (unknown, unconfirmed, without consent or organisation)."""
        rows = self.query(f"SELECT {ENTRY_COLUMNS} FROM signons WHERE {LISTABLE} AND (public_id = ? OR id = ?)",
                          [entry_id, entry_id])
        return self._entry(rows[0]) if rows else None

    def set_list_state(self, entry_id: str, state: str, reason: str | None, actor: str | None,
                       unless: tuple[str, ...] = ("left",), audit: Audit | None = None) -> Entry | None:
        """Give an entry a state (see :data:`STATES`) with the reason and who decided, and return it as it
        now is; None if there is no such entry or its state is one of ``unless`` (a signatory who left is
        never listed again by others). ``audit``, given the entry as it now is, makes the audit entry
        appended in the same transaction."""
        if state not in STATES:
            raise ValueError(f"unknown list state {state!r}")
        kept = "list_state IS NULL OR list_state NOT IN (" + ", ".join("?" * len(unless)) + ")" if unless else "1 = 1"
        with self.write() as db:
            row = db.execute(
                f"UPDATE signons SET list_state = ?, list_reason = ?, list_changed_at = ?, list_changed_by = ? "
                f"WHERE {LISTABLE} AND (public_id = ? OR id = ?) AND ({kept}) RETURNING {ENTRY_COLUMNS}",
                [state, reason, time.time(), actor, entry_id, entry_id, *unless],
            ).fetchone()
            entry = None if row is None else self._entry(row)
            if entry is not None and audit is not None:
                self._append_audit(db, audit(entry))
        return entry

    def hidden_entries(self, limit: int = 50, offset: int = 0) -> tuple[list[Entry], int]:
        """One page of the entries the operator hid, latest hidden first, and how many there are (the desk)."""
        where = f"{LISTABLE} AND list_state = 'hidden'"
        rows = self.query(f"SELECT {ENTRY_COLUMNS} FROM signons WHERE {where} "
                          "ORDER BY list_changed_at DESC, public_id LIMIT ? OFFSET ?", [limit, offset])
        return [self._entry(row) for row in rows], self.query(f"SELECT COUNT(*) FROM signons WHERE {where}")[0][0]

    @staticmethod
    def _entry(row: tuple) -> Entry:
        return Entry(*row)
