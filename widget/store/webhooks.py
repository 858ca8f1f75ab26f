"""Webhook endpoints and their outbox of deliveries (a part of :class:`widget.store.sql.SQLStore`).

An endpoint belongs to a campaign (registered by the operator) or to a site (its host's). Each confirmation
and each withdrawal of a confirmed sign-on writes one delivery row per matching endpoint, in the transaction
of the change itself: nothing accepted is lost. Senders claim due deliveries with leases, as they claim mail.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..utm import UTM_FIELDS
from .records import SignOn, new_id

ENDPOINT_COLUMNS = ("id, campaign, site_key, url, secret, owner_email, created_at, disabled_at, disabled_reason, "
                    "failing_since")
#: An endpoint that has failed every attempt for this long is switched off.
DISABLE_AFTER = 3 * 24 * 3600.0
ERROR_EXCERPT = 200


@dataclass(frozen=True)
class Endpoint:
    """Where the events of a campaign or of a site are delivered."""

    id: int
    campaign: str | None
    site_key: str | None
    url: str
    secret: str
    owner_email: str | None
    created_at: float
    disabled_at: float | None = None
    disabled_reason: str | None = None
    failing_since: float | None = None

    @property
    def target(self) -> str:
        return f"campaign:{self.campaign}" if self.campaign else f"site:{self.site_key}"


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one endpoint (``event_id`` is the same at every attempt)."""

    id: int
    endpoint_id: int
    event_id: str
    event_type: str
    payload: str
    attempts: int
    url: str
    secret: str


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def webhook_payload(event_type: str, signon: SignOn, when: float, signed_at: float | None) -> dict[str, Any]:
    """The body of an event: contact details only when the signatory agreed the host may contact them."""
    data: dict[str, Any] = {
        "id": signon.id,
        "campaign": signon.campaign,
        "site": signon.site_key,
        "organization": signon.answers.get("organization"),
        "org_type": signon.answers.get("org_type"),
        "country": signon.answers.get("country"),
        "signed_at": iso(signed_at) if signed_at else None,
        "source": signon.source,
        # Where it came from, in the host's own codes (null when not given).
        **{name: signon.utm.get(name) for name in UTM_FIELDS},
    }
    if signon.contact_consent:
        data["name"] = signon.answers.get("name")
        data["email"] = signon.email if signon.has_email else None
        data["lang"] = signon.lang
    return {"type": event_type, "timestamp": iso(when), "data": data}


