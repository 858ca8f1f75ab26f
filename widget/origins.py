"""Web origins as browsers write them, so that a registered origin matches ``location.origin``."""
from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str:
    """``HTTPS://Lycée.example:443/`` → ``https://xn--lyce-dpa.example``; raise ValueError for what a
    browser would never report as a page's origin (a path, a query, a wildcard, another scheme)."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin such as https://school.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{value!r} is an address, not an origin: keep only https://host[:port]")
    if "*" in parts.hostname:
        raise ValueError(f"{value!r}: wildcards are not allowed; register each origin")
    scheme = parts.scheme.lower()
    try:
        host = parts.hostname.encode("idna").decode("ascii")  # browsers report internationalised names in punycode
        port = parts.port
    except (UnicodeError, ValueError):
        raise ValueError(f"{value!r} is not an origin such as https://school.example") from None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
