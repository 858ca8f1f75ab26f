"""After confirming: what a signatory shares, and how they become a host without another e-mail.

The page where they signed travels from the loader in the widget frame's fragment (so the widget page's
cached copies stay one per query, not one per host page), then in a hidden form field; it is kept only
if its origin is one the site registered. Share links are plain addresses of each service's own share
page, built here: the thank-you page loads nothing from any of them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from flask_babel import gettext as _

from . import hosts
from .campaigns import Campaign
from .appstate import state
from .origins import normalise_origin
from .store import Site, SignOn
from .urls import public_url
from .utm import share_query

#: The longest page address kept (a longer one is not stored: a share link must stay short enough to work).
PAGE_URL_MAX = 500

#: How long the "Put this button on your own website" button works after the page showed it (seconds).
BECOME_HOST_MAX_AGE = 30 * 60

#: How long after confirming a sign-on may still start a host account without another e-mail (seconds):
#: a confirmation link clicked again days later, or forwarded, proves nothing about who reads the mailbox now.
BECOME_HOST_WINDOW = 60 * 60


def page_address(value: str | None, site: Site) -> str | None:
    """The host page's address as the loader reported it (``https://host/path``), if it is a plain
    http(s) address on one of ``site``'s registered origins; its query and fragment dropped. None else."""
    value = (value or "").strip()
    if not value or len(value) > PAGE_URL_MAX or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    try:
        parts = urlsplit(value)
        origin = normalise_origin(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        return None
    if origin not in site.origins or parts.username or parts.password:
        return None
    path = parts.path if parts.path.startswith("/") else "/" + parts.path
    return origin + path


def list_address(campaign: Campaign) -> str:
    """The campaign's public list of signatories, absolute."""
    return public_url("pledge.signatories", campaign=campaign.slug)


def share_address(signon: SignOn, campaign: Campaign) -> str:
    """What a signatory shares: the page where they signed, or else the campaign's public list."""
    return signon.page_url or list_address(campaign)


@dataclass(frozen=True)
class ShareLink:
    """One way to share: the service's id (for styling and tests), the link's words, its address."""

    service: str
    label: str
    href: str


def share_text(campaign: Campaign) -> str:
    """The prefilled message, in the current language."""
    return _("I have signed “%(title)s”. Will you sign too?", title=campaign.text("title"))


def tagged(address: str, channel: str) -> str:
    """``address`` with the source codes of a share through ``channel`` (``utm_source=share``,
    ``utm_medium=<channel>``): the loader on that page hands them to the widget, so the host's dashboard
    counts the signatures that sharing brought."""
    return f"{address}{'&' if '?' in address else '?'}{urlencode(share_query(channel))}"


def share_links(campaign: Campaign, address: str, tag: bool = False) -> list[ShareLink]:
    """Plain links to each service's share page, prefilled, in the current language. With ``tag`` (the
    address is a host page's), each shares the address with its channel's source codes (:func:`tagged`)."""
    text = share_text(campaign)

    def on(channel: str) -> str:
        return tagged(address, channel) if tag else address

    def query(**values: str) -> str:
        # %20 rather than "+": mailto: (RFC 6068) and some apps read "+" literally.
        return urlencode(values, quote_via=quote)

    return [
        ShareLink("email", _("Share by e-mail"),
                  "mailto:?" + query(subject=campaign.text("title"), body=f"{text} {on('email')}")),
        ShareLink("whatsapp", _("Share on %(service)s", service="WhatsApp"),
                  "https://wa.me/?" + query(text=f"{text} {on('whatsapp')}")),
        ShareLink("telegram", _("Share on %(service)s", service="Telegram"),
                  "https://t.me/share/url?" + query(url=on("telegram"), text=text)),
        ShareLink("facebook", _("Share on %(service)s", service="Facebook"),
                  "https://www.facebook.com/sharer/sharer.php?" + query(u=on("facebook"))),
        ShareLink("x", _("Share on %(service)s", service="X"),
                  "https://x.com/intent/tweet?" + query(text=text, url=on("x"))),
        ShareLink("linkedin", _("Share on %(service)s", service="LinkedIn"),
                  "https://www.linkedin.com/sharing/share-offsite/?" + query(url=on("linkedin"))),
        ShareLink("bluesky", _("Share on %(service)s", service="Bluesky"),
                  "https://bsky.app/intent/compose?" + query(text=f"{text} {on('bluesky')}")),
    ]


def may_become_host(signon: SignOn, now: float | None = None) -> bool:
    """Whether this sign-on may start a host account without another e-mail: confirmed within the
    last :data:`BECOME_HOST_WINDOW`, by an address that may sign in as a host (not disabled; sign-up open
    or already a host). Whether the sign-on did it before is :func:`become_host`'s check (the store's)."""
    now = time.time() if now is None else now
    if signon.status != "confirmed" or signon.confirmed_at is None or not signon.has_email:
        return False
    if now - signon.confirmed_at > BECOME_HOST_WINDOW:
        return False
    return hosts.may_sign_in(signon.email)


def become_host_token(signon: SignOn) -> str:
    """The thank-you page's button's token: the sign-on's opaque id, signed, short-lived."""
    return state().tokens.dumps("host-from-signon", signon.id)


def become_host(signon: SignOn) -> str | None:
    """Make the sign-on's address a host and start a session for it: the session's id, or None when the
    sign-on may not (see :func:`may_become_host`) or did it before."""
    if not may_become_host(signon):
        return None
    store = state().store
    if not store.start_host_from_signon(signon.id, signon.email, signon.campaign, signon.lang):
        return None
    # Read again after the write: "host disable" may have run in between.
    if not hosts.may_sign_in(signon.email):
        return None
    return store.start_host_session(signon.email)


def new_site_values(signon: SignOn) -> dict[str, str]:
    """What the "add a site" form starts with: the organisation's name and the campaign."""
    values = {"campaign": signon.campaign}
    organization = signon.answers.get("organization", "").strip()
    if organization:
        values["name"] = organization[:200]
    return values

