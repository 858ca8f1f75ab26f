"""Addresses at disposable ("throw-away") mail services, from a maintained list: the
``disposable-email-domains`` package (its ``blocklist``), updated by upgrading that package.

A sign-on from such an address is refused on the form with a message saying why (``PLEDGE_BLOCK_DISPOSABLE``,
on by default): during a surge, inboxes made by the thousand for one click are the cheapest way to inflate a
count. A subdomain of a listed domain is disposable too.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import idna
from disposable_email_domains import blocklist
from flask import current_app

#: The distribution that holds the list.
PACKAGE = "disposable-email-domains"


def is_disposable(address: str) -> bool:
    """Whether ``address`` (or a bare domain) is at a listed disposable domain or one of its subdomains."""
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    if not domain:
        return False
    if not domain.isascii():  # the list spells domains in ASCII (an IDN as xn--...)
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError:
            return False
    labels = domain.split(".")
    return any(".".join(labels[start:]) in blocklist for start in range(len(labels) - 1))


def refused(address: str) -> bool:
    """Whether the current app refuses ``address`` as disposable (``PLEDGE_BLOCK_DISPOSABLE``)."""
    return bool(current_app.config["PLEDGE_BLOCK_DISPOSABLE"]) and is_disposable(address)


def list_version() -> str:
    """The list's version and size, for ``pledge-widget --version``: ``disposable-email-domains 0.0.293
    (10181 domains)``."""
    try:
        number = version(PACKAGE)
    except PackageNotFoundError:  # vendored or installed without metadata
        number = "unknown"
    return f"{PACKAGE} {number} ({len(blocklist)} domains)"
