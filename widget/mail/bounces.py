"""Bounces: where delivery reports come back (VERP), and reading them (``pledge-widget mail bounces``).

With ``PLEDGE_BOUNCE_ADDRESS`` (say ``bounces+{id}@mail.example.org``) each e-mail's envelope sender (where
servers send their reports) names the outbox row it came from: ``{id}`` becomes the row's number and a keyed
hash of it (``bounces+2a-3f9c0d1e2b4a5c6d@...``), lower case, since some servers lower-case what they return.
A report comes back to that address; nobody can make one up for another e-mail, which would need the hash.
The From header stays ``PLEDGE_MAIL_FROM``.

:func:`read_reports` reads reports from a Maildir, an mbox or one message (standard input, as an MTA's pipe
gives it), tells delivery status notifications from other mail with ``flufl.bounce`` (RFC 3464 reports,
and the formats of common servers), and hands each to the store (:meth:`record_bounce`): a permanent failure
is a hard bounce, a temporary one (``delayed``, a full mailbox) a soft one. Anything else (an auto-reply,
spam) is ignored and counted.
"""
from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import mailbox as mailboxes
import re
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, BinaryIO, Iterable, Iterator, Mapping

from flufl.bounce import all_failures

from .. import metrics

#: Where an MTA writes the address a message was delivered to (the first ones are the most reliable).
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "X-Delivered-To", "To")
#: What a local delivery agent sets for a pipe (Postfix's local(8), for one).
RECIPIENT_VARIABLES = ("ORIGINAL_RECIPIENT", "RECIPIENT")
#: The hash's length in hex digits (64 bits: unguessable, short enough for a local part of 64 characters).
HASH_DIGITS = 16
STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
#: What a message read was: a report acted on (hard, soft), read before (repeat), about an e-mail we no
#: longer have (unknown), without a valid bounce address (unverified), or not a report at all (ignored).
OUTCOMES = ("hard", "soft", "repeat", "unknown", "unverified", "ignored")


class BounceAddressError(ValueError):
    """``PLEDGE_BOUNCE_ADDRESS`` cannot work; the message says why."""


class VERP:
    """The envelope senders of ``PLEDGE_BOUNCE_ADDRESS``, signed with ``keys`` (the first signs, all verify)."""

    def __init__(self, pattern: str, keys: list[str]):
        local, at, domain = pattern.rpartition("@")
        if not at or local.count("{id}") != 1 or "{id}" in domain or not domain:
            raise BounceAddressError(f"PLEDGE_BOUNCE_ADDRESS must be an address with {{id}} once in its local "
                                     f"part, such as bounces+{{id}}@mail.example.org, not {pattern!r}")
        self.pattern = pattern
        # One key per purpose, derived from the service's: a bounce hash is good for nothing else.
        self.keys = [hmac.new(key.encode(), b"pledge-widget bounce address", hashlib.sha256).digest() for key in keys]
        before, after = (re.escape(part) for part in local.split("{id}"))
        self.address = re.compile(rf"{before}(?P<id>[0-9a-f]+)-(?P<hash>[0-9a-f]{{{HASH_DIGITS}}}){after}@"
                                  rf"{re.escape(domain)}", re.IGNORECASE)

    def _hash(self, key: bytes, outbox_id: int) -> str:
        return hmac.new(key, str(outbox_id).encode(), hashlib.sha256).hexdigest()[:HASH_DIGITS]

    def sender(self, outbox_id: int) -> str:
        """The envelope sender of the e-mail ``outbox_id``."""
        return self.pattern.replace("{id}", f"{outbox_id:x}-{self._hash(self.keys[0], outbox_id)}")

    def envelope(self, mail: Any) -> str:
        """:meth:`sender` of a mail taken from the outbox (its ``id``)."""
        return self.sender(mail.id)

    def outbox_id(self, text: str) -> int | None:
        """The outbox row named by a bounce address in ``text`` whose hash is right, or None."""
        for found in self.address.finditer(text):
            outbox_id = int(found.group("id"), 16)
            given = found.group("hash").lower()
            if any(hmac.compare_digest(given, self._hash(key, outbox_id)) for key in self.keys):
                return outbox_id
        return None