class WebhookTables:
    """Webhook endpoints and deliveries. Mixed into the store, whose ``query()``, ``write()`` and ``CLAIM`` it uses."""

    query: Any
    write: Any
    CLAIM: str
    _insert: Any

    # -- endpoints -------------------------------------------------------------------------------

    def add_webhook(self, url: str, secret: str, campaign: str | None = None, site_key: str | None = None,
                    owner_email: str | None = None, at_most: int | None = None) -> Endpoint | None:
        """Register an endpoint; None when its campaign or site has ``at_most`` endpoints already."""
        if (campaign is None) == (site_key is None):
            raise ValueError("a webhook belongs to one campaign or one site")
        now = time.time()
        column, target = ("campaign", campaign) if campaign is not None else ("site_key", site_key)
        with self.write(f"webhooks:{column}:{target}") as db:  # counted and added under one lock: exact
            if at_most is not None and db.execute(
                    f"SELECT COUNT(*) FROM webhook_endpoints WHERE {column} = ?", [target]).fetchone()[0] >= at_most:
                return None
            row = db.execute(
                "INSERT INTO webhook_endpoints (campaign, site_key, url, secret, owner_email, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id", [campaign, site_key, url, secret, owner_email, now],
            ).fetchone()
        return self.get_webhook(row[0])

    def get_webhook(self, endpoint_id: int) -> Endpoint | None:
        rows = self.query(f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?", [endpoint_id])
        return Endpoint(*rows[0]) if rows else None

    def list_webhooks(self, site_key: str | None = None) -> list[Endpoint]:
        where, params = ("WHERE site_key = ?", [site_key]) if site_key else ("", [])
        return [Endpoint(*row) for row in self.query(
            f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints {where} ORDER BY id", params)]

    def remove_webhook(self, endpoint_id: int) -> bool:
        """Delete an endpoint and its deliveries (sent or not)."""
        with self.write() as db:
            db.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = ?", [endpoint_id])
            return bool(db.execute("DELETE FROM webhook_endpoints WHERE id = ?", [endpoint_id]).rowcount)

    def last_webhook_status(self, endpoint_id: int) -> dict[str, Any] | None:
        """The latest delivery attempted to an endpoint: ``event_type``, ``status`` (HTTP or None),
        ``error``, ``delivered``, ``attempts``."""
        rows = self.query(
            "SELECT event_type, last_status, last_error, delivered_at, attempts FROM webhook_deliveries "
            "WHERE endpoint_id = ? AND attempts > 0 ORDER BY id DESC LIMIT 1", [endpoint_id])
        if not rows:
            return None
        event_type, status, error, delivered_at, attempts = rows[0]
        return {"event_type": event_type, "status": status, "error": error, "delivered": delivered_at is not None,
                "attempts": attempts}

    def recent_deliveries(self, endpoint_id: int, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT id, event_id, event_type, created_at, attempts, delivered_at, last_status, last_error "
            "FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?", [endpoint_id, limit])
        keys = ("id", "event_id", "event_type", "created_at", "attempts", "delivered_at", "last_status", "last_error")
        return [dict(zip(keys, row)) for row in rows]

    # -- events (in the caller's transaction) ----------------------------------------------------

    def _enqueue_webhooks(self, db: Any, event_type: str, signon: SignOn, signed_at: float | None,
                          extra: dict[str, Any] | None = None) -> int:
        """Queue one delivery of this event per live endpoint of the sign-on's site and campaign (``extra``:
        more of the event's ``data``, e.g. the ``progress`` of ``progress.reported``)."""
        endpoints = db.execute(
            "SELECT id FROM webhook_endpoints WHERE disabled_at IS NULL AND (site_key = ? OR campaign = ?) ORDER BY id",
            [signon.site_key, signon.campaign],
        ).fetchall()
        if not endpoints:
            return 0
        now = time.time()
        event = webhook_payload(event_type, signon, now, signed_at)
        event["data"].update(extra or {})
        payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        event_id = "msg_" + new_id(18)
        for (endpoint_id,) in endpoints:
            self._insert(db, "webhook_deliveries", {
                "endpoint_id": endpoint_id, "signon_id": signon.id, "event_id": event_id, "event_type": event_type,
                "payload": payload,
                "created_at": now, "attempts": 0, "next_attempt_at": now,
            })
        return len(endpoints)

    # -- the sender's side -----------------------------------------------------------------------

    def claim_webhooks(self, limit: int, lease: float, claimer: str) -> list[Delivery]:
        """Take up to ``limit`` due deliveries of live endpoints for ``lease`` seconds (as :meth:`claim_mail`)."""
        now = time.time()
        with self.write() as db:
            rows = db.execute(
                "SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until < ?) "
                "AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE disabled_at IS NULL) "
                f"ORDER BY attempts, id LIMIT ? {self.CLAIM}",
                [now, now, limit],
            ).fetchall()
            if not rows:
                return []
            ids = [row[0] for row in rows]
            marks = ", ".join("?" * len(ids))
            db.execute(f"UPDATE webhook_deliveries SET claimed_until = ?, claimed_by = ? WHERE id IN ({marks})",
                       [now + lease, claimer, *ids])
            claimed = db.execute(
                "SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts, e.url, e.secret "
                f"FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id IN ({marks}) "
                "ORDER BY d.attempts, d.id", ids,
            ).fetchall()
        return [Delivery(*row) for row in claimed]

    def renew_webhook_claim(self, delivery_id: int, claimer: str, lease: float) -> bool:
        with self.write() as db:
            return bool(db.execute(
                "UPDATE webhook_deliveries SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND delivered_at IS NULL",
                [time.time() + lease, delivery_id, claimer]).rowcount)

    def mark_webhook_delivered(self, delivery: Delivery, status: int) -> None:
        now = time.time()
        with self.write() as db:
            db.execute("UPDATE webhook_deliveries SET delivered_at = ?, attempts = attempts + 1, last_status = ?, "
                       "last_error = NULL, claimed_until = NULL, claimed_by = NULL WHERE id = ?",
                       [now, status, delivery.id])
            db.execute("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?", [delivery.endpoint_id])

    def mark_webhook_failed(self, delivery: Delivery, status: int | None, error: str, retry_at: float,
                            disable_after: float = DISABLE_AFTER) -> Endpoint | None:
        """Record a failed attempt, due again at ``retry_at``. Returns the endpoint if this failure switched it
        off (it had failed every attempt for ``disable_after`` seconds), else None."""
        now = time.time()
        with self.write() as db:
            db.execute("UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, "
                       "next_attempt_at = ?, claimed_until = NULL, claimed_by = NULL WHERE id = ?",
                       [status, error[:ERROR_EXCERPT], retry_at, delivery.id])
            db.execute("UPDATE webhook_endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL",
                       [now, delivery.endpoint_id])
            disabled = db.execute(
                "UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ? WHERE id = ? "
                "AND disabled_at IS NULL AND failing_since <= ? RETURNING id",
                [now, f"every delivery failed for {disable_after / 86400:g} days; last error: {error[:ERROR_EXCERPT]}",
                 delivery.endpoint_id, now - disable_after],
            ).fetchone()
        return self.get_webhook(delivery.endpoint_id) if disabled else None

    def purge_webhook_deliveries(self, older_than: float) -> int:
        """Delete deliveries made before ``older_than``, and those of switched-off endpoints (their payloads
        may hold contact details: kept no longer than needed). Returns how many."""
        with self.write() as db:
            return db.execute(
                "DELETE FROM webhook_deliveries WHERE created_at < ? AND (delivered_at IS NOT NULL OR endpoint_id IN "
                "(SELECT id FROM webhook_endpoints WHERE disabled_at IS NOT NULL))", [older_than]).rowcount
