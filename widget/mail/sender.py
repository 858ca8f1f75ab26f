"""The outbox sender: takes due e-mails from the store and delivers them, retrying with back-off; each round
also delivers the due webhooks (:mod:`widget.webhooks`).

It runs as a thread of the web process (``PLEDGE_MAIL_IN_PROCESS``) or on its own with
``pledge-widget mail worker``; several senders may run at once, since each claims its batch.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from typing import Callable

from .. import metrics
from ..store import Mail
from .transport import DeliveryError, PermanentFailure, ServerUnavailable, Session, Transport

log = logging.getLogger("widget.mail")

#: Seconds before retry number n (the last value repeats): a down server is tried again
#: for as long as it takes, and nothing queued is ever dropped for being late.
BACKOFF = (10, 30, 60, 300, 900, 1800, 3600)
LEASE_SECONDS = 120.0
HOUSEKEEPING_SECONDS = 24 * 3600.0
#: Mails sent are marked so in one transaction for every this many, or this often (see _deliver_batch).
#: One: a sender killed mid-batch then sends again only the mail that was on the wire (tests/test_faults.py);
#: marking 20 at a time was measured faster at a surge (bench/RESULTS.md) but lets a killed sender's next
#: round send up to 20 mails twice, which the project does not accept.
MARK_EVERY = 1
MARK_SECONDS = 0.5


def retry_delay(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts."""
    return BACKOFF[min(attempts, len(BACKOFF) - 1)]


