"""The schema's history, one list for SQLite and PostgreSQL.

Each migration is a list of steps: SQL both engines understand, or a function of ``(store, db)`` for what
SQL alone cannot say. The only engine word is ``{serial}`` (an auto-numbered primary key), which each store
fills in. Timestamps are ``DOUBLE PRECISION`` (seconds since the epoch): a REAL on PostgreSQL would round
them to minutes, while SQLite reads the name as its own REAL.

The migrations that have run are rows of ``schema_migrations``, written in the transaction that ran them.
A store applies them under its write lock (SQLite) or an advisory lock (PostgreSQL), so nodes starting at
once wait for each other instead of racing.
"""
from __future__ import annotations

from typing import Any, Callable, Union

from ..addresses import mailbox, normalise_stored
from ..ledger import ZERO, entry_hash, moment
from ..utm import UTM_FIELDS
from .records import DUPLICATE
from .listing import LISTABLE, listing_columns

ANSWER_FIELDS = ("name", "organization", "org_type", "country", "goal", "actions", "timetable", "resources")

Step = Union[str, Callable[[Any, Any], None]]

RECORD = ("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
          "applied_at DOUBLE PRECISION NOT NULL)")


def _index(table: str, *columns: str) -> str:
    # The names sqlite-utils gave the indexes of the first databases, so every database has the same ones.
    return f"CREATE INDEX idx_{table}_{'_'.join(columns)} ON {table} ({', '.join(columns)})"


MIGRATION_1: list[Step] = [
    "CREATE TABLE sites (key TEXT PRIMARY KEY, name TEXT, owner_email TEXT, campaign TEXT, origins TEXT, "
    "created_at DOUBLE PRECISION)",
    "CREATE TABLE signons (id TEXT PRIMARY KEY, campaign TEXT NOT NULL, site_key TEXT NOT NULL, "
    "email TEXT NOT NULL, " + "".join(f"{name} TEXT, " for name in ANSWER_FIELDS)
    + "lang TEXT, status TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, confirmed_at DOUBLE PRECISION, "
    "consent_at DOUBLE PRECISION, consent_version TEXT)",
    _index("signons", "campaign", "email"),
    _index("signons", "status", "created_at"),
    # One address signs a campaign once: the database itself refuses a second confirmed sign-on.
    "CREATE UNIQUE INDEX signons_one_confirmed ON signons (campaign, email) WHERE status = 'confirmed'",
    "CREATE TABLE counts (campaign TEXT NOT NULL, site_key TEXT NOT NULL, confirmed INTEGER, "
    "PRIMARY KEY (campaign, site_key))",
    "CREATE TABLE outbox (id {serial}, signon_id TEXT, to_addr TEXT NOT NULL, subject TEXT, text_body TEXT, "
    "html_body TEXT, created_at DOUBLE PRECISION NOT NULL, attempts INTEGER NOT NULL, "
    "next_attempt_at DOUBLE PRECISION NOT NULL, claimed_until DOUBLE PRECISION, sent_at DOUBLE PRECISION, "
    "failed_at DOUBLE PRECISION, last_error TEXT)",
    _index("outbox", "sent_at", "next_attempt_at"),
]

MIGRATION_2: list[Step] = [
    # Sign-on limits per address, site and client are computed from the rows themselves (as
    # e-petitions does): the same answer for every worker, with no counter to drift.
    "ALTER TABLE signons ADD COLUMN ip_hash TEXT",
    _index("signons", "email", "created_at"),
    _index("signons", "site_key", "created_at"),
    _index("signons", "ip_hash", "created_at"),
    _index("outbox", "to_addr", "created_at"),
    _index("outbox", "signon_id"),
]

MIGRATION_3: list[Step] = [
    # Who holds a claim on a mail: a sender renews its claim before each send, and skips a mail that
    # another sender took over when the first one was too slow (no mail sent twice by two live senders).
    "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
]

