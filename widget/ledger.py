"""The count log's format: what each entry's hash and each checkpoint's signature cover, and its Ed25519 key.

Every change of a campaign's count (a sign-on confirmed, withdrawn, invalidated or restored) appends an entry
to that campaign's log, in the transaction of the count it records (see :mod:`widget.store.countlog`). Each
entry's hash covers the one before it, and a checkpoint signs the log's size and last hash: whoever keeps a
copy of the log or of a checkpoint can tell if an entry was later changed, removed or slipped in. This module
is the whole format, shared by the service that writes the log and by ``pledge-widget log verify`` that checks
one from outside; docs/count-log.md says the same for those who write their own verifier.

An entry's hash is the SHA-256 (lowercase hex) of the UTF-8 text of these lines, joined by ``\\n`` (no final
one)::

    pledge-widget-count-log/1
    <campaign>           the campaign's slug
    <seq>                1, 2, 3... in decimal
    <public_id>          the sign-on's public id (16 lowercase hex digits)
    <event>              confirmed | withdrawn | invalidated | restored
    <at>                 when, as 2026-12-07T05:00:00Z (UTC, to the second)
    <previous hash>      the hash of entry seq - 1; 64 zeros for entry 1

A checkpoint's signature is Ed25519 over the UTF-8 text of::

    pledge-widget-count-log-checkpoint/1
    <campaign>
    <size>               how many entries the log had
    <root>               the hash of entry <size>; 64 zeros for an empty log
    <signed_at>          2026-12-07T05:00:00Z

hex-encoded (128 digits), with the raw public key (32 bytes) hex-encoded too (64 digits).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

#: What the log records: the first and the last add one to the count, the two others take one away.
EVENTS = ("confirmed", "withdrawn", "invalidated", "restored")
#: Each event's effect on the count.
EFFECT = {"confirmed": 1, "withdrawn": -1, "invalidated": -1, "restored": 1}
#: The hash before the first entry, and the root of an empty log.
ZERO = "0" * 64
ENTRY_TAG = "pledge-widget-count-log/1"
CHECKPOINT_TAG = "pledge-widget-count-log-checkpoint/1"
#: The file of the instance (data) folder the generated key is kept in (when PLEDGE_LOG_KEY is unset).
KEY_FILE = "log_key"


def moment(timestamp: float) -> str:
    """``2026-12-07T05:00:00Z``: the only spelling of a time the log knows (whole seconds, UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(timestamp)))


def entry_hash(campaign: str, seq: int, public_id: str, event: str, at: str, previous: str) -> str:
    """The hash of one entry (see the module's docstring); ``at`` as :func:`moment` writes it."""
    text = "\n".join((ENTRY_TAG, campaign, str(seq), public_id, event, at, previous))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def checkpoint_message(campaign: str, size: int, root: str, signed_at: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return "\n".join((CHECKPOINT_TAG, campaign, str(size), root, signed_at)).encode("utf-8")


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of a campaign's log: ``size`` entries, the last one's hash ``root``."""

    campaign: str
    size: int
    root: str
    signed_at: str
    signature: str  # hex
    public_key: str  # hex, raw 32 bytes

    def as_json(self) -> dict:
        """What ``/log/checkpoint`` answers."""
        return {"campaign": self.campaign, "size": self.size, "root": self.root, "signed_at": self.signed_at,
                "signature": self.signature, "public_key": self.public_key, "algorithm": "Ed25519"}


def public_key_hex(key: Ed25519PrivateKey) -> str:
    """The raw public key of ``key``, hex."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(key: Ed25519PrivateKey, campaign: str, size: int, root: str, signed_at: float) -> Checkpoint:
    """A checkpoint of ``campaign``'s log at ``size`` entries whose last hash is ``root``."""
    when = moment(signed_at)
    signature = key.sign(checkpoint_message(campaign, size, root, when)).hex()
    return Checkpoint(campaign, size, root, when, signature, public_key_hex(key))


def signature_holds(checkpoint: Checkpoint) -> bool:
    """Whether the checkpoint's signature is its public key's, over its own fields."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(checkpoint.public_key))
        key.verify(bytes.fromhex(checkpoint.signature),
                   checkpoint_message(checkpoint.campaign, checkpoint.size, checkpoint.root, checkpoint.signed_at))
    except (ValueError, InvalidSignature):
        return False
    return True


class LogKeyError(RuntimeError):
    """No signing key can be had: PLEDGE_LOG_KEY unset where none may be generated, or unreadable."""


def read_key(text: str) -> Ed25519PrivateKey:
    """A key as PLEDGE_LOG_KEY and the generated file hold it: the 32-byte private key, base64 (either
    alphabet, padding optional)."""
    raw = text.strip()
    try:
        seed = base64.urlsafe_b64decode(raw.replace("+", "-").replace("/", "_") + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise LogKeyError("PLEDGE_LOG_KEY must be a 32-byte Ed25519 private key in base64, e.g. "
                          "python3 -c 'import os, base64; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'")
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_key(configured: str | None, instance_path: str, database_url: str) -> Ed25519PrivateKey:
    """The log's signing key: PLEDGE_LOG_KEY, else the key generated once into the instance (data) folder,
    as the secret key is. Several nodes (PostgreSQL) must share one key: none is generated for them."""
    if configured:
        return read_key(configured)
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        if not str(database_url).startswith("sqlite:"):
            raise LogKeyError("PLEDGE_DATABASE is shared by several nodes: set the same PLEDGE_LOG_KEY on every one "
                              "to sign the count log's checkpoints, e.g. python3 -c 'import os, base64; "
                              "print(base64.urlsafe_b64encode(os.urandom(32)).decode())'")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked to its own: a worker starting at the same moment
        # either finds no key, or a complete one (and then uses it), never half a file.
        partial = path.with_name(f"{KEY_FILE}.{os.getpid()}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)).decode())
        try:
            os.link(partial, path)
        except FileExistsError:  # another worker made it a moment ago: use theirs
            pass
        else:
            logging.getLogger("widget").warning(
                "No PLEDGE_LOG_KEY set: generated the count log's signing key and saved it in %s. Keep it safe.", path)
        finally:
            partial.unlink()
    return read_key(path.read_text())