class OutboxSender:
    """Delivers the outbox of one store through one transport."""

    def __init__(
        self,
        store,
        transport: Transport,
        batch: int = 50,
        lease: float = LEASE_SECONDS,
        housekeeping: Callable[[], object] | None = None,
        webhooks=None,
        checkins: Callable[[], object] | None = None,
        checkin_interval: float = 600.0,
        watch: Callable[[], object] | None = None,
        watch_seconds: float = 300.0,
    ):
        self.store = store
        self.transport = transport
        self.batch = batch
        self.lease = lease
        self.housekeeping = housekeeping
        #: A :class:`widget.webhooks.WebhookSender`: each round delivers the due webhooks after the mail.
        self.webhooks = webhooks
        #: Queues the check-ins due (see :mod:`widget.checkins`), every ``checkin_interval`` seconds.
        self.checkins = checkins
        self.checkin_interval = checkin_interval
        #: Looked at every ``watch_seconds`` (the surge alerts: see widget.alerts).
        self.watch = watch
        self.watch_seconds = watch_seconds
        self.wake = threading.Event()

    def deliver_due(self) -> tuple[int, int]:
        """Deliver every e-mail due now, then every webhook due now; return the mail's ``(sent, failed)``."""
        try:
            return self.deliver_mail()
        finally:
            if self.webhooks is not None:
                try:
                    self.webhooks.deliver_due()
                except Exception:  # noqa: BLE001 - webhooks must never stop the mail
                    log.exception("webhook round failed")

    def deliver_mail(self) -> tuple[int, int]:
        """Deliver every e-mail due now, over one session of the transport; return ``(sent, failed)``.

        A mail that fails is given its back-off (or fails for good) and the round goes on with the
        next one; only a server that cannot be reached at all ends the round early.
        """
        sent = failed = 0
        claimer = f"{os.getpid()}-{secrets.token_hex(6)}"
        session = self.transport.session()
        try:
            while True:
                mails = self.store.claim_mail(self.batch, self.lease, claimer)
                if not mails:
                    return sent, failed
                batch_sent, batch_failed, finished = self._deliver_batch(session, mails, claimer)
                sent, failed = sent + batch_sent, failed + batch_failed
                if not finished:
                    return sent, failed
        finally:
            session.close()

    def _deliver_batch(self, session: Session, mails: list[Mail], claimer: str) -> tuple[int, int, bool]:
        """Send one claimed batch; return ``(sent, failed, finished)``, ``finished`` False when the server
        could not be reached and the rest of the batch was given back untried.

        Two writes a mail (renew its claim, mark it sent) made the senders fall behind the sign-ons at a surge
        (each a transaction, with SQLite one at a time): the claim is renewed only once half its lease has
        passed, and the mails sent are marked every :data:`MARK_EVERY` mails or :data:`MARK_SECONDS` (a sender
        that dies meanwhile leaves those not marked to go out again after the lease: twice, never zero times)."""
        sent = failed = 0
        claimed = time.monotonic()
        unmarked: list[int] = []
        marked = time.monotonic()
        try:
            for index, mail in enumerate(mails):
                # A long batch (a slow server): from half its lease on, each mail's claim is renewed first.
                if time.monotonic() - claimed >= self.lease / 2:
                    self._mark(unmarked)
                    if not self.store.renew_claim(mail.id, claimer, self.lease):
                        continue  # this batch took longer than the lease and another sender has this mail
                try:
                    session.send(mail)
                except PermanentFailure as exc:
                    log.warning("mail %s refused for good: %s", mail.id, exc)
                    self.store.mark_attempt_failed(mail.id, str(exc), None)
                    metrics.MAILS_FAILED.inc()
                    failed += 1
                except ServerUnavailable as exc:
                    self._retry_later(mail, exc)
                    # No point trying the rest now: give them back for the next round, untried.
                    self.store.release_claims([m.id for m in mails[index + 1 :]], claimer)
                    return sent, failed + 1, False
                except Exception as exc:  # noqa: BLE001 - any other error concerns this mail only: try it later
                    self._retry_later(mail, exc)
                    failed += 1
                else:
                    unmarked.append(mail.id)
                    metrics.MAILS_SENT.inc()
                    sent += 1
                    if len(unmarked) >= MARK_EVERY or time.monotonic() - marked >= MARK_SECONDS:
                        self._mark(unmarked)
                        marked = time.monotonic()
            return sent, failed, True
        finally:
            self._mark(unmarked)

    def _mark(self, unmarked: list[int]) -> None:
        self.store.mark_sent_many(unmarked)
        unmarked.clear()

    def _retry_later(self, mail: Mail, exc: Exception) -> None:
        delay = retry_delay(mail.attempts)
        reason = str(exc) if isinstance(exc, DeliveryError) else f"{exc.__class__.__name__}: {exc}"
        log.warning("mail %s not delivered (%s); retrying in %ss", mail.id, reason, delay)
        self.store.mark_attempt_failed(mail.id, reason, time.time() + delay)
        metrics.MAIL_RETRIES.inc()

    def run(self, stop: threading.Event, poll_seconds: float) -> None:
        """Deliver until ``stop`` is set, waking early when :attr:`wake` is set (a new sign-on)."""
        next_housekeeping = next_checkins = next_watch = 0.0
        while not stop.is_set():
            try:
                self.deliver_due()
                if self.housekeeping is not None and time.monotonic() >= next_housekeeping:
                    self.housekeeping()
                    next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
                if self.watch is not None and time.monotonic() >= next_watch:
                    self.watch()
                    next_watch = time.monotonic() + self.watch_seconds
            except Exception:  # noqa: BLE001 - a locked or missing database must not kill the sender
                log.exception("outbox round failed")
            if self.checkins is not None and time.monotonic() >= next_checkins:
                next_checkins = time.monotonic() + self.checkin_interval
                try:
                    if self.checkins():
                        continue  # deliver them now, not a poll later
                except Exception:  # noqa: BLE001 - check-ins must never stop the mail
                    log.exception("check-in round failed")
            self.wake.wait(poll_seconds)
            self.wake.clear()

    def start_thread(self, poll_seconds: float) -> threading.Thread:
        """Run :meth:`run` in a daemon thread (the web process's in-process sender)."""
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop, poll_seconds), name="pledge-mail", daemon=True)
        thread.stop = stop  # type: ignore[attr-defined]
        thread.start()
        return thread