MIGRATION_4: list[Step] = [
    # Host logins by e-mailed link: the link carries this row's opaque id; the row makes it single use.
    "CREATE TABLE host_logins (id TEXT PRIMARY KEY, email TEXT, created_at DOUBLE PRECISION, "
    "used_at DOUBLE PRECISION)",
    _index("sites", "owner_email"),
    _index("signons", "site_key", "status", "confirmed_at"),
]


def _normalise_addresses(store: Any, db: Any) -> None:
    # Addresses were lower-cased A-Z only (SQL's lower()), so "Élise@..." could never sign in: write
    # every stored address in the one normalised spelling. A sign-on whose new spelling would make a
    # second confirmed sign-on of the same address keeps its old spelling: nothing accepted is lost.
    for table, key, column in (("sites", "key", "owner_email"), ("signons", "id", "email"),
                               ("host_logins", "id", "email"), ("outbox", "id", "to_addr")):
        for row_key, address in db.execute(f"SELECT {key}, {column} FROM {table}").fetchall():
            normalised = normalise_stored(address or "")
            if address and normalised != address:
                db.execute("SAVEPOINT spelling")
                try:
                    db.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", [normalised, row_key])
                except store.IntegrityError:
                    db.execute("ROLLBACK TO SAVEPOINT spelling")
                db.execute("RELEASE SAVEPOINT spelling")


MIGRATION_5: list[Step] = [
    _normalise_addresses,
    # Which limit held a sign-on, for the operator who reviews it.
    "ALTER TABLE signons ADD COLUMN held_reason TEXT",
    # A site's life cycle: removed sites keep their rows (their confirmed sign-ons stay in the campaign's
    # total, and recount still adds up), but no longer serve a widget.
    "ALTER TABLE sites ADD COLUMN status TEXT NOT NULL DEFAULT 'active'",
]

MIGRATION_6: list[Step] = [
    # Hosts serve themselves: accounts (and their notification choices), revocable sessions, sites that
    # wait for approval, keys that keep working for a while after a rotation, where each widget was seen.
    "CREATE TABLE hosts (email TEXT PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL, disabled_at DOUBLE PRECISION, "
    "lang TEXT, notify_milestones INTEGER NOT NULL DEFAULT 1, milestones TEXT NOT NULL DEFAULT '10,100,1000', "
    "notify_digest INTEGER NOT NULL DEFAULT 0)",
    "INSERT INTO hosts (email, created_at) SELECT owner_email, MIN(created_at) FROM sites "
    "WHERE status != 'deleted' GROUP BY owner_email ON CONFLICT DO NOTHING",
    "CREATE TABLE host_sessions (id TEXT PRIMARY KEY, email TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
    "ended_at DOUBLE PRECISION)",
    "CREATE INDEX host_sessions_email ON host_sessions (email)",
    "CREATE TABLE site_aliases (alias TEXT PRIMARY KEY, site_key TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE widget_seen (site_key TEXT NOT NULL, origin TEXT NOT NULL, last_seen_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (site_key, origin))",
    "ALTER TABLE sites ADD COLUMN lang TEXT",
    # Paper sign-ons are sign-ons too ("source"), counted apart once the operator approves them.
    "ALTER TABLE signons ADD COLUMN source TEXT NOT NULL DEFAULT 'web'",
    "ALTER TABLE counts ADD COLUMN paper INTEGER NOT NULL DEFAULT 0",
    # The separate, optional consent to be contacted by the host: the wording's version, or NULL.
    "ALTER TABLE signons ADD COLUMN contact_consent TEXT",
    # Each milestone and each day's digest is mailed once, whatever the number of senders: a row each.
    "CREATE TABLE milestones_sent (site_key TEXT NOT NULL, threshold INTEGER NOT NULL, "
    "sent_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (site_key, threshold))",
    "CREATE TABLE digests_sent (email TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (email, day))",
    "ALTER TABLE outbox ADD COLUMN headers TEXT",  # JSON: List-Unsubscribe and the like
]

