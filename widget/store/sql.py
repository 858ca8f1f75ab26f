"""The store's SQL, written once for SQLite and PostgreSQL.

:class:`SQLStore` holds every query (sites, sign-ons, counters, the outbox; hosts, notifications and paper
sign-ons in its mix-ins). An engine subclass gives it connections and the little that truly differs:
``read()`` and ``write(*locks)``, the SQL of a day, the words that make a claim skip rows another node holds,
and the auto-numbered key. Queries use ``?`` placeholders; the PostgreSQL store translates them.

Habits that keep it correct under many writers, on either engine:
- every write runs in ``write()``: SQLite takes its single write lock up front; PostgreSQL takes the
  advisory locks the write names (an address, a site, a client) so limits counted inside it are exact;
- counters live in their own table and move in the transaction of the row they count, site row first
  and then the campaign's total (one order everywhere, so two writers never wait for each other in a circle);
- a conditional UPDATE (``... WHERE status = 'pending'``) decides who did something first, not a read before it.
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .. import metrics
from ..addresses import mailbox, normalise_stored
from ..domains import verified_domain
from .records import DUPLICATE, TOTAL, ConfirmResult, Counts, Limits, Mail, SignOn, Site, new_id
from .admin import AdminTables, Audit
from .alerts import AlertTables
from .blocks import BlockTables
from .bounces import BOUNCED, BounceTables, not_sent
from .campaigns import CampaignClosed, CampaignTables, Life
from .countlog import CountLogTables
from .asks import AskTables
from .embed_health import EmbedHealthTables
from .hosts import HostTables
from .invalidation import INVALIDATED, InvalidationTables
from .listing import ListingTables, listing_columns, public_id
from .news import NewsTables
from .notify import NotifyTables
from .paper import PAPER_DRIFT_SUFFIX, PaperTables
from .progress import ProgressTables
from .retention import RetentionTables
from .sharing import SharingTables
from .schema import ANSWER_FIELDS, MIGRATIONS, RECORD, UTM_FIELDS
from .webhooks import WebhookTables

SITE_COLUMNS = "key, name, owner_email, campaign, origins, created_at, status, lang"
SIGNON_COLUMNS = ("id, campaign, site_key, email, lang, status, created_at, confirmed_at, consent_at, consent_version, "
                  "held_reason, contact_consent, source, page_url, checkin_consent, news_consent, website, verified_domain, "
                  + ", ".join(ANSWER_FIELDS + UTM_FIELDS))
MAIL_COLUMNS = "id, to_addr, subject, text_body, html_body, attempts, headers"
HOUR = 3600
DAY = 24 * HOUR
#: What :meth:`SQLStore.after_commit` was given during this thread's write transaction (one at a time per thread).
_COMMIT_HOOKS = threading.local()
#: The advisory lock that makes nodes starting at once run the migrations one after the other.
MIGRATION_LOCK = "pledge-widget:migrations"


def marks(values: Any) -> str:
    """``?, ?, ?``: one placeholder per value (for ``IN (...)``)."""
    return ", ".join("?" * len(values))


def tally(rows: Any) -> list[tuple[str, int]]:
    """``(value, count)`` rows of a GROUP BY, NULL and "" merged ("not said"), the largest first."""
    totals: dict[str, int] = {}
    for value, n in rows:
        totals[value or ""] = totals.get(value or "", 0) + n
    return sorted(totals.items(), key=lambda row: (-row[1], row[0]))


class SQLStore(HostTables, PaperTables, NotifyTables, WebhookTables, SharingTables, ListingTables, AdminTables,
               CampaignTables, AskTables, BounceTables, RetentionTables, EmbedHealthTables, ProgressTables,
               BlockTables, InvalidationTables, AlertTables, CountLogTables, NewsTables):
    """Sites, sign-ons, counters and the outbox, on an engine given by a subclass."""

    _signon_columns = SIGNON_COLUMNS

    #: "sqlite" or "postgresql".
    engine = ""
    #: The engine's exception for a broken unique or not-null constraint.
    IntegrityError: type[Exception] = Exception
    #: The exceptions that mean "the database is out of reach for now" (the service answers 503).
    Unavailable: tuple[type[Exception], ...] = ()
    #: The column definition of an auto-numbered primary key.
    SERIAL = ""
    #: What a SELECT that claims rows ends with, so that two nodes never claim the same ones.
    CLAIM = ""
    #: A statement that keeps counting writers waiting until the transaction ends ("": the write lock does).
    LOCK_COUNTS = ""
    #: A statement taking a named lock shared (many sign-ons at once) until the transaction ends, against a
    #: ``write(name)`` that takes it alone ("": SQLite's write lock already keeps writers one at a time).
    SHARED_LOCK = ""

    # -- what each engine provides -------------------------------------------------------------

    @contextmanager
    def read(self, timeout: float | None = None) -> Iterator[Any]:
        """A connection for reads (no transaction held); ``timeout``: the longest wait for one, in seconds
        (None: the engine's own)."""
        raise NotImplementedError

    @contextmanager
    def write(self, *locks: str) -> Iterator[Any]:
        """One write transaction; ``locks`` names what it must hold alone (an address, a site...)."""
        raise NotImplementedError

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A read-only transaction whose queries all see one moment of the database."""
        raise NotImplementedError

    @staticmethod
    @contextmanager
    def committing() -> Iterator[None]:
        """Around a write transaction (each engine's :meth:`write`): what :meth:`after_commit` was given
        during it runs once it is committed, and is forgotten if it rolls back."""
        if getattr(_COMMIT_HOOKS, "pending", None) is not None:  # a write inside a write: the outer one decides
            yield
            return
        _COMMIT_HOOKS.pending = []
        try:
            yield
        except BaseException:
            _COMMIT_HOOKS.pending = None
            raise
        pending, _COMMIT_HOOKS.pending = _COMMIT_HOOKS.pending, None
        for callback in pending:
            callback()

    @staticmethod
    def after_commit(callback: Callable[[], Any]) -> None:
        """Run ``callback`` once the write transaction in progress in this thread commits (at once outside of
        one): for what must count only what was kept (the metrics)."""
        pending = getattr(_COMMIT_HOOKS, "pending", None)
        if pending is None:
            callback()
        else:
            pending.append(callback)

    def day_number(self, column: str) -> str:
        """SQL for the UTC day of a timestamp column, as whole days since 1970-01-01 (cheaper to group by
        than a date string)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close this process's connections (the next use opens new ones)."""

    def _legacy_version(self, db: Any) -> int:
        """The schema version a database recorded before ``schema_migrations`` existed."""
        return 0

    # -- helpers shared by every query ---------------------------------------------------------

    def query(self, sql: str, params: Any = ()) -> list[tuple]:
        """Every row of one read-only query (for audits, tests and tools; the app uses the methods)."""
        with self.read() as db:
            return [tuple(row) for row in db.execute(sql, list(params)).fetchall()]

    @staticmethod
    def _insert(db: Any, table: str, row: dict[str, Any]) -> None:
        db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks(row)})", list(row.values()))

    # -- schema --------------------------------------------------------------------------------

    def migrate(self, upto: int | None = None) -> int:
        """Bring the schema up to date (or up to migration ``upto``); return its version."""
        target = len(MIGRATIONS) if upto is None else upto
        with self.write(MIGRATION_LOCK) as db:
            db.execute(RECORD)
            version = self._recorded_version(db)
            if version == 0 and (legacy := self._legacy_version(db)):
                version = legacy  # recorded the old way: write it down the new one
                for number in range(1, legacy + 1):
                    db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [number, 0.0])
            for number in range(version + 1, target + 1):
                for step in MIGRATIONS[number - 1]:
                    if callable(step):
                        step(self, db)
                    else:
                        db.execute(step.replace("{serial}", self.SERIAL))
                db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [number, time.time()])
            return max(version, target)

    @staticmethod
    def _recorded_version(db: Any) -> int:
        return db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]

    def schema_version(self) -> int:
        with self.read() as db:
            return self._recorded_version(db)

    # -- sites ---------------------------------------------------------------------------------

    def add_site(
        self, name: str, origins: list[str], owner_email: str, campaign: str, key: str | None = None,
        status: str = "active", lang: str | None = None,
    ) -> Site:
        """Register a host site (and its owner as a host) and return it, with a new random key unless
        ``key`` is given."""
        site = Site(
            key=key or new_id(12),
            name=name,
            owner_email=normalise_stored(owner_email),
            campaign=campaign,
            origins=tuple(origins),
            created_at=time.time(),
            status=status,
            lang=lang,
        )
        with self.write() as db:
            self._ensure_host(db, site.owner_email, site.created_at)
            self._insert(db, "sites", {
                "key": site.key, "name": site.name, "owner_email": site.owner_email, "campaign": site.campaign,
                "origins": json.dumps(list(site.origins)), "created_at": site.created_at, "status": site.status,
                "lang": site.lang,
            })
        return site

    def get_site(self, key: str) -> Site | None:
        """The site with this key (or with an old key still in its grace period after a rotation),
        unless there is none or it was removed."""
        with self.read() as db:
            row = db.execute(
                f"SELECT {SITE_COLUMNS} FROM sites WHERE status != 'deleted' AND key = COALESCE("
                "(SELECT site_key FROM site_aliases WHERE alias = ? AND expires_at > ?), ?)",
                [key, time.time(), key],
            ).fetchone()
        return self._site(row) if row else None

    def list_sites(self) -> list[Site]:
        return self._sites(f"SELECT {SITE_COLUMNS} FROM sites WHERE status != 'deleted' ORDER BY created_at, key")

    def sites_outside(self, campaigns: list[str]) -> list[tuple[str, str]]:
        """``(key, campaign)`` of the sites (not removed) whose campaign is none of ``campaigns``."""
        return self.query(f"SELECT key, campaign FROM sites WHERE status != 'deleted' AND campaign NOT IN "
                          f"({marks(campaigns)}) ORDER BY key", campaigns)

    def has_sites(self) -> bool:
        return bool(self.query("SELECT 1 FROM sites LIMIT 1"))

    def update_site(self, key: str, name: str | None = None, origins: list[str] | None = None,
                    owner_email: str | None = None, status: str | None = None, lang: str | None = None,
                    audit: Audit | None = None) -> Site | None:
        """Change what is given of a site; return it, or None if there is no such site. ``audit`` (given
        the key) makes the audit entry of the change, appended with it."""
        changes = {column: value for column, value in (
            ("status", status), ("lang", lang), ("name", name),
            ("origins", None if origins is None else json.dumps(list(origins))),
            ("owner_email", None if owner_email is None else normalise_stored(owner_email)),
        ) if value is not None}
        with self.write() as db:
            if "owner_email" in changes:
                self._ensure_host(db, changes["owner_email"], time.time())
            if db.execute("SELECT 1 FROM sites WHERE key = ? AND status != 'deleted'", [key]).fetchone() is None:
                return None
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                db.execute(f"UPDATE sites SET {assignments} WHERE key = ?", [*changes.values(), key])
                if audit is not None:
                    self._append_audit(db, audit(key))
        return self.get_site(key)

    def rotate_key(self, key: str, grace_seconds: float) -> Site | None:
        """Give a site a new key; the old one keeps working for ``grace_seconds`` (pages that still carry
        the old snippet), then answers 404. The site's sign-ons, counts and history move to the new key."""
        new_key = new_id(12)
        with self.write(f"site:{key}") as db:
            if db.execute("SELECT 1 FROM sites WHERE key = ? AND status != 'deleted'", [key]).fetchone() is None:
                return None
            for table, column in (("sites", "key"), ("signons", "site_key"), ("counts", "site_key"),
                                  ("widget_seen", "site_key"), ("milestones_sent", "site_key"),
                                  ("site_aliases", "site_key"), ("webhook_endpoints", "site_key"),
                                  ("host_asks", "site_key"), ("embed_problems", "site_key"),
                                  ("embed_health_mails", "site_key")):
                db.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [new_key, key])
            db.execute("INSERT INTO site_aliases (alias, site_key, expires_at) VALUES (?, ?, ?) ON CONFLICT (alias) "
                       "DO UPDATE SET site_key = excluded.site_key, expires_at = excluded.expires_at",
                       [key, new_key, time.time() + grace_seconds])
        return self.get_site(new_key)

    def old_keys(self, key: str) -> list[tuple[str, float]]:
        """``(old key, until when it works)`` of a site's rotated keys still in their grace period."""
        return self.query("SELECT alias, expires_at FROM site_aliases WHERE site_key = ? AND expires_at > ? "
                          "ORDER BY expires_at", [key, time.time()])

    def widget_seen(self, site_key: str, origin: str, when: float) -> None:
        """Record that the widget of ``site_key`` was loaded on a page of ``origin`` (callers throttle)."""
        self.widgets_seen([(site_key, origin, when)])

    def widgets_seen(self, views: list[tuple[str, str, float]]) -> None:
        """Record several ``(site_key, origin, when)`` views of widgets in one transaction."""
        with self.write() as db:
            for view in views:
                db.execute(
                    "INSERT INTO widget_seen (site_key, origin, last_seen_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (site_key, origin) DO UPDATE SET last_seen_at = CASE "
                    "WHEN excluded.last_seen_at > widget_seen.last_seen_at THEN excluded.last_seen_at "
                    "ELSE widget_seen.last_seen_at END",
                    list(view),
                )

    def last_seen(self, site_key: str) -> dict[str, float]:
        """``{origin: when the widget was last loaded there}`` for one site."""
        return dict(self.query("SELECT origin, last_seen_at FROM widget_seen WHERE site_key = ?", [site_key]))

    def remove_site(self, key: str) -> bool:
        """Stop a site's widget for good; its confirmed sign-ons stay in the campaign's total."""
        with self.write() as db:
            return bool(db.execute(
                "UPDATE sites SET status = 'deleted' WHERE key = ? AND status != 'deleted'", [key]
            ).rowcount)

    def sites_of(self, owner_email: str) -> list[Site]:
        """The sites an address owns (any spelling of it: addresses are stored normalised)."""
        return self._sites(f"SELECT {SITE_COLUMNS} FROM sites WHERE owner_email = ? AND status != 'deleted' "
                           "ORDER BY created_at, key", [normalise_stored(owner_email)])

    def _sites(self, sql: str, params: Any = ()) -> list[Site]:
        return [self._site(row) for row in self.query(sql, params)]

    @staticmethod
    def _site(row: tuple) -> Site:
        key, name, owner_email, campaign, origins, created_at, status, lang = row
        return Site(key, name, owner_email, campaign, tuple(json.loads(origins)), created_at, status, lang)

    # -- sign-ons --------------------------------------------------------------------------------

    def create_signon(self, signon: SignOn, mail: Mail, limits: Limits | None = None, ip_hash: str | None = None,
                      is_open: Callable[[Life], bool] | None = None, hold: str | None = None) -> str:
        """Store a sign-on and its confirmation e-mail together, or neither; return its status.

        Over one of ``limits``, or with ``hold`` (why: ``blocked``), the sign-on is kept aside as ``held``
        (not counted, no e-mail) for the operator to review. The limits are counted inside the write transaction, holding the address,
        the site and the client, so they are exact however many workers and nodes write at once.
        With ``is_open``, the campaign's life is read in the transaction too: when ``is_open`` says it is
        not open (paused, closed, not yet open) nothing is written and the status is ``closed``.
        """
        limits = limits or Limits()
        row = {
            "id": signon.id,
            "campaign": signon.campaign,
            "site_key": signon.site_key,
            "email": normalise_stored(signon.email),
            "mailbox": mailbox(signon.email),
            "lang": signon.lang,
            "status": "pending",
            "created_at": signon.created_at,
            "confirmed_at": None,
            "consent_at": signon.consent_at,
            "consent_version": signon.consent_version,
            "ip_hash": ip_hash,
            "contact_consent": signon.contact_consent,
            "source": signon.source,
            "page_url": signon.page_url,
            "checkin_consent": signon.checkin_consent,
            "news_consent": signon.news_consent,
        }
        row.update({name: signon.utm.get(name) for name in UTM_FIELDS})
        row.update({name: signon.answers.get(name) for name in ANSWER_FIELDS})
        row["website"] = signon.answers.get("website")
        row.update(listing_columns(signon.id, row["organization"]))
        locks = [f"email:{row['mailbox']}", f"mail:{mailbox(mail.to)}"]
        if limits.per_site_per_hour is not None:
            locks.append(f"site:{signon.site_key}")
        if ip_hash and limits.per_ip_per_day is not None:
            locks.append(f"ip:{ip_hash}")
        try:
            with self.write(*locks) as db:
                if is_open is not None:
                    self._check_open(db, signon.campaign, is_open)
                reason = hold or self._over_limits(db, row["mailbox"], signon.site_key, ip_hash, limits)
                if reason:
                    row["status"], row["held_reason"] = "held", reason
                self._insert(db, "signons", row)
                if row["status"] == "pending" and self._mail_allowed(db, mail.to, limits):
                    self._enqueue(db, mail, signon.id)
        except CampaignClosed:
            return "closed"
        return row["status"]

    def _over_limits(self, db: Any, box: str, site_key: str, ip_hash: str | None, limits: Limits) -> str | None:
        """The name of the first limit this sign-on goes over (see :data:`HELD_REASONS`), or None. An address's
        limit counts its mailbox's sign-ons (``a+1@`` and ``a+2@`` are one inbox)."""
        checks = [("mailbox", box, DAY, limits.per_email_per_day, "email_per_day"),
                  ("site_key", site_key, HOUR, limits.per_site_per_hour, "site_per_hour")]
        if ip_hash:
            checks.append(("ip_hash", ip_hash, DAY, limits.per_ip_per_day, "ip_per_day"))
        for column, value, window, limit, reason in checks:
            # A time-bounded range of an index (column, created_at): cheap, and exact under the lock.
            if limit is not None and db.execute(
                f"SELECT COUNT(*) FROM signons WHERE {column} = ? AND created_at > ?", [value, time.time() - window]
            ).fetchone()[0] >= limit:
                return reason
        return None

    @staticmethod
    def _mail_allowed(db: Any, address: str, limits: Limits) -> bool:
        if limits.mails_per_address_per_day is None:
            return True
        sent = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE mailbox = ? AND created_at > ?", [mailbox(address), time.time() - DAY]
        ).fetchone()[0]
        return sent < limits.mails_per_address_per_day

    def is_signed(self, campaign: str, email: str) -> bool:
        """True when ``email`` has a confirmed sign-on of ``campaign``."""
        return self.find_confirmed(campaign, email) is not None

    def find_confirmed(self, campaign: str, email: str) -> SignOn | None:
        """The confirmed sign-on of ``email``'s mailbox for ``campaign``, if any (made with any spelling of it,
        or erased since: see widget.store.retention)."""
        forms = self.mailbox_forms(None, email)
        found = self._signons(f"WHERE campaign = ? AND mailbox IN ({marks(forms)}) AND status = 'confirmed'",
                              [campaign, *forms])
        return found[0] if found else None

    def get_signon(self, signon_id: str) -> SignOn | None:
        found = self._signons("WHERE id = ?", [signon_id])
        return found[0] if found else None

    def confirm_signon(self, signon_id: str) -> ConfirmResult:
        """Confirm a pending sign-on and count it, once: a second call changes nothing."""
        signon = self.get_signon(signon_id)
        if signon is None:
            return ConfirmResult("unknown")
        if signon.status == "confirmed":
            return ConfirmResult("already", signon)
        try:
            with self.write(self._signer_lock(signon)) as db:
                if self._signed_in(db, signon.campaign, signon.email):
                    # The address signed through another link first: that one keeps its site.
                    return ConfirmResult("already", signon)
                # The conditional update decides, not the read above: of two clicks at once, one confirms.
                now = time.time()
                # The address just proved is at the website's registrable domain: the organisation's domain is
                # verified (computed here, written by the same update: no query more).
                verified = verified_domain(signon.email, signon.answers.get("website"))
                changed = db.execute("UPDATE signons SET status = 'confirmed', confirmed_at = ?, verified_domain = ? "
                                     f"WHERE id = ? AND status NOT IN ('confirmed', '{BOUNCED}', '{INVALIDATED}') "
                                     "RETURNING site_key", [now, verified, signon_id]).fetchone()
                if changed is None:  # withdrawn, or confirmed by a click a moment before this one
                    still_there = db.execute("SELECT 1 FROM signons WHERE id = ?", [signon_id]).fetchone()
                    return ConfirmResult("already" if still_there else "unknown", signon)
                self._count(db, signon.campaign, changed[0], confirmed=1)
                self.append_count_log(db, signon.campaign, "confirmed", public_id(signon_id), now)
                self._enqueue_webhooks(db, "signon.confirmed", signon, now)
                self.mailbox_works(db, mailbox(signon.email))
        except self.IntegrityError:  # a writer outside this store confirmed the address meanwhile
            return ConfirmResult("already", signon)
        return ConfirmResult("confirmed", self.get_signon(signon_id))

    @staticmethod
    def _signer_lock(signon: SignOn) -> str:
        return f"signer:{signon.campaign}:{mailbox(signon.email)}"

    def _signed_in(self, db: Any, campaign: str, email: str) -> bool:
        """Whether ``email``'s mailbox has a confirmed sign-on of ``campaign`` (erased since or not)."""
        forms = self.mailbox_forms(db, email)
        return db.execute(f"SELECT 1 FROM signons WHERE campaign = ? AND mailbox IN ({marks(forms)}) "
                          "AND status = 'confirmed'", [campaign, *forms]).fetchone() is not None

    @classmethod
    def _count(cls, db: Any, campaign: str, site_key: str, confirmed: int, paper: int = 0) -> None:
        """Move the counters of a site and then of its campaign's total, in the caller's transaction."""
        for key in (site_key, TOTAL):
            cls._count_key(db, campaign, key, confirmed, paper)

    @staticmethod
    def _count_key(db: Any, campaign: str, key: str, confirmed: int, paper: int = 0) -> None:
        """Move one counter (a site's, or the campaign's total: key ``TOTAL``), in the caller's transaction."""
        db.execute(
            "INSERT INTO counts (campaign, site_key, confirmed, paper) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (campaign, site_key) DO UPDATE SET confirmed = counts.confirmed + excluded.confirmed, "
            "paper = counts.paper + excluded.paper",
            [campaign, key, confirmed, paper],
        )

    def withdraw_signon(self, signon_id: str) -> SignOn | None:
        """Delete a sign-on and its unsent mail; a confirmed one leaves the counts. None if unknown."""
        with self.write() as db:
            signon = self._delete_signons(db, "WHERE id = ?", [signon_id])
        return signon[0] if signon else None

    def held_signons(self) -> list[SignOn]:
        """Sign-ons kept aside by the limits, oldest first."""
        return self._signons("WHERE status = 'held' ORDER BY created_at, id")

    def release_held(self, signon_id: str, mail: Mail, audit: Audit | None = None) -> bool:
        """Make a held sign-on pending and queue its confirmation e-mail (and the entry ``audit`` makes of
        its id); False if it is not held."""
        with self.write() as db:
            changed = db.execute(
                "UPDATE signons SET status = 'pending' WHERE id = ? AND status = 'held'", [signon_id]
            ).rowcount
            if changed:
                self._enqueue(db, mail, signon_id)
                if audit is not None:
                    self._append_audit(db, audit(signon_id))
            return bool(changed)

    def signons_of(self, email: str) -> list[SignOn]:
        """Every sign-on of one address's mailbox (any spelling of it, erased since or not), whatever its status
        (for access requests)."""
        forms = self.mailbox_forms(None, email)
        return self._signons(f"WHERE mailbox IN ({marks(forms)}) ORDER BY created_at, id", forms)

    def forget(self, email: str) -> int:
        """Erase an address's mailbox (every spelling of it): its sign-ons (out of the counts) and every e-mail
        to it. Returns sign-ons deleted."""
        email, box = normalise_stored(email), mailbox(email)
        with self.write() as db:
            forms = self.mailbox_forms(db, email)  # what retention left of its sign-ons goes too
            signons = self._delete_signons(db, f"WHERE mailbox IN ({marks(forms)})", forms)
            db.execute("DELETE FROM outbox WHERE mailbox = ?", [box])
            db.execute("DELETE FROM bounce_reports WHERE mailbox = ?", [box])
            self.mailbox_works(db, box)
            for address in {email, *(signon.email for signon in signons if signon.has_email)}:
                db.execute("DELETE FROM signon_host_starts WHERE email = ?", [address])
            # What the CRMs were sent about them goes too; the withdrawal events just queued still go out.
            for signon in signons:
                db.execute("DELETE FROM webhook_deliveries WHERE signon_id = ? AND event_type != 'signon.withdrawn'",
                           [signon.id])
        return len(signons)

    def discard_held(self, signon_id: str, audit: Audit | None = None) -> bool:
        """Delete a held sign-on without ever mailing it (appending the entry ``audit`` makes of its id);
        False if it is not held."""
        with self.write() as db:
            changed = db.execute("DELETE FROM signons WHERE id = ? AND status = 'held'", [signon_id]).rowcount
            if changed and audit is not None:
                self._append_audit(db, audit(signon_id))
            return bool(changed)

    def _delete_signons(self, db: Any, where: str, params: list[Any]) -> list[SignOn]:
        cursor = db.execute(f"DELETE FROM signons {where} RETURNING {SIGNON_COLUMNS}", params)
        signons = [self._signon(row) for row in cursor.fetchall()]
        for signon in signons:
            if signon.status == "confirmed":  # an approved paper sign-on leaves the paper count too
                self._count(db, signon.campaign, signon.site_key, confirmed=-1, paper=-int(signon.source == "paper"))
                self.append_count_log(db, signon.campaign, "withdrawn", public_id(signon.id))
                self._enqueue_webhooks(db, "signon.withdrawn", signon, signon.confirmed_at)
            db.execute("DELETE FROM outbox WHERE signon_id = ?", [signon.id])
            self._delete_progress(db, signon.id)  # an update may name people: it goes with its sign-on
        return signons

    def counts(self, campaign: str, site_key: str) -> Counts:
        """Confirmed sign-ons of a site and of its campaign, read from the counters (O(1))."""
        return self._counters("confirmed", campaign, site_key)

    def _counters(self, column: str, campaign: str, site_key: str) -> Counts:
        rows = dict(self.query(f"SELECT site_key, {column} FROM counts WHERE campaign = ? AND site_key IN (?, ?)",
                               [campaign, site_key, TOTAL]))
        return Counts(site=rows.get(site_key) or 0, total=rows.get(TOTAL) or 0)

    def all_counts(self) -> list[tuple[str, str, int]]:
        """``(campaign, site_key, confirmed)`` for every site with a count; ``site_key`` "" is the total."""
        return self.query("SELECT campaign, site_key, confirmed FROM counts ORDER BY campaign, site_key")

    def recount(self) -> list[tuple[str, str, int, int]]:
        """Compare the counters with the rows: ``(campaign, site_key, counter, rows)`` where they differ.

        For audits and tests only: requests read the counters. The paper counters follow (see
        :meth:`paper_drift`), their site key followed by " (paper)".
        """
        # One snapshot for the rows and the counters: read apart, a confirmation between the two reads would
        # look like drift.
        with self.snapshot() as db:
            return self._drift("confirmed", "", db) + self.paper_drift(db)

    def recount_log(self) -> list[tuple[str, int, int]]:
        """Compare each campaign's total counter with its count log: ``(campaign, counter, log)`` where they
        differ (the log's total: confirmed - withdrawn - invalidated + restored), read in one snapshot."""
        with self.snapshot() as db:
            return self.count_log_drift(db)

    def duplicates(self) -> list[tuple[str, int]]:
        """``(campaign, n)``: sign-ons confirmed before addresses were compared by mailbox, by a mailbox whose
        earlier sign-on counts; kept (status ``duplicate``), counted in nothing."""
        return self.query(f"SELECT campaign, COUNT(*) FROM signons WHERE status = '{DUPLICATE}' GROUP BY campaign "
                          "ORDER BY campaign")

    def _drift(self, column: str, where: str, db: Any = None) -> list[tuple[str, str, int, int]]:
        rows = self.query if db is None else (lambda sql: db.execute(sql).fetchall())
        actual: dict[tuple[str, str], int] = {}
        query = f"SELECT campaign, site_key, COUNT(*) FROM signons WHERE status = 'confirmed' {where} GROUP BY 1, 2"
        for campaign, site_key, n in rows(query):
            actual[(campaign, site_key)] = n
            actual[(campaign, TOTAL)] = actual.get((campaign, TOTAL), 0) + n
        counters = {(c, s): n or 0 for c, s, n in rows(f"SELECT campaign, site_key, {column} FROM counts")}
        return [
            (c, s, counters.get((c, s), 0), actual.get((c, s), 0))
            for c, s in sorted(set(actual) | set(counters))
            if counters.get((c, s), 0) != actual.get((c, s), 0)
        ]

    def fix_counts(self) -> list[tuple[str, str, int, int]]:
        """Set every counter that drifted from the rows to the number of rows; return what was fixed,
        as :meth:`recount` reports it. Counting writers wait meanwhile, so none is lost or counted twice."""
        fixed = []
        with self.write() as db:
            if self.LOCK_COUNTS:
                db.execute(self.LOCK_COUNTS)
            for column, where, suffix in (("confirmed", "", ""), ("paper", "AND source = 'paper'", PAPER_DRIFT_SUFFIX)):
                for campaign, site_key, counter, rows in self._drift(column, where, db):
                    db.execute(f"INSERT INTO counts (campaign, site_key, {column}) VALUES (?, ?, ?) ON CONFLICT "
                               f"(campaign, site_key) DO UPDATE SET {column} = excluded.{column}",
                               [campaign, site_key, rows])
                    fixed.append((campaign, (site_key + suffix).lstrip(), counter, rows))
        return fixed

    def create_host_login(self, email: str) -> str:
        """Record a login link for a host's address; return its opaque id."""
        login_id = new_id(18)
        with self.write() as db:
            self._insert(db, "host_logins", {"id": login_id, "email": normalise_stored(email), "mailbox": mailbox(email),
                                             "created_at": time.time()})
        return login_id

    def use_host_login(self, login_id: str) -> str | None:
        """Use a login link once: the address it was made for, or None if unknown or used before."""
        with self.write() as db:
            row = db.execute("UPDATE host_logins SET used_at = ? WHERE id = ? AND used_at IS NULL RETURNING email",
                             [time.time(), login_id]).fetchone()
            if row:
                self.mailbox_works(db, mailbox(row[0]))
        return row[0] if row else None

    def breakdown(self, site_key: str, days: int = 30) -> dict[str, list[tuple[str, int]]]:
        """A site's confirmed sign-ons by day (the last ``days``), by organisation type and by country.

        For the host dashboard, one site at a time, on indexed columns; the public counts never come from here.
        """
        since = time.time() - days * 86400
        by_day = self.query(
            f"SELECT {self.day_number('confirmed_at')}, COUNT(*) FROM signons "
            "WHERE site_key = ? AND status = 'confirmed' AND confirmed_at >= ? GROUP BY 1 ORDER BY 1",
            [site_key, since],
        )
        result = {"by_day": [(time.strftime("%Y-%m-%d", time.gmtime(day * 86400)), n) for day, n in by_day]}
        for column in ("org_type", "country", "utm_source"):
            # Grouped by the bare column, so that the index (site_key, status, column) answers alone.
            rows = self.query(f"SELECT {column}, COUNT(*) FROM signons WHERE site_key = ? AND status = 'confirmed' "
                              f"GROUP BY {column}", [site_key])
            result[f"by_{column}"] = tally(rows)
        return result

    def pending_count(self, site_key: str) -> int:
        """Sign-ons of a site waiting for their confirmation."""
        return self.query("SELECT COUNT(*) FROM signons WHERE site_key = ? AND status = 'pending'", [site_key])[0][0]

    def latest_signons(self, site_key: str, limit: int = 10) -> list[SignOn]:
        """A site's most recently confirmed sign-ons, newest first."""
        return self._signons("WHERE site_key = ? AND status = 'confirmed' ORDER BY confirmed_at DESC, id LIMIT ?",
                             [site_key, limit])

    def confirmed_signons(self, site_key: str | None = None, batch: int = 1000) -> Iterator[SignOn]:
        """Every confirmed sign-on, oldest first, of one site or of all (read in batches, so any number)."""
        where, params = "status = 'confirmed'", []
        if site_key is not None:
            where += " AND site_key = ?"
            params.append(site_key)
        after: tuple[float, str] = (-1.0, "")
        while True:
            page = self._signons(f"WHERE {where} AND (confirmed_at > ? OR (confirmed_at = ? AND id > ?)) "
                                 "ORDER BY confirmed_at, id LIMIT ?", [*params, after[0], after[0], after[1], batch])
            yield from page
            if len(page) < batch:
                return
            after = (page[-1].confirmed_at, page[-1].id)

    def purge_pending(self, older_than: float) -> int:
        """Delete sign-ons never confirmed (pending, held, or bounced) created before ``older_than``, every
        e-mail about them, and sent e-mails older than that (the mail limits look back one day only); and
        soft bounces past their window. Returns how many sign-ons were deleted."""
        self.purge_bounces()
        unconfirmed = f"status IN ('pending', 'held', '{BOUNCED}')"
        with self.write() as db:
            stale = f"SELECT id FROM signons WHERE {unconfirmed} AND created_at < ?"
            db.execute(f"DELETE FROM outbox WHERE signon_id IN ({stale})", [older_than])
            db.execute("DELETE FROM outbox WHERE sent_at IS NOT NULL AND created_at < ?", [older_than])
            return db.execute(f"DELETE FROM signons WHERE {unconfirmed} AND created_at < ?", [older_than]).rowcount

    def _signons(self, where: str, params: Any = ()) -> list[SignOn]:
        return [self._signon(row) for row in self.query(f"SELECT {SIGNON_COLUMNS} FROM signons {where}", params)]

    @staticmethod
    def _signon(row: tuple) -> SignOn:
        (id, campaign, site_key, email, lang, status, created_at, confirmed_at, consent_at, consent_version,
         held_reason, contact_consent, source, page_url, checkin_consent, news_consent, website, verified) = row[:18]
        answers, utm = row[18:18 + len(ANSWER_FIELDS)], row[18 + len(ANSWER_FIELDS):]
        return SignOn(
            id=id, campaign=campaign, site_key=site_key, email=email, lang=lang, status=status,
            created_at=created_at, confirmed_at=confirmed_at, consent_at=consent_at, consent_version=consent_version,
            answers={name: value for name, value in (*zip(ANSWER_FIELDS, answers), ("website", website))
                     if value is not None},
            held_reason=held_reason, contact_consent=contact_consent, source=source or "web", page_url=page_url,
            utm={name: value for name, value in zip(UTM_FIELDS, utm) if value},
            checkin_consent=checkin_consent, news_consent=news_consent, verified_domain=verified,
        )

    # -- outbox --------------------------------------------------------------------------------

    def enqueue_mail(self, mail: Mail, signon_id: str | None = None, limits: Limits | None = None) -> bool:
        """Queue an e-mail unless its address had its share of mail today; True if queued."""
        limits = limits or Limits()
        with self.write(f"mail:{mailbox(mail.to)}") as db:
            if not self._mail_allowed(db, mail.to, limits):
                return False
            self._enqueue(db, mail, signon_id)
            return True

    def last_mail_at(self, signon_id: str) -> float | None:
        """When the newest e-mail about a sign-on was queued."""
        return self.query("SELECT MAX(created_at) FROM outbox WHERE signon_id = ?", [signon_id])[0][0]

    @classmethod
    def _enqueue(cls, db: Any, mail: Mail, signon_id: str | None) -> None:
        now = time.time()
        box = mailbox(mail.to)
        # A mailbox that bounced for good gets nothing (see widget.store.bounces): the mail is kept, as failed.
        bounced = cls.suppressed(db, box, mail.kind, now)
        cls._insert(db, "outbox", {
            "signon_id": signon_id,
            "to_addr": normalise_stored(mail.to),
            "mailbox": box,
            "subject": mail.subject,
            "text_body": mail.text,
            "html_body": mail.html,
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": now,
            "headers": json.dumps(mail.headers) if mail.headers else None,
            "kind": mail.kind or None,
            "failed_at": now if bounced is not None else None,
            "last_error": not_sent(bounced) if bounced is not None else None,
        })
        if bounced is None:
            cls.after_commit(metrics.MAILS_QUEUED.labels(mail.kind or "other").inc)

    def claim_mail(self, limit: int, lease: float, claimer: str) -> list[Mail]:
        """Take up to ``limit`` due e-mails for ``lease`` seconds on behalf of ``claimer``.

        A sender that dies mid-batch loses nothing: once the lease runs out another sender takes the
        mail again (so a mail may go out twice, never zero times). Mail never tried goes first, so a
        new confirmation link does not wait behind mails being retried. On PostgreSQL the claim skips
        the rows another node is claiming at this moment, so senders on many nodes never wait for each other.
        """
        now = time.time()
        with self.write() as db:
            rows = db.execute(
                f"SELECT {MAIL_COLUMNS} FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? "
                f"AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY attempts, id LIMIT ? {self.CLAIM}",
                [now, now, limit],
            ).fetchall()
            if rows:
                db.execute(f"UPDATE outbox SET claimed_until = ?, claimed_by = ? WHERE id IN ({marks(rows)})",
                           [now + lease, claimer, *[row[0] for row in rows]])
        return [Mail(to=r[1], subject=r[2], text=r[3], html=r[4], id=r[0], attempts=r[5], headers=json.loads(r[6] or "{}"))
                for r in rows]

    def renew_claim(self, mail_id: int, claimer: str, lease: float) -> bool:
        """Extend ``claimer``'s claim on a mail right before sending it; False if another sender took it
        over (the claim ran out) or it went out already."""
        with self.write() as db:
            return bool(
                db.execute(
                    "UPDATE outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ? "
                    "AND sent_at IS NULL AND failed_at IS NULL",
                    [time.time() + lease, mail_id, claimer],
                ).rowcount
            )

    def release_claims(self, mail_ids: list[int], claimer: str) -> None:
        """Give back mails a sender claimed but will not try now, so the next round need not wait for the lease."""
        if not mail_ids:
            return
        with self.write() as db:
            db.execute(f"UPDATE outbox SET claimed_until = NULL, claimed_by = NULL WHERE claimed_by = ? "
                       f"AND id IN ({marks(mail_ids)})", [claimer, *mail_ids])

    def mark_sent(self, mail_id: int) -> None:
        self.mark_sent_many([mail_id])

    def mark_sent_many(self, mail_ids: list[int]) -> None:
        """Mark mails sent, in one transaction."""
        if not mail_ids:
            return
        with self.write() as db:
            db.execute(f"UPDATE outbox SET sent_at = ?, claimed_until = NULL, claimed_by = NULL WHERE id IN ({marks(mail_ids)})",
                       [time.time(), *mail_ids])

    def mark_attempt_failed(self, mail_id: int, error: str, retry_at: float | None) -> None:
        """Record a failed delivery: try again at ``retry_at``, or never (permanent failure) if None."""
        with self.write() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, claimed_until = NULL, claimed_by = NULL, "
                "next_attempt_at = ?, failed_at = ? WHERE id = ?",
                [error[:500], retry_at if retry_at is not None else time.time(),
                 None if retry_at is not None else time.time(), mail_id],
            )

    def failed_mail(self) -> list[dict[str, Any]]:
        """E-mails that failed for good, latest first: ``id``, ``to``, ``attempts``, ``last_error``, ``failed_at``."""
        rows = self.query("SELECT id, to_addr, attempts, last_error, failed_at FROM outbox "
                          "WHERE failed_at IS NOT NULL AND sent_at IS NULL ORDER BY failed_at DESC, id DESC")
        return [dict(zip(("id", "to", "attempts", "last_error", "failed_at"), row)) for row in rows]

    def retry_failed_mail(self, mail_ids: list[int] | None = None, audit: Audit | None = None) -> int:
        """Queue again the e-mails that failed for good (those of ``mail_ids``, or all of them when None),
        due now, with the entry ``audit`` makes of each one's id; return how many. Their attempts and last
        error stay, for the record."""
        where = "failed_at IS NOT NULL AND sent_at IS NULL"
        params: list[Any] = [time.time()]
        if mail_ids is not None:
            if not mail_ids:
                return 0
            where += f" AND id IN ({marks(mail_ids)})"
            params += list(mail_ids)
        with self.write() as db:
            retried = sorted(row[0] for row in db.execute(
                "UPDATE outbox SET failed_at = NULL, next_attempt_at = ?, claimed_until = NULL, claimed_by = NULL "
                f"WHERE {where} RETURNING id",
                params,
            ).fetchall())
            if audit is not None:
                for mail_id in retried:
                    self._append_audit(db, audit(mail_id))
        return len(retried)

    def outbox_stats(self) -> dict[str, int]:
        """How many e-mails are queued, sent and failed for good."""
        row = self.query(
            "SELECT SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END) FROM outbox"
        )[0]
        return {"queued": row[0] or 0, "sent": row[1] or 0, "failed": row[2] or 0}

    def outbox_health(self) -> dict[str, Any]:
        """How the outbox fares, for the operator's desk: ``queued`` (waiting), ``retrying`` (waiting after
        a failed attempt), ``failed`` (for good), ``oldest_queued_at`` (when the oldest waiting one was
        queued, or None) and ``last_error`` (the latest error of an unsent e-mail, or None)."""
        row = self.query(
            "SELECT SUM(CASE WHEN failed_at IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN failed_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), "
            "MIN(CASE WHEN failed_at IS NULL THEN created_at END) FROM outbox WHERE sent_at IS NULL"
        )[0]
        error = self.query("SELECT last_error FROM outbox WHERE sent_at IS NULL AND last_error IS NOT NULL "
                           "ORDER BY COALESCE(failed_at, next_attempt_at) DESC, id DESC LIMIT 1")
        return {"queued": row[0] or 0, "retrying": row[1] or 0, "failed": row[2] or 0, "oldest_queued_at": row[3],
                "last_error": error[0][0] if error else None}

    def readiness(self, timeout: float) -> tuple[int, float | None]:
        """``(schema version, when the oldest e-mail still waiting for its first attempt was queued or
        None)``, read within ``timeout`` seconds; raises one of :attr:`Unavailable` when the database is out
        of reach. An e-mail retried after a failure is not counted: one address's slow server must not make
        the whole service look stuck."""
        with self.read(timeout) as db:
            version = self._recorded_version(db)
            oldest = db.execute("SELECT MIN(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL "
                                "AND attempts = 0").fetchone()[0]
        return version, oldest

    def mail_waiting(self) -> dict[str, tuple[int, float | None]]:
        """The e-mails waiting to go out, ``new`` (never tried) and ``retrying``: ``(how many, when the
        oldest was queued or None)`` each."""
        rows = self.query("SELECT CASE WHEN attempts = 0 THEN 'new' ELSE 'retrying' END, COUNT(*), MIN(created_at) "
                          "FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY 1")
        waiting: dict[str, tuple[int, float | None]] = {"new": (0, None), "retrying": (0, None)}
        waiting.update({state: (n, oldest) for state, n, oldest in rows})
        return waiting

    # -- open data: aggregates of confirmed sign-ons, never a name nor an address ------------------

    def campaign_breakdown(self, campaign: str) -> dict[str, dict[str, int]]:
        """A campaign's confirmed sign-ons by country and by organisation type (``""``: not said)."""
        result: dict[str, dict[str, int]] = {}
        for column in ("country", "org_type"):
            rows = self.query(f"SELECT {column}, COUNT(*) FROM signons WHERE campaign = ? AND status = 'confirmed' "
                              f"GROUP BY {column}", [campaign])
            result[f"by_{column}"] = dict(tally(rows))
        return result

    def daily_confirmed(self, campaign: str, site_key: str | None = None) -> list[tuple[str, int]]:
        """Confirmed sign-ons per UTC day (``("2026-11-25", n)``, oldest first, days without any left out),
        of a campaign or of one of its sites."""
        where, params, table = "campaign = ? AND status = 'confirmed'", [campaign], "signons"
        if site_key is not None:
            where += " AND site_key = ?"
            params.append(site_key)
            if self.engine == "sqlite":
                # SQLite's planner, without statistics, walks the whole campaign's (campaign, status,
                # confirmed_at) index for one site's rows: 217 ms at 100,000 sign-ons for a site with 91.
                table = "signons INDEXED BY signons_site_country"
        rows = self.query(f"SELECT {self.day_number('confirmed_at')}, COUNT(*) FROM {table} WHERE {where} "
                          "GROUP BY 1 ORDER BY 1", params)
        return [(time.strftime("%Y-%m-%d", time.gmtime(int(day) * 86400)), n) for day, n in rows]
