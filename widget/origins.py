"""Web origins as browsers write them, so that a registered origin matches ``location.origin``.

An origin is a scheme, a host and a port, nothing else: it is written into the widget's
``Content-Security-Policy`` (``frame-ancestors``), where a space, a ``;``, a comma or a quote would let whoever
registered it add sources or whole directives (``report-uri``, ``sandbox``...). So it is parsed strictly, and
checked again where the header is built.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Iterable

import idna

DEFAULT_PORTS = {"http": 80, "https": 443}

#: A site's origin line that lets any page frame its widget: for site builders (Google Sites, Wix) that put
#: pasted code in frames of their own, at addresses that change. The host chooses it knowingly; signatures
#: made there still count for the site.
ANY_ORIGIN = "*"

#: scheme://host[:port] and the rest: the host a bracketed IPv6 literal or anything up to a port, a path, a
#: query, a fragment or a user name; each part checked on its own below.
_SHAPE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<host>\[[^\]]*\]|[^:/\[\]?#@]*)"
                    r"(?::(?P<port>[^/?#@]*))?(?P<rest>.*)", re.DOTALL)
#: A host name's label once in ASCII (punycode): letters, digits, hyphens (and underscores, which browsers
#: accept in names of sites), neither starting nor ending with a hyphen.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")


class InvalidOrigin(ValueError):
    """Not an origin. ``reason`` says what is wrong, for a message in the reader's language: ``scheme``
    (not http or https), ``path`` (a page's address, a query, a fragment or a user name after the host),
    ``wildcard``, ``host`` (no valid host name nor IP address: spaces, quotes, ``;``...), or ``port``."""

    def __init__(self, value: str, reason: str, message: str):
        super().__init__(f"{value!r} {message}")
        self.reason = reason


def normalise_origin(value: str) -> str:
    """``HTTPS://Lycée.example:443/`` → ``https://xn--lyce-dpa.example``; raise :class:`InvalidOrigin` for what
    a browser would never report as a page's origin (a path, a query, a wildcard, another scheme, a host that
    is neither a valid name nor an IP address, a port out of range)."""
    text = value.strip()
    shape = _SHAPE.fullmatch(text)
    if shape is None or shape["scheme"].lower() not in DEFAULT_PORTS:
        raise InvalidOrigin(value, "scheme", "is not an origin such as https://school.example")
    scheme, host, port = shape["scheme"].lower(), shape["host"], shape["port"]
    if "*" in host:
        raise InvalidOrigin(value, "wildcard", "has a wildcard, which is not allowed: register each origin")
    host = _host(host)
    if host is None:
        raise InvalidOrigin(value, "host", "has no valid host name (letters, digits, hyphens and dots) nor IP address")
    if port is not None and (not re.fullmatch(r"[0-9]{1,5}", port) or not 0 < int(port) < 65536):
        raise InvalidOrigin(value, "port", "has a port that is not a number from 1 to 65535")
    if shape["rest"] not in ("", "/"):
        raise InvalidOrigin(value, "path", "is an address, not an origin: keep only https://host[:port]")
    if port is None or int(port) == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{int(port)}"


def _host(host: str) -> str | None:
    """The host as browsers write it in an origin (IDN in punycode, lower case, IPv6 in brackets), or None."""
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]" if "%" not in host else None
        except ValueError:
            return None
    try:
        # Internationalised names as browsers write them (UTS #46, not transitional): Lycée → xn--lyce-dpa.
        ascii_host = (host if host.isascii() else idna.encode(host, uts46=True, transitional=False).decode()).lower()
    except (idna.IDNAError, UnicodeError):
        return None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if labels[-1].isdigit():  # a browser reads a name ending in a number as an IPv4 address
        try:
            return str(ipaddress.IPv4Address(ascii_host))
        except ValueError:
            return None
    return ascii_host


def site_origin(value: str) -> str:
    """A line of a site's origins: :data:`ANY_ORIGIN` alone, or an origin (:func:`normalise_origin`, which
    raises :class:`InvalidOrigin`; a wildcard inside an address stays refused)."""
    return ANY_ORIGIN if value.strip() == ANY_ORIGIN else normalise_origin(value)


def allows_any(origins: Iterable[str]) -> bool:
    """Whether a site's origins let any page frame its widget."""
    return ANY_ORIGIN in origins


def frame_sources(origins: Iterable[str]) -> list[str]:
    """The ``frame-ancestors`` sources of a site's stored origins: each one checked again, so that a row
    stored before origins were parsed strictly (``https://a.example; report-uri ...``) adds nothing to the
    policy. A bad one is left out (the widget then refuses to be framed there, as for an unknown page).
    :data:`ANY_ORIGIN` is CSP's ``*``: any http or https page."""
    sources = []
    for origin in origins:
        try:
            sources.append(site_origin(origin))
        except ValueError:
            continue
    return sources