@dataclass
class Report:
    """What one message read was (one of :data:`OUTCOMES`), and about which e-mail."""

    outcome: str
    outbox_id: int | None = None
    status: str | None = None


@dataclass
class Summary:
    """What a run of ``mail bounces`` read: how many messages of each outcome."""

    counts: Counter = field(default_factory=Counter)

    @property
    def read(self) -> int:
        return sum(self.counts.values())


def delivery_status(message: Message) -> str | None:
    """The first status code (``5.1.1``) of the report's machine-readable part, if it has one."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload() if part.is_multipart() else [part]:
                found = STATUS.search(str(block.get("Status", "")))
                if found:
                    return found.group(1)
    return None


def classify(message: Message, verp: VERP, environ: Mapping[str, str] | None = None) -> Report:
    """What ``message`` is: a hard or soft bounce of one of our e-mails (``outcome`` ``hard`` or ``soft``,
    with its ``outbox_id``), a report without a valid bounce address (``unverified``), or not a report
    (``ignored``). ``environ``: a pipe's environment, which may name the address delivered to."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # noqa: BLE001 - a message no detector can read is no report of ours
        return Report("ignored")
    if not temporary and not permanent:
        return Report("ignored")
    places = [str(value) for name in RECIPIENT_HEADERS for value in message.get_all(name, [])]
    places += [environ.get(name, "") for name in RECIPIENT_VARIABLES] if environ else []
    outbox_id = next((found for found in map(verp.outbox_id, places) if found is not None), None)
    if outbox_id is None:
        return Report("unverified")
    return Report("hard" if permanent else "soft", outbox_id, delivery_status(message))


def parse(data: bytes) -> Message:
    # compat32 messages: what flufl.bounce's detectors read.
    return email.message_from_bytes(data, policy=email.policy.compat32)


def from_maildir(path: str) -> Iterator[tuple[Message, Any]]:
    """The messages of a Maildir not read before (no ``S`` flag), each with a function that marks it read
    (moved to ``cur/`` with the flag ``S``: a second run skips it)."""
    folder = mailboxes.Maildir(path, factory=None, create=False)
    for key in list(folder.iterkeys()):
        try:
            message = folder.get_message(key)
        except KeyError:  # taken away meanwhile (another reader)
            continue
        if "S" in message.get_flags():
            continue

        def seen(key: str = key, message: mailboxes.MaildirMessage = message) -> None:
            message.set_subdir("cur")
            message.add_flag("S")
            folder[key] = message

        yield parse(message.as_bytes()), seen


def from_mbox(path: str) -> Iterator[tuple[Message, Any]]:
    """Every message of an mbox file (left as it is: reading one twice counts nothing twice)."""
    folder = mailboxes.mbox(path, create=False)
    try:
        for key in folder.iterkeys():
            yield parse(folder.get_bytes(key)), None
    finally:
        folder.close()


def from_stream(stream: BinaryIO) -> Iterator[tuple[Message, Any]]:
    """The one message of a stream (standard input, from an MTA's pipe)."""
    yield parse(stream.read()), None


def read_reports(messages: Iterable[tuple[Message, Any]], verp: VERP, store: Any,
                 environ: Mapping[str, str] | None = None) -> tuple[Summary, list[Report]]:
    """Classify each message and record the bounces in ``store``; return the summary and each report."""
    summary, reports = Summary(), []
    for message, seen in messages:
        report = classify(message, verp, environ)
        if report.outbox_id is not None:
            report.outcome = store.record_bounce(report.outbox_id, report.outcome, report.status)
        summary.counts[report.outcome] += 1
        metrics.BOUNCES.labels(report.outcome).inc()
        reports.append(report)
        if seen is not None:
            seen()
    return summary, reports