MIGRATION_7: list[Step] = [
    # Mail senders on many nodes claim due mail with one range of this index (PostgreSQL: FOR UPDATE
    # SKIP LOCKED), instead of reading every unsent row.
    "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL",
]

MIGRATION_8: list[Step] = [
    # The host dashboard's breakdowns by type and by country read these indexes alone (no row lookups):
    # a site with 100,000 sign-ons is counted in milliseconds, not in a scan of its rows.
    "CREATE INDEX signons_site_org_type ON signons (site_key, status, org_type)",
    "CREATE INDEX signons_site_country ON signons (site_key, status, country)",
]

MIGRATION_9: list[Step] = [
    # Webhooks for the campaigns' CRMs: endpoints of a campaign (the operator's) or of a site (its host's),
    # and an outbox of deliveries, written in the transaction of the confirmation or withdrawal they tell of.
    "CREATE TABLE webhook_endpoints (id {serial}, campaign TEXT, site_key TEXT, url TEXT NOT NULL, "
    "secret TEXT NOT NULL, owner_email TEXT, created_at DOUBLE PRECISION NOT NULL, disabled_at DOUBLE PRECISION, "
    "disabled_reason TEXT, failing_since DOUBLE PRECISION)",
    "CREATE INDEX webhook_endpoints_campaign ON webhook_endpoints (campaign)",
    "CREATE INDEX webhook_endpoints_site_key ON webhook_endpoints (site_key)",
    # signon_id: an erasure request (forget) deletes what was sent about the sign-on, not only the sign-on.
    "CREATE TABLE webhook_deliveries (id {serial}, endpoint_id BIGINT NOT NULL, signon_id TEXT, event_id TEXT NOT NULL, "
    "event_type TEXT NOT NULL, payload TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
    "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at DOUBLE PRECISION NOT NULL, "
    "claimed_until DOUBLE PRECISION, claimed_by TEXT, delivered_at DOUBLE PRECISION, last_status INTEGER, "
    "last_error TEXT)",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL",
    "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at)",
    "CREATE INDEX webhook_deliveries_signon ON webhook_deliveries (signon_id)",
]

def _list_columns(store: Any, db: Any) -> None:
    # The public id and the folded name of the sign-ons made before the list existed (new rows get them
    # from their insert): computed in Python, the same way on both engines.
    rows = []
    for signon_id, organization in db.execute("SELECT id, organization FROM signons").fetchall():
        columns = listing_columns(signon_id, organization)
        rows.append((columns["public_id"], columns["org_folded"], signon_id))
    _set_columns(store, db, "signons", ("public_id", "org_folded"), rows)


