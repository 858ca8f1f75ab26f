"""Campaigns' life in the database (a part of :class:`widget.store.sql.SQLStore`): the campaigns written in
the desk, the operator's hand on every campaign (paused, closed, extended), and the revision number that
tells each worker when to read them again.

Every change of ``campaigns`` or ``campaign_life`` moves ``campaign_revision`` in its own transaction, and
takes the campaign's lock: on PostgreSQL a sign-on holds that lock shared while it checks that the campaign
is open and inserts, so a pause or a close waits for the sign-ons under way and every later one sees it
(SQLite's single write lock does the same for every write).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable

from .admin import Audit


@dataclass(frozen=True)
class Life:
    """The operator's hand on one campaign, and (for a campaign written in the desk) when it opens and
    closes as written; all None for a campaign nobody touched."""

    paused_at: float | None = None
    closed_at: float | None = None
    #: The closing time ``campaign extend`` set, in force instead of the written one.
    closes: float | None = None
    #: A desk campaign's written opening and closing times (read with the rest, in the same transaction).
    desk: bool = False
    desk_opens: float | None = None
    desk_closes: float | None = None


class CampaignClosed(Exception):
    """Raised inside a sign-on's transaction when its campaign is not open: nothing is written."""


LIFE_COLUMNS = ("paused_at", "closed_at", "closes")
#: One campaign's life and its desk times, read in one statement (a campaign nobody touched has no row).
LIFE_OF = ("SELECT l.paused_at, l.closed_at, l.closes, c.slug, c.opens, c.closes FROM (SELECT CAST(? AS TEXT) AS slug) s "
           "LEFT JOIN campaign_life l ON l.slug = s.slug LEFT JOIN campaigns c ON c.slug = s.slug")


def _life(row: Any) -> Life:
    paused_at, closed_at, closes, desk_slug, desk_opens, desk_closes = row
    return Life(paused_at, closed_at, closes, desk_slug is not None, desk_opens, desk_closes)


class CampaignTables:
    """Mixed into the store, whose ``query()``, ``write()`` and engine words it uses."""

    query: Any
    write: Any
    IntegrityError: type[Exception]
    SHARED_LOCK: str
    _append_audit: Any

    # -- reads ---------------------------------------------------------------------------------------

    def campaign_revision(self) -> int:
        """The number every change of campaigns moves (0 before the first change)."""
        rows = self.query("SELECT revision FROM campaign_revision WHERE id = 1")
        return rows[0][0] if rows else 0

    def desk_campaigns(self) -> dict[str, dict[str, Any]]:
        """``{slug: the campaign's table}`` of every campaign written in the desk."""
        return {slug: json.loads(spec) for slug, spec in self.query("SELECT slug, spec FROM campaigns ORDER BY slug")}

    def desk_campaign_times(self) -> dict[str, tuple[float, float, str]]:
        """``{slug: (created_at, updated_at, updated_by)}`` of the campaigns written in the desk."""
        return {row[0]: tuple(row[1:]) for row in
                self.query("SELECT slug, created_at, updated_at, updated_by FROM campaigns")}

    def campaign_lives(self) -> dict[str, Life]:
        """The operator's hand on every campaign that has felt it."""
        return {row[0]: Life(*row[1:]) for row in
                self.query(f"SELECT slug, {', '.join(LIFE_COLUMNS)} FROM campaign_life")}

    def campaign_life(self, slug: str) -> Life:
        """One campaign's life, read now (not from any worker's copy)."""
        return _life(self.query(LIFE_OF, [slug])[0])

    # -- writes --------------------------------------------------------------------------------------

    def save_desk_campaign(self, slug: str, spec: dict[str, Any], opens: float | None, closes: float | None,
                           actor: str, create: bool, audit: Audit | None = None, expected: float | None = None) -> bool:
        """Write a desk campaign's table (``create``: a new one, False if the slug is taken meanwhile;
        else replace one, False if there is none, or if ``expected`` is not its ``updated_at``: someone
        saved it meanwhile). Its written closing time is the one in force again: an earlier extension is
        dropped. ``audit`` (given the slug) makes the entry, appended with it."""
        now = time.time()
        with self.write(f"campaign:{slug}") as db:
            text = json.dumps(spec, ensure_ascii=False, sort_keys=True)
            if create:
                if db.execute("SELECT 1 FROM campaigns WHERE slug = ?", [slug]).fetchone() is not None:
                    return False
                db.execute("INSERT INTO campaigns (slug, spec, opens, closes, created_at, updated_at, updated_by) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", [slug, text, opens, closes, now, now, actor])
            elif not db.execute("UPDATE campaigns SET spec = ?, opens = ?, closes = ?, updated_at = ?, updated_by = ? "
                                "WHERE slug = ?" + ("" if expected is None else " AND updated_at = ?"),
                                [text, opens, closes, now, actor, slug, *([] if expected is None else [expected])]
                                ).rowcount:
                return False
            db.execute("UPDATE campaign_life SET closes = NULL, updated_at = ? WHERE slug = ?", [now, slug])
            self._campaigns_changed(db)
            if audit is not None:
                self._append_audit(db, audit(slug))
        return True

    def change_life(self, slug: str, decide: Callable[[Life, float], dict[str, float | None] | None],
                    audit: Callable[[Life, Life], Any] | None = None) -> tuple[Life, Life]:
        """Change one campaign's life as ``decide`` says, from the life it reads inside the transaction
        (``decide(life, now)`` returns the columns to set, None to change nothing, or raises to refuse,
        changing nothing). Returns the life before and after; ``audit(before, after)`` makes the entry of a
        change, appended with it."""
        with self.write(f"campaign:{slug}") as db:
            now = time.time()
            before = _life(db.execute(LIFE_OF, [slug]).fetchone())
            changes = decide(before, now)
            if not changes:
                return before, before
            values = {column: getattr(before, column) for column in LIFE_COLUMNS}
            values.update(changes)
            db.execute(f"INSERT INTO campaign_life (slug, {', '.join(LIFE_COLUMNS)}, updated_at) VALUES (?, ?, ?, ?, ?) "
                       f"ON CONFLICT (slug) DO UPDATE SET "
                       + ", ".join(f"{column} = excluded.{column}" for column in (*LIFE_COLUMNS, "updated_at")),
                       [slug, *(values[column] for column in LIFE_COLUMNS), now])
            after = Life(**{**before.__dict__, **values})
            self._campaigns_changed(db)
            if audit is not None:
                self._append_audit(db, audit(before, after))
        return before, after

    @staticmethod
    def _campaigns_changed(db: Any) -> None:
        db.execute("INSERT INTO campaign_revision (id, revision) VALUES (1, 1) "
                   "ON CONFLICT (id) DO UPDATE SET revision = campaign_revision.revision + 1")

    def _check_open(self, db: Any, slug: str, is_open: Callable[[Life], bool]) -> None:
        """Inside a sign-on's write: wait for a change of the campaign's life under way (PostgreSQL), read
        the life as it now is, and raise :class:`CampaignClosed` unless ``is_open`` says it is open."""
        if self.SHARED_LOCK:
            db.execute(self.SHARED_LOCK, [f"campaign:{slug}"])
        if not is_open(_life(db.execute(LIFE_OF, [slug]).fetchone())):
            raise CampaignClosed(slug)
