"""Checking a campaign's count log from outside, over HTTP (``pledge-widget log verify URL``), as anyone may:
it needs nothing of the service but its public API.

It reads every page of ``/api/v1/campaigns/<campaign>/log`` and replays the chain (each entry's number, event
and hash, see :mod:`widget.ledger`), checks the last checkpoint's signature and that its root is the hash of
the entry it names, and that the campaign's ``total`` (``GET /api/v1/campaigns/<campaign>``) is the log's
confirmed - withdrawn - invalidated + restored. Sign-ons confirmed while it reads, or a count kept a few seconds
by a cache, move one side before the other: the total is read again, and the log read on from where it
stopped, a few times before it is called wrong.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable

from .ledger import EFFECT, EVENTS, ZERO, Checkpoint, entry_hash, signature_holds

#: Seconds one request may take.
TIMEOUT = 30.0
#: How often the total is read again when it differs from the log, and the wait between two reads.
TOTAL_TRIES = 5
TOTAL_WAIT = 2.0
#: At most this many pages (of 1,000 entries) are read: a log of ten million entries.
MAX_PAGES = 10_000


class LogCheckError(Exception):
    """The log does not hold: the message names the first broken entry (or what else is wrong)."""


class Unreachable(LogCheckError):
    """The log could not be read (no answer, not JSON, not the API's shape): nothing is known of it."""


@dataclass
class Replay:
    """What was read of a campaign's log so far: its size, last hash, total and each entry's hash."""

    campaign: str
    size: int = 0
    head: str = ZERO
    total: int = 0
    hashes: list[str] = field(default_factory=list)  # hashes[n - 1]: entry n's

    def add(self, entry: Any) -> None:
        """Replay one entry as the API gives it, or raise naming it."""
        expected = self.size + 1
        if not isinstance(entry, dict):
            raise LogCheckError(f"entry {expected}: not an object")
        seq, public_id, event, at, digest = (entry.get(name) for name in ("seq", "public_id", "event", "at", "hash"))
        if seq != expected:
            raise LogCheckError(f"entry {expected}: numbered {seq!r} (missing or out of order)")
        if event not in EVENTS or not all(isinstance(v, str) for v in (public_id, at, digest)):
            raise LogCheckError(f"entry {seq}: malformed ({entry!r})")
        if entry_hash(self.campaign, seq, public_id, event, at, self.head) != digest:
            raise LogCheckError(f"entry {seq}: its hash does not match its fields and the previous entry's hash")
        self.size, self.head = seq, digest
        self.total += EFFECT[event]
        self.hashes.append(digest)


@dataclass(frozen=True)
class Verified:
    """A log that holds: its size and total, and the checkpoint checked (None: none was signed yet)."""

    campaign: str
    size: int
    total: int
    checkpoint: Checkpoint | None


def campaign_url(url: str) -> str:
    """``https://host/.../api/v1/campaigns/<campaign>`` from that URL or its ``/log`` or ``/log/checkpoint``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unreachable(f"not an http(s) URL: {url!r}")
    path = parts.path.rstrip("/")
    for suffix in ("/log/checkpoint", "/log"):
        path = path.removesuffix(suffix)
    if "/api/v1/campaigns/" not in path:
        raise Unreachable(f"not a campaign's API address (…/api/v1/campaigns/<campaign>[/log]): {url!r}")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def get_json(url: str) -> tuple[int, Any]:
    """``(status, parsed body)`` of a GET (a 404's body too)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "pledge-widget log verify"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only, checked
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unreachable(f"cannot read {url}: {exc}") from None


def verify(url: str, fetch: Callable[[str], tuple[int, Any]] = get_json,
           sleep: Callable[[float], None] = time.sleep) -> Verified:
    """Check a campaign's log at ``url`` (see the module's docstring); raise :class:`LogCheckError` naming the
    first thing that does not hold."""
    base = campaign_url(url)
    campaign = urllib.parse.unquote(base.rsplit("/", 1)[1])
    replay = Replay(campaign)
    total = None
    for attempt in range(TOTAL_TRIES):
        if attempt:
            sleep(TOTAL_WAIT)
        total = _total(fetch, base)
        _read_on(fetch, base, replay)
        if total == replay.total:
            break
    else:
        raise LogCheckError(f"the count API says {total}, the log's {replay.size} entries add up to {replay.total} "
                            "(confirmed - withdrawn - invalidated + restored)")
    checkpoint = _checkpoint(fetch, base, replay)
    return Verified(campaign, replay.size, replay.total, checkpoint)


def _total(fetch: Callable[[str], tuple[int, Any]], base: str) -> int:
    status, body = fetch(base)
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("total"), int):
        raise Unreachable(f"no count at {base} (HTTP {status})")
    return body["total"]


def _read_on(fetch: Callable[[str], tuple[int, Any]], base: str, replay: Replay) -> None:
    """Read the log's pages after the entries already replayed, to its end."""
    for _page in range(MAX_PAGES):
        status, body = fetch(f"{base}/log?after={replay.size}")
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("entries"), list):
            raise Unreachable(f"no log at {base}/log?after={replay.size} (HTTP {status})")
        if not body["entries"]:
            return
        for entry in body["entries"]:
            replay.add(entry)
    raise LogCheckError(f"more than {MAX_PAGES} pages: stopped reading")


def _checkpoint(fetch: Callable[[str], tuple[int, Any]], base: str, replay: Replay) -> Checkpoint | None:
    status, body = fetch(f"{base}/log/checkpoint")
    if status == 404:
        return None
    names = ("campaign", "size", "root", "signed_at", "signature", "public_key")
    if status != 200 or not isinstance(body, dict) or not all(name in body for name in names):
        raise LogCheckError(f"no checkpoint at {base}/log/checkpoint (HTTP {status})")
    checkpoint = Checkpoint(*(body[name] for name in names))
    if not isinstance(checkpoint.size, int) or not all(isinstance(getattr(checkpoint, name), str)
                                                      for name in names if name != "size"):
        raise LogCheckError("the checkpoint is malformed")
    if checkpoint.campaign != replay.campaign:
        raise LogCheckError(f"the checkpoint is of another campaign ({checkpoint.campaign!r})")
    if not signature_holds(checkpoint):
        raise LogCheckError("the checkpoint's signature does not hold")
    if not 0 <= checkpoint.size <= replay.size:
        raise LogCheckError(f"the checkpoint names {checkpoint.size} entries, the log has {replay.size}")
    root = replay.hashes[checkpoint.size - 1] if checkpoint.size else ZERO
    if root != checkpoint.root:
        raise LogCheckError(f"entry {checkpoint.size}: its hash is not the signed checkpoint's root (the log was "
                            "changed after it was signed)")
    return checkpoint
