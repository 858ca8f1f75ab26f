"""Telling bots and floods apart from people, without telling them anything back.

Whatever is decided here, the visitor sees the ordinary "check your inbox" answer: a bot learns
nothing from trying, and nobody learns whether an address has signed.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from .store import Limits

# Hidden from people (and screen readers); bots fill every field. Not "website": that is the sign-on form's own
# field for an organisation's website (see widget.domains).
HONEYPOT_FIELD = "homepage"


def limits_from_config(config: Mapping[str, Any]) -> Limits:
    """The sign-on and mail limits of ``PLEDGE_LIMIT_*`` / ``PLEDGE_MAILS_*`` (0 means no limit)."""

    def value(key: str) -> int | None:
        return int(config[key]) or None

    return Limits(
        per_email_per_day=value("PLEDGE_LIMIT_EMAIL_PER_DAY"),
        per_site_per_hour=value("PLEDGE_LIMIT_SITE_PER_HOUR"),
        per_ip_per_day=value("PLEDGE_LIMIT_IP_PER_DAY"),
        mails_per_address_per_day=value("PLEDGE_MAILS_PER_ADDRESS_PER_DAY"),
    )


def looks_like_a_bot(form_data: Mapping[str, str], issued_at: float | None, min_fill_seconds: float) -> bool:
    """A filled honeypot, or a form sent back faster than a person can fill it in."""
    if form_data.get(HONEYPOT_FIELD):
        return True
    return issued_at is not None and time.time() - issued_at < min_fill_seconds


def client_hash(secret: str, address: str | None) -> str | None:
    """A keyed hash of the client's IP address: enough to count its sign-ons, useless to anyone else."""
    if not address:
        return None
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


@contextmanager
def no_sooner_than(seconds: float) -> Iterator[None]:
    """Run the block, then wait until ``seconds`` have passed since it started: an answer that takes the
    same time whatever the block did (mail a known address, or nothing for a stranger)."""
    started = time.monotonic()
    yield
    time.sleep(max(0.0, seconds - (time.monotonic() - started)))
