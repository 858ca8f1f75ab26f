"""Block lists: the operator blocks a domain, a mailbox or a client, with a reason; a sign-on from any of them is
held quietly (the usual "check your inbox" answer, never mailed, never counted), so a bot learns nothing.

A domain blocks its subdomains too (``example.org`` blocks ``mail.example.org``). A mailbox is compared as every
address rule compares them (``J.Doe+x@gmail.com`` is ``jdoe@gmail.com``: see :func:`widget.addresses.mailbox`).
A client is never stored as its address: the block keeps the same keyed hash as the sign-ons' ``ip_hash``
(made with the first signing key, so a rotation of ``PLEDGE_SECRET_KEY`` ends IP blocks), and the operator may
also give that hash as it is (the desk's alerts name clients by it).

Checking a sign-on costs one indexed look-up (:meth:`widget.store.blocks.BlockTables.blocking`) for all its targets.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any

import idna

from . import audit
from .abuse import client_hash
from .addresses import InvalidAddress, mailbox, normalise_email
from .appstate import state
from .store.blocks import Block, block_target
from .text import unsafe_character

#: What may be blocked, as the CLI's options and the desk's form name them.
KINDS = ("domain", "email", "ip")
#: The longest reason kept (it is shown to the operator and kept in the audit log).
MAX_REASON = 500
#: A client's keyed hash as stored (see widget.abuse.client_hash).
IP_HASH = re.compile(r"^[0-9a-f]{32}$")


class BadBlock(ValueError):
    """What was given cannot be blocked (not a domain, an address, an IP address; no reason); the message says
    why, in English, for the CLI (the desk words its own)."""


def parse_domain(text: str) -> str:
    """A domain as blocks and sign-ons compare them: lower case, Unicode (as e-mail addresses are stored), no
    trailing dot, at least two labels. Raises :class:`BadBlock`."""
    raw = (text or "").strip().lstrip("@").rstrip(".")
    if not raw or "." not in raw or any(c.isspace() for c in raw):
        raise BadBlock(f"not a domain: {text!r} (e.g. example.org)")
    try:
        return idna.decode(idna.encode(raw, uts46=True)).lower()
    except idna.IDNAError:
        raise BadBlock(f"not a domain: {text!r} (e.g. example.org)") from None


def parse_ip(text: str) -> str:
    """The keyed hash a client's IP address is stored as (an address in any spelling), or a hash given as it
    is. Raises :class:`BadBlock` (ranges too: sign-ons keep no address, only its hash)."""
    raw = (text or "").strip().lower()
    if IP_HASH.match(raw):
        return raw
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise BadBlock(f"not an IP address: {text!r} (one address, e.g. 203.0.113.7 or 2001:db8::1)") from None
    return client_hash(state().tokens.keys[0], str(address)) or ""


def parse(kind: str, text: str) -> str:
    """The value stored for a block of ``kind``: a domain, a mailbox, a client's hash. Raises :class:`BadBlock`."""
    if kind == "domain":
        return parse_domain(text)
    if kind == "email":
        try:
            return mailbox(normalise_email(text or ""))
        except InvalidAddress:
            raise BadBlock(f"not an e-mail address: {text!r}") from None
    if kind == "ip":
        return parse_ip(text)
    raise BadBlock(f"cannot block a {kind!r}: one of {', '.join(KINDS)}")


def check_reason(reason: str) -> str:
    """The reason, trimmed; :class:`BadBlock` when empty, too long or with control characters."""
    reason = (reason or "").strip()
    if not reason:
        raise BadBlock("say why (--reason): it is kept for the record")
    if len(reason) > MAX_REASON or unsafe_character(reason):
        raise BadBlock(f"the reason must be at most {MAX_REASON} characters, without control characters")
    return reason


def targets(email: str, ip_hash: str | None) -> list[str]:
    """Every block that would hold a sign-on of ``email`` (normalised) from ``ip_hash``: its domain and the
    domains above it (not the top-level one), its mailbox's domain (googlemail.com is gmail.com), its mailbox
    and its client."""
    box = mailbox(email)
    found: list[str] = []
    for domain in (email.rpartition("@")[2], box.rpartition("@")[2]):
        labels = domain.split(".")
        for start in range(len(labels) - 1):
            target = block_target("domain", ".".join(labels[start:]))
            if target not in found:
                found.append(target)
    found.append(block_target("email", box))
    if ip_hash:
        found.append(block_target("ip", ip_hash))
    return found


def blocked(email: str, ip_hash: str | None) -> bool:
    """Whether a sign-on of ``email`` (normalised) from ``ip_hash`` is blocked: one indexed look-up."""
    return state().store.blocking(targets(email, ip_hash)) is not None


def _shown(block: Block) -> dict[str, Any]:
    # The audit log is never erased: a blocked mailbox is a person's address, so only its kind is kept there.
    return {"kind": block.kind, "value": None if block.kind == "email" else block.value, "reason": block.reason}


def add(kind: str, text: str, reason: str, actor: str) -> tuple[Block, bool]:
    """Block a domain, mailbox or client: ``(block, True)``, or ``(the block already there, False)``.
    Raises :class:`BadBlock` for what cannot be blocked. Audited (``block.add``)."""
    value, reason = parse(kind, text), check_reason(reason)
    return state().store.add_block(kind, value, reason, actor, audit=lambda block: audit.note(
        actor, "block.add", f"block:{block.id}", None, _shown(block)))


def remove(block_id: int, actor: str) -> Block | None:
    """Lift a block; None if there is no such block. Audited (``block.remove``)."""
    return state().store.remove_block(block_id, audit=lambda block: audit.note(
        actor, "block.remove", f"block:{block.id}", _shown(block), None))


def blocks() -> list[Block]:
    """Every block, the newest first."""
    return state().store.list_blocks()
