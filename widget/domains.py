"""Web sites' registrable domains, for "verified domain": an organisation's sign-on whose confirmed address is
at the registrable domain of the website it gave (``a@example.org`` for ``https://www.example.org/``).

The registrable domain is the one under a public suffix (``example.co.uk`` for ``www.example.co.uk``), from the
Public Suffix List that ``tldextract`` ships: never fetched at run time (``suffix_list_urls=()``), nor cached
on disk. Domains are compared in their ASCII (IDNA) form, lowercased.
"""
from __future__ import annotations

import urllib.parse
from functools import lru_cache

import idna
import tldextract

#: The longest website accepted (characters).
MAX_WEBSITE = 200
# The bundled list only: no network, no cache folder (the service may run without a writable home).
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def ascii_domain(domain: str) -> str:
    """``domain`` lowercased, in its ASCII (IDNA) form ("" when it is none)."""
    domain = domain.strip().rstrip(".").lower()
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return ""


def website_host(website: str) -> str:
    """The host name of a website as typed (``example.org``, ``www.example.org/about``, ``https://...``), in its
    ASCII form; "" when there is none."""
    text = website.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        host = urllib.parse.urlsplit(text).hostname or ""
    except ValueError:
        return ""
    return ascii_domain(host)


@lru_cache(maxsize=4096)
def registrable_domain(website: str) -> str:
    """The website's registrable domain (``example.co.uk``), or "" (no host, an IP address, a bare public
    suffix, a name under no known suffix)."""
    host = website_host(website)
    if not host:
        return ""
    parts = _EXTRACT(host)
    found = getattr(parts, "top_domain_under_public_suffix", None)
    if found is None:  # tldextract before 5.3
        found = parts.registered_domain
    return found or ""


def verified_domain(email: str, website: str | None) -> str | None:
    """The registrable domain of ``website`` when ``email``'s domain is exactly it, else None."""
    if not website or "@" not in email:
        return None
    domain = registrable_domain(website)
    if domain and ascii_domain(email.rsplit("@", 1)[1]) == domain:
        return domain
    return None
