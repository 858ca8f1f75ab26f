"""E-mail addresses: one spelling per mailbox, the same everywhere (storage, look-ups, limits)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """Not an e-mail address we can write to; the message says why (in English, for operators)."""


def normalise_email(address: str) -> str:
    """The one spelling under which an address is stored and looked up.

    ``Élise.Maire@Mairie.example`` and ``élise.maire@mairie.example`` are one mailbox, and so are
    ``info@xn--cole-9oa.fr`` and ``Info@École.fr``: email-validator writes the domain in Unicode (NFC);
    then the whole address is lower-cased with Unicode rules (SQL's ``lower()`` knows A–Z only, so no
    query lower-cases anything). Raises :class:`InvalidAddress` for what the sign-on form refuses too.
    """
    normalised, problem = _checked(address.strip())
    if problem is not None:
        raise InvalidAddress(problem)
    return normalised


@lru_cache(maxsize=4096)
def _checked(address: str) -> tuple[str, str | None]:
    # A sign-on checks its address several times (the form, the store, the mail limits): validate once.
    try:
        return validate_email(address, check_deliverability=False).normalized.lower(), None
    except EmailNotValidError as exc:
        return "", str(exc)


def normalise_stored(address: str) -> str:
    """:func:`normalise_email` for addresses already stored: one that no longer validates keeps its
    spelling, lower-cased, rather than being lost."""
    try:
        return normalise_email(address)
    except InvalidAddress:
        return address.strip().lower()


def address_list(value: Any) -> frozenset[str]:
    """The addresses of a setting such as ``PLEDGE_ADMINS`` (a comma-separated string or a list), normalised as
    stored."""
    items = (value or "").split(",") if isinstance(value, str) or not value else list(value)
    return frozenset(normalise_stored(item) for item in items if item and item.strip())


#: Providers that deliver ``j.doe@`` and ``jdoe@`` to one mailbox, and the one domain each is written under
#: (gmail.com and googlemail.com are one provider: ``x@googlemail.com`` reaches ``x@gmail.com``).
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox(address: str) -> str:
    """The mailbox an address delivers to: what "one address" means in every rule (one signature per
    campaign, every per-address limit and mail cap).

    The normalised address (:func:`normalise_stored`) without its ``+tag`` (whatever the domain:
    ``bomb+1@x.example`` and ``bomb@x.example`` reach one inbox almost everywhere), and, at providers known
    to ignore them, without the dots of its local part: ``J.Doe+x@gmail.com`` and ``jdoe@googlemail.com``
    are both ``jdoe@gmail.com``. Only a key for comparisons: mail goes to the address as typed.
    """
    return _mailbox(normalise_stored(address))


@lru_cache(maxsize=4096)
def _mailbox(address: str) -> str:
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    untagged = local.split("+", 1)[0]
    local = untagged or local  # "+news@x": no mailbox name before the tag, so the tag is the name
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"
