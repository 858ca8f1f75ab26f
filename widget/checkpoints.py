"""Signing the count log's checkpoints: on demand (``pledge-widget log checkpoint``) and once a day by the
senders' housekeeping. A checkpoint states a campaign's log size and last hash at one moment, signed with the
log key (see :mod:`widget.ledger`); anyone who kept one can later prove that the log was rewritten."""
from __future__ import annotations

import logging
import time
from typing import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .ledger import Checkpoint, LogKeyError, sign
from .store.sql import SQLStore

log = logging.getLogger("widget")

#: The housekeeping signs a campaign's log again once its last checkpoint is this old (a little less than a
#: day: the housekeeping itself runs every 24 hours per sender).
CHECKPOINT_EVERY = 20 * 3600


def sign_checkpoint(store: SQLStore, key: Ed25519PrivateKey, campaign: str, now: float | None = None) -> Checkpoint:
    """Sign ``campaign``'s log as it is now, keep the checkpoint, and return it."""
    now = time.time() if now is None else now
    size, root = store.count_log_head(campaign)
    checkpoint = sign(key, campaign, size, root, now)
    store.add_checkpoint(checkpoint, now)
    return checkpoint


def sign_due(store: SQLStore, key: Callable[[], Ed25519PrivateKey], now: float | None = None) -> list[Checkpoint]:
    """Sign every campaign's log whose last checkpoint is older than :data:`CHECKPOINT_EVERY` (or that has
    none); ``key`` is asked for only when one is due. Without a key (see :func:`widget.ledger.load_key`) a
    warning says why and nothing is signed. Several senders may run this at once: at worst a log gets two
    checkpoints."""
    now = time.time() if now is None else now
    due = [campaign for campaign, last in store.count_log_campaigns()
           if last is None or now - last >= CHECKPOINT_EVERY]
    if not due:
        return []
    try:
        signing_key = key()
    except LogKeyError as exc:
        log.warning("count log checkpoints not signed: %s", exc)
        return []
    return [sign_checkpoint(store, signing_key, campaign, now) for campaign in due]
