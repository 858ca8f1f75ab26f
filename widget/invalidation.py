"""Invalidation: the operator takes the sign-ons of a fraudulent surge (a domain, a site or a client, within a
time window) out of every count, in one batch with a reason, and can restore the batch.

Invalidated sign-ons leave the counts (site, campaign, paper), the public list, the exports and the open data,
and are never mailed; they stay stored with their batch and its reason. Confirmed ones tell the webhooks
(``signon.invalidated``, and ``signon.restored`` on a restore). Each batch and each restore is audited in its
own transaction. The kept pages of this process are dropped at once (others follow within
``PLEDGE_CACHE_SECONDS``, as after any confirmation).
"""
from __future__ import annotations

from typing import Any

from . import audit
from .appstate import state
from .blocking import BadBlock, check_reason, parse_domain, parse_ip
from .moments import MomentError, iso_moment, parse_moment
from .store.invalidation import BatchResult, Invalidation, SignOnFilter


class BadFilter(ValueError):
    """A filter that cannot be used (empty, unparseable, unknown site, an empty window); the message says why, in
    English, for the CLI (the desk words its own)."""


def make_filter(domain: str | None = None, site_key: str | None = None, ip: str | None = None,
                since: str | None = None, until: str | None = None) -> SignOnFilter:
    """The filter of an invalidation from what the operator typed: a domain, a site key, an IP address (or its
    hash), and ISO 8601 moments (UTC unless an offset says otherwise). Raises :class:`BadFilter`; an empty filter
    is refused, never read as "all"."""
    domain, site_key, ip = (value.strip() if value and value.strip() else None for value in (domain, site_key, ip))
    if not (domain or site_key or ip):
        raise BadFilter("give a domain, a site or an IP: an invalidation never takes all sign-ons")
    try:
        parsed_domain = parse_domain(domain) if domain else None
        ip_hash = parse_ip(ip) if ip else None
    except BadBlock as exc:
        raise BadFilter(str(exc)) from None
    if site_key and state().store.get_site(site_key) is None:
        raise BadFilter(f"no site with the key {site_key!r}")
    try:
        start = parse_moment(since) if since and since.strip() else None
        end = parse_moment(until) if until and until.strip() else None
    except MomentError as exc:
        raise BadFilter(str(exc)) from None
    if start is not None and end is not None and end <= start:
        raise BadFilter("the window is empty: --until must come after --since")
    return SignOnFilter(domain=parsed_domain, site_key=site_key, ip_hash=ip_hash, since=start, until=end)


def describe(where: SignOnFilter | dict[str, Any]) -> dict[str, Any]:
    """A filter as JSON and the audit log show it (moments in ISO 8601)."""
    values = where.as_dict() if isinstance(where, SignOnFilter) else dict(where)
    return {**values, "since": iso_moment(values.get("since")), "until": iso_moment(values.get("until"))}


def summary(result: BatchResult) -> dict[str, Any]:
    """What a batch took (or would take, or gave back): its id, how many, by status and by campaign."""
    return {"batch": result.batch, "size": result.size, "by_status": dict(sorted(result.by_status.items())),
            "by_campaign": dict(sorted(result.by_campaign.items())), "skipped": list(result.skipped)}


def invalidate(where: SignOnFilter, reason: str, actor: str, dry_run: bool = False) -> BatchResult:
    """Take the confirmed, pending and held sign-ons ``where`` selects out of every count (or, with ``dry_run``,
    only count them). Raises :class:`BadFilter` for a missing reason. Audited (``signons.invalidate``)."""
    try:
        reason = check_reason(reason)
    except BadBlock as exc:
        raise BadFilter(str(exc)) from None

    def note(batch: Invalidation) -> Any:
        return audit.note(actor, "signons.invalidate", f"invalidation:{batch.id}", None,
                          {"filter": describe(batch.filter), "reason": batch.reason, "size": batch.size})

    result = state().store.invalidate_signons(where, reason, actor, dry_run=dry_run, audit=note)
    if not dry_run and result.size:
        state().pages.clear()  # the counts and lists this process keeps rendered
    return result


def restore(batch: str, actor: str) -> BatchResult | None:
    """Put back the sign-ons of an invalidation batch and count them again (each one whose mailbox signed the
    campaign meanwhile stays out: ``skipped``). None for no such batch, or one restored already. Audited
    (``signons.restore``)."""

    def note(invalidation: Invalidation, result: BatchResult) -> Any:
        return audit.note(actor, "signons.restore", f"invalidation:{invalidation.id}", {"size": invalidation.size},
                          {"restored": result.size, "skipped": len(result.skipped)})

    result = state().store.restore_signons((batch or "").strip(), actor, audit=note)
    if result is not None and result.size:
        state().pages.clear()
    return result


def batches(limit: int = 200) -> list[Invalidation]:
    """The latest invalidation batches, the newest first."""
    return state().store.invalidations(limit)
