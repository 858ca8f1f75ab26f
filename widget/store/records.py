"""The store's records: plain dataclasses, so that the views and the CLI never see a row or a cursor."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class Site:
    """A host site: a web site allowed to embed the widget of one campaign."""

    key: str
    name: str
    owner_email: str
    campaign: str
    origins: tuple[str, ...]
    created_at: float
    status: str = "active"  # "pending" (waits for the operator), "active", "disabled"; removed sites are gone
    lang: str | None = None  # the snippet's language, chosen by the host

    @property
    def active(self) -> bool:
        """Whether its widget works."""
        return self.status == "active"


@dataclass(frozen=True)
class SignOn:
    """One sign-on: who signed which campaign, through which site, and whether it is confirmed."""

    id: str
    campaign: str
    site_key: str
    email: str
    lang: str
    #: "pending", "held", "confirmed", "paper" (entered by a host, waiting for the operator), or "duplicate"
    #: (confirmed before the mailbox rule, by a mailbox whose earlier sign-on counts: kept, never counted)
    status: str
    created_at: float
    confirmed_at: float | None
    consent_at: float
    consent_version: str
    answers: dict[str, str] = field(default_factory=dict)  # name, organization, goal, ...
    held_reason: str | None = None  # which limit kept it aside: email_per_day, site_per_hour, ip_per_day
    #: The version of the separate, optional "the host may contact me" wording the signatory agreed to, or None.
    contact_consent: str | None = None
    source: str = "web"  # "web", or "paper": entered by the host from a signed paper declaration
    #: The host page the sign-on was made on (origin and path, one of the site's origins), or None.
    page_url: str | None = None
    #: Where it came from, in the host's codes: ``utm_source``, ``utm_medium``, ``utm_campaign`` (those given).
    utm: dict[str, str] = field(default_factory=dict)
    #: The versions of the optional "check in on our commitment" and "news of the campaign" wordings the
    #: signatory agreed to, or None (never given, or withdrawn since).
    checkin_consent: str | None = None
    news_consent: str | None = None
    #: The registrable domain of the website it gave, when its confirmed address is at that domain, or None.
    verified_domain: str | None = None

    @property
    def has_email(self) -> bool:
        """False for a paper sign-on entered without an address: it holds a stand-in that is never mailed."""
        return not self.email.endswith("@" + NO_EMAIL_DOMAIN)


@dataclass(frozen=True)
class Host:
    """An organisation that shows widgets on its web sites: an e-mail address and its choices."""

    email: str
    created_at: float
    disabled_at: float | None = None
    lang: str | None = None
    notify_milestones: bool = True
    milestones: tuple[int, ...] = (10, 100, 1000)
    notify_digest: bool = False
    #: Mail when a site's widget could not show on a page (at most weekly per site).
    notify_health: bool = True


@dataclass(frozen=True)
class Mail:
    """An e-mail waiting in (or taken from) the outbox."""

    to: str
    subject: str
    text: str
    html: str
    id: int | None = None
    attempts: int = 0
    #: Extra headers (List-Unsubscribe and the like), kept as JSON in the outbox.
    headers: dict[str, str] = field(default_factory=dict)
    #: What it is (its template: ``confirm``, ``host_login``, ``digest``...), for bounces and the metrics.
    kind: str = ""


@dataclass(frozen=True)
class ConfirmResult:
    """What confirming a sign-on did: ``confirmed`` (counted now), ``already`` (counted before, or the
    address had already signed through another link) or ``unknown`` (no such pending sign-on)."""

    status: str
    signon: SignOn | None = None


@dataclass(frozen=True)
class Limits:
    """How much one address, site or client may do before its sign-ons are kept aside (None: no limit)."""

    per_email_per_day: int | None = None
    per_site_per_hour: int | None = None
    per_ip_per_day: int | None = None
    mails_per_address_per_day: int | None = None


class Counts(NamedTuple):
    """Confirmed sign-ons of one site and of its whole campaign."""

    site: int
    total: int


#: The domain of the stand-in address of a paper sign-on entered without one (one address signs a campaign
#: once, so each gets its own). ``.invalid`` is reserved (RFC 2606): no form accepts it, nothing is mailed there.
NO_EMAIL_DOMAIN = "no-email.invalid"

#: The status of a confirmed sign-on made before addresses were compared by mailbox, by a mailbox that had
#: signed the campaign already: it keeps its history, and counts in nothing (the earlier one counts).
DUPLICATE = "duplicate"

#: The site key of a campaign's total in the counts table.
TOTAL = ""

#: The site `pledge-widget run` creates on an empty database, shown live on the front page.
DEMO_SITE_KEY = "demo"


def new_id(nbytes: int) -> str:
    """A random URL-safe id that never starts with "-" (a command line would read it as an option)."""
    while True:
        value = secrets.token_urlsafe(nbytes)
        if not value.startswith("-"):
            return value


def redact(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^/]*@", r"\1:***@", url)