def _set_columns(store: Any, db: Any, table: str, columns: tuple[str, ...], rows: list[tuple],
                 key_type: str = "text") -> None:
    """Set text ``columns`` of ``table``'s rows to values computed in Python: ``rows`` are
    ``(value, ..., id)``. In bulk, not a statement per row: the ALTER TABLEs before such a step keep the
    table locked until the migration commits, and row by row 100,000 sign-ons took 24 s on PostgreSQL
    (4 s on SQLite); in bulk 9.5 s (2 s), nearly all of it PostgreSQL rewriting the rows and their indexes."""
    if store.engine == "postgresql":
        values = [list(column) for column in zip(*rows)] if rows else [[] for _ in range(len(columns) + 1)]
        arrays = ", ".join(["?::text[]"] * len(columns) + [f"?::{key_type}[]"])
        db.execute(f"UPDATE {table} SET {', '.join(f'{c} = v.{c}' for c in columns)} FROM unnest({arrays}) "
                   f"AS v({', '.join(columns)}, id) WHERE {table}.id = v.id", values)
    else:
        db.conn.executemany(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?", rows)


#: The rows the public list may show: a partial index serves a query only when the query says the same.
_LISTABLE = LISTABLE

MIGRATION_10: list[Step] = [
    # The public list of signatories: moderation and leaving the list; campaign-wide indexes.
    "ALTER TABLE signons ADD COLUMN public_id TEXT",  # published instead of the id every link carries
    "ALTER TABLE signons ADD COLUMN org_folded TEXT",  # the organisation's name case-folded, for searches
    "ALTER TABLE signons ADD COLUMN list_state TEXT",  # NULL (the moderation mode decides), listed, pending, hidden, left
    "ALTER TABLE signons ADD COLUMN list_reason TEXT",
    "ALTER TABLE signons ADD COLUMN list_changed_at DOUBLE PRECISION",
    "ALTER TABLE signons ADD COLUMN list_changed_by TEXT",
    _list_columns,
    "CREATE UNIQUE INDEX signons_public_id ON signons (public_id)",
    # Keyset pages of the list, newest first, each one range of one of these (page 5,000 costs what page 1
    # does): the whole campaign, a country, a type, a site. The state and the folded name come along, so
    # that counting the list and searching it read the index alone, not a row each.
    *(f"CREATE INDEX signons_list_{name} ON signons ({columns}confirmed_at, public_id, list_state, org_folded) "
      f"WHERE {_LISTABLE}"
      for name, columns in (("campaign", "campaign, "), ("country", "campaign, country, "),
                            ("org_type", "campaign, org_type, "), ("site", "site_key, "))),
    # The open data's campaign-wide aggregates (by country, by type, by day) read these alone.
    "CREATE INDEX signons_campaign_country ON signons (campaign, status, country)",
    "CREATE INDEX signons_campaign_org_type ON signons (campaign, status, org_type)",
    "CREATE INDEX signons_campaign_confirmed ON signons (campaign, status, confirmed_at)",
]

MIGRATION_11: list[Step] = [
    # Sharing after confirming: the page where a sign-on was made; hosts who came from a sign-on.
    # The host page's address (origin and path, checked against the site's origins) the sign-on came from.
    "ALTER TABLE signons ADD COLUMN page_url TEXT",
    # A host created by "Put this button on your own website": the campaign and sign-on it came from,
    # counted in the operator's figures (hosts who were there before stay NULL).
    "ALTER TABLE hosts ADD COLUMN from_campaign TEXT",
    "ALTER TABLE hosts ADD COLUMN from_signon TEXT",
    # Each sign-on starts a host session this way once: a copied button or a second click does nothing.
    "CREATE TABLE signon_host_starts (signon_id TEXT PRIMARY KEY, email TEXT NOT NULL, "
    "used_at DOUBLE PRECISION NOT NULL)",
]

MIGRATION_12: list[Step] = [
    # The operator's desk: admins' TOTP and sessions, and the append-only audit log.
    "CREATE TABLE admin_logins (id TEXT PRIMARY KEY, email TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
    "used_at DOUBLE PRECISION)",
    _index("admin_logins", "email", "created_at"),
    # last_step: the TOTP time step last used, so that a code works once.
    "CREATE TABLE admin_totp (email TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
    "confirmed_at DOUBLE PRECISION, last_step BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE admin_recovery_codes (id {serial}, email TEXT NOT NULL, code_hash TEXT NOT NULL, "
    "created_at DOUBLE PRECISION NOT NULL, used_at DOUBLE PRECISION)",
    _index("admin_recovery_codes", "email"),
    "CREATE TABLE admin_failures (id {serial}, email TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
    _index("admin_failures", "email", "at"),
    # id_hash: the SHA-256 of the cookie's random id (the id itself is nowhere but in the cookie).
    "CREATE TABLE admin_sessions (id_hash TEXT PRIMARY KEY, email TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
    "seen_at DOUBLE PRECISION NOT NULL, verified_at DOUBLE PRECISION, ended_at DOUBLE PRECISION, agent TEXT)",
    _index("admin_sessions", "email"),
    # Append-only: the code inserts and selects, never updates nor deletes (a test greps for it).
    "CREATE TABLE audit_log (id {serial}, at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, "
    "target TEXT NOT NULL, before_json TEXT, after_json TEXT)",
    _index("audit_log", "actor", "id"),
    _index("audit_log", "action", "id"),
    _index("audit_log", "at"),
]

def _mailboxes(store: Any, db: Any) -> None:
    # The mailbox of every stored address, computed in Python as new rows get it (see addresses.mailbox).
    for table, column, key_type in (("signons", "email", "text"), ("outbox", "to_addr", "bigint"),
                                    ("host_logins", "email", "text")):
        rows = [(mailbox(address or ""), row_id)
                for row_id, address in db.execute(f"SELECT id, {column} FROM {table}").fetchall()]
        _set_columns(store, db, table, ("mailbox",), rows, key_type)
    # Two confirmed sign-ons of one mailbox (a+1@ and a@): the first keeps its signature and its site; the
    # others keep their rows (answers, dates, site) as "duplicate", out of every count, so the counters
    # still equal their rows (recount names them).
    signed: set[tuple[str, str]] = set()
    for signon_id, campaign, box, site_key, source in db.execute(
            "SELECT id, campaign, mailbox, site_key, source FROM signons WHERE status = 'confirmed' "
            "ORDER BY COALESCE(confirmed_at, created_at), id").fetchall():
        if (campaign, box) not in signed:
            signed.add((campaign, box))
            continue
        db.execute("UPDATE signons SET status = ? WHERE id = ?", [DUPLICATE, signon_id])
        store._count(db, campaign, site_key, confirmed=-1, paper=-int(source == "paper"))


MIGRATION_13: list[Step] = [
    # One mailbox signs once, and every per-address limit counts mailboxes: the mailbox of each address
    # beside it, and the rules' indexes on it instead of the address.
    "ALTER TABLE signons ADD COLUMN mailbox TEXT",
    "ALTER TABLE outbox ADD COLUMN mailbox TEXT",
    "ALTER TABLE host_logins ADD COLUMN mailbox TEXT",
    _mailboxes,
    "DROP INDEX IF EXISTS signons_one_confirmed",
    "CREATE UNIQUE INDEX signons_one_confirmed ON signons (campaign, mailbox) WHERE status = 'confirmed'",
    "DROP INDEX IF EXISTS idx_signons_campaign_email",
    "DROP INDEX IF EXISTS idx_signons_email_created_at",
    "DROP INDEX IF EXISTS idx_outbox_to_addr_created_at",
    _index("signons", "mailbox", "created_at"),
    _index("outbox", "mailbox", "created_at"),
    _index("host_logins", "mailbox", "created_at"),
]
MIGRATION_14: list[Step] = [
    # Reach every web site. Where a sign-on came from, in the host's own campaign codes (see widget.utm).
    *(f"ALTER TABLE signons ADD COLUMN {name} TEXT" for name in UTM_FIELDS),  # utm_source, utm_medium, utm_campaign
    # The dashboard's signatures per source read this index alone, as those by type and by country.
    "CREATE INDEX signons_site_utm_source ON signons (site_key, status, utm_source)",
    # Embed health: where a site's widget could not show, as the loaders report it (one bounded row per
    # site and page origin, see widget.store.embed_health), and when its host was last mailed about it.
    "CREATE TABLE embed_problems (site_key TEXT NOT NULL, origin TEXT NOT NULL, reason TEXT NOT NULL, "
    "reports INTEGER NOT NULL, first_at DOUBLE PRECISION NOT NULL, last_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (site_key, origin))",
    "CREATE TABLE embed_health_mails (site_key TEXT PRIMARY KEY, mailed_at DOUBLE PRECISION NOT NULL)",
    # The host's choice of that mail, as of the others (on by default: a widget that cannot show is news).
    "ALTER TABLE hosts ADD COLUMN notify_health INTEGER NOT NULL DEFAULT 1",
]
MIGRATION_15: list[Step] = [
    # Ask an organisation: each host's private list, per site, of the organisations it asked to sign. The
    # owner's address is kept with each entry: a list is its host's alone, whoever holds the site later.
    # org_folded is the public list's own spelling of a name (widget.store.listing.fold), to find a sign-on
    # of that name through the site among the listed ones.
    "CREATE TABLE host_asks (id {serial}, site_key TEXT NOT NULL, owner_email TEXT NOT NULL, "
    "organization TEXT NOT NULL, org_folded TEXT NOT NULL, org_type TEXT, note TEXT, "
    "created_at DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX host_asks_site ON host_asks (site_key, owner_email, created_at)",
    # "Has it signed through this site and is it on the public list?": one probe of this index per ask,
    # instead of a walk through the site's whole list.
    f"CREATE INDEX signons_list_site_org ON signons (site_key, org_folded, list_state, confirmed_at) WHERE {_LISTABLE}",
]
MIGRATION_16: list[Step] = [
    # A campaign's whole life. Campaigns written in the desk: their table as the campaigns file would hold it
    # (JSON), with when they open and close beside it, so that a sign-on's transaction reads those two
    # without parsing anything.
    "CREATE TABLE campaigns (slug TEXT PRIMARY KEY, spec TEXT NOT NULL, opens DOUBLE PRECISION, "
    "closes DOUBLE PRECISION, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL, "
    "updated_by TEXT NOT NULL)",
    # The operator's hand on every campaign, file or desk: paused since, closed at, and the closing time an
    # extension set (instead of the written one).
    "CREATE TABLE campaign_life (slug TEXT PRIMARY KEY, paused_at DOUBLE PRECISION, closed_at DOUBLE PRECISION, "
    "closes DOUBLE PRECISION, updated_at DOUBLE PRECISION NOT NULL)",
    # One number that every change of the two tables above moves: each worker reads it (a row by its key)
    # every second or so, and reloads the campaigns only when it moved.
    "CREATE TABLE campaign_revision (id INTEGER PRIMARY KEY, revision BIGINT NOT NULL)",
]
MIGRATION_17: list[Step] = [
    # Integrity at a surge. Block lists: a blocked domain, mailbox or client (its keyed hash, as signons.ip_hash),
    # each with why and who; "kind:value" is the key a sign-on looks up (one probe of this index for all of its
    # domain, mailbox and client at once).
    "CREATE TABLE blocks (id {serial}, target TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, "
    "reason TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL)",
    "CREATE UNIQUE INDEX blocks_target ON blocks (target)",
    # Invalidation: the batch that took a sign-on out of every count (status "invalidated"), and its status before,
    # for a restore. Only invalidated rows are indexed.
    "ALTER TABLE signons ADD COLUMN invalidation TEXT",
    "ALTER TABLE signons ADD COLUMN invalidated_from TEXT",
    "CREATE INDEX signons_invalidation ON signons (invalidation) WHERE invalidation IS NOT NULL",
    # filter: what was asked (JSON: domain, site or client, since, until); size: the sign-ons it took out.
    "CREATE TABLE invalidations (id TEXT PRIMARY KEY, filter TEXT NOT NULL, reason TEXT NOT NULL, "
    "size INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL, "
    "restored_at DOUBLE PRECISION, restored_by TEXT)",
    # Alerts: sign-ons from one client, one domain or through one site in an hour, far above their usual rate;
    # one row (and one mail) per alert.
    "CREATE TABLE alerts (id {serial}, kind TEXT NOT NULL, value TEXT NOT NULL, count INTEGER NOT NULL, "
    "usual DOUBLE PRECISION NOT NULL, since DOUBLE PRECISION NOT NULL, raised_at DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX alerts_kind_value ON alerts (kind, value, raised_at)",
    "CREATE INDEX alerts_raised_at ON alerts (raised_at)",
]
MIGRATION_18: list[Step] = [
    # Commitments followed through. The two optional consents beside the sign-on (the wording's version, or
    # NULL: never given, or withdrawn since): check-ins about the signatory's own commitment, and news of the
    # campaign.
    "ALTER TABLE signons ADD COLUMN checkin_consent TEXT",
    "ALTER TABLE signons ADD COLUMN news_consent TEXT",
    # Each check-in is mailed once whatever the number of senders: the row claims it (number n of the
    # sign-on's schedule), in the transaction that queues its mail.
    "CREATE TABLE checkins_sent (signon_id TEXT NOT NULL, seq INTEGER NOT NULL, sent_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (signon_id, seq))",
    # A progress link carries this row's opaque id; the row makes it single use.
    "CREATE TABLE progress_links (id TEXT PRIMARY KEY, signon_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
    "used_at DOUBLE PRECISION)",
    "CREATE INDEX progress_links_signon ON progress_links (signon_id)",
    # What signatories reported: a status, and an optional update shown once the operator approved it
    # (moderation: pending, approved, rejected; NULL without an update).
    "CREATE TABLE progress_reports (id {serial}, signon_id TEXT NOT NULL, campaign TEXT NOT NULL, "
    "site_key TEXT NOT NULL, status TEXT NOT NULL, update_text TEXT, moderation TEXT, "
    "reported_at DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX progress_reports_campaign ON progress_reports (campaign, reported_at)",
    "CREATE INDEX progress_reports_signon ON progress_reports (signon_id, reported_at)",
    "CREATE INDEX progress_reports_moderation ON progress_reports (moderation, reported_at)",
]
MIGRATION_19: list[Step] = [
    # Running it for years. Bounces: what each e-mail is (its template), and the delivery reports read back.
    "ALTER TABLE outbox ADD COLUMN kind TEXT",
    # One row a mailbox that bounced: hard_at, when mail to it stopped (a hard bounce, or repeated soft ones).
    "CREATE TABLE mailbox_bounces (mailbox TEXT PRIMARY KEY, address TEXT NOT NULL, hard_at DOUBLE PRECISION, "
    "soft_count INTEGER NOT NULL DEFAULT 0, last_at DOUBLE PRECISION NOT NULL, last_kind TEXT NOT NULL, "
    "last_status TEXT)",
    "CREATE INDEX mailbox_bounces_last_at ON mailbox_bounces (last_at)",
    # Each e-mail's bounce counted once per kind, however often its report is read.
    "CREATE TABLE bounce_reports (outbox_id BIGINT NOT NULL, kind TEXT NOT NULL, mailbox TEXT NOT NULL, "
    "at DOUBLE PRECISION NOT NULL, PRIMARY KEY (outbox_id, kind))",
    _index("bounce_reports", "mailbox", "at"),
    # Retention: when a sign-on's contact details were erased (see widget.store.retention), and the key of the
    # hashes its mailbox becomes then (made at the first erasure).
    "ALTER TABLE signons ADD COLUMN erased_at DOUBLE PRECISION",
    "CREATE TABLE store_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)",
]


def _count_log_start(store: Any, db: Any) -> None:
    # Each campaign's log starts with its sign-ons confirmed before the log existed, in the order they were
    # confirmed, so that the log's total is the count from its first day.
    rows, heads = [], {}
    for campaign, public_id, confirmed_at in db.execute(
            "SELECT campaign, public_id, COALESCE(confirmed_at, created_at) FROM signons WHERE status = 'confirmed' "
            "ORDER BY campaign, COALESCE(confirmed_at, created_at), id").fetchall():
        seq, previous = heads.get(campaign, (0, ZERO))
        at = int(confirmed_at)
        digest = entry_hash(campaign, seq + 1, public_id, "confirmed", moment(at), previous)
        heads[campaign] = (seq + 1, digest)
        rows.append((campaign, seq + 1, public_id, "confirmed", at, digest))
    insert = "INSERT INTO count_log (campaign, seq, public_id, event, at, hash) VALUES (?, ?, ?, ?, ?, ?)"
    if store.engine == "postgresql":
        with db.conn.cursor() as cursor:
            cursor.executemany(insert.replace("?", "%s"), rows)
    else:
        db.conn.executemany(insert, rows)


MIGRATION_20: list[Step] = [
    # Counts anyone can check: per campaign, an append-only log of every change of its count, each entry's
    # hash chained to the one before (see widget.store.countlog and widget.ledger), and the signed
    # checkpoints of it. The key is the campaign and the entry's number: reading the last entry is one probe.
    "CREATE TABLE count_log (campaign TEXT NOT NULL, seq BIGINT NOT NULL, public_id TEXT NOT NULL, "
    "event TEXT NOT NULL, at BIGINT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (campaign, seq))",
    "CREATE TABLE count_log_checkpoints (id {serial}, campaign TEXT NOT NULL, size BIGINT NOT NULL, "
    "root TEXT NOT NULL, signed_at BIGINT NOT NULL, signature TEXT NOT NULL, public_key TEXT NOT NULL)",
    "CREATE INDEX count_log_checkpoints_campaign ON count_log_checkpoints (campaign, id)",
    _count_log_start,
    # Verified organisations: the website a sign-on gave, and its registrable domain once the confirmed address
    # proved to be at it (see widget.domains).
    "ALTER TABLE signons ADD COLUMN website TEXT",
    "ALTER TABLE signons ADD COLUMN verified_domain TEXT",
]
MIGRATION_21: list[Step] = [
    # Campaign news from the desk: subject and body per language (JSON), a draft until sent; sent_at is when it
    # started going out (at most one a week per campaign, unless the operator overrides it).
    "CREATE TABLE news_updates (id {serial}, campaign TEXT NOT NULL, texts TEXT NOT NULL, state TEXT NOT NULL, "
    "created_by TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, sent_at DOUBLE PRECISION, "
    "finished_at DOUBLE PRECISION)",
    "CREATE INDEX news_updates_campaign ON news_updates (campaign, sent_at)",
    # Each recipient of an update is mailed once whatever the number of senders: the row claims it, in the
    # transaction that queues its mail.
    "CREATE TABLE news_sent (update_id BIGINT NOT NULL, signon_id TEXT NOT NULL, sent_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (update_id, signon_id))",
    "CREATE INDEX news_sent_signon ON news_sent (signon_id)",
]


#: Schema migrations, applied in order; ``schema_migrations`` records which have run.
MIGRATIONS: list[list[Step]] = [MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4, MIGRATION_5, MIGRATION_6,
                                MIGRATION_7, MIGRATION_8, MIGRATION_9, MIGRATION_10, MIGRATION_11,
                                MIGRATION_12, MIGRATION_13, MIGRATION_14, MIGRATION_15, MIGRATION_16,
                                MIGRATION_17, MIGRATION_18, MIGRATION_19, MIGRATION_20, MIGRATION_21]

#: Every table, in an order where no row refers to a table that comes after it (for ``db copy``).
TABLES = ("sites", "hosts", "signons", "counts", "outbox", "host_logins", "host_sessions", "site_aliases",
          "widget_seen", "milestones_sent", "digests_sent", "webhook_endpoints", "webhook_deliveries",
          "signon_host_starts", "admin_logins", "admin_totp", "admin_recovery_codes", "admin_failures",
          "admin_sessions", "audit_log", "campaigns", "campaign_life", "campaign_revision", "host_asks",
          "mailbox_bounces", "bounce_reports", "store_keys", "embed_problems", "embed_health_mails", "checkins_sent",
          "progress_links", "progress_reports", "blocks", "invalidations", "alerts", "count_log", "count_log_checkpoints",
          "news_updates", "news_sent")
