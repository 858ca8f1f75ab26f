"""Languages: which ones we ship, how a request's language is chosen, and how it is written."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Sequence

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_babel import force_locale

#: Languages with a complete catalogue in ``translations/``; English is the source language. Adding a
#: language is its catalogue and one line here (docs/translating.md); its direction, plural rules, numbers
#: and dates come from Babel's CLDR data. The order is the language switcher's.
LANGUAGES = (
    "en",
    "fr",
    "es",
    "pt",
    "de",
    "it",
    "ar",
    "sw",
    "zh",
    "ru",
    "hi",
    "id",
    "ja",
    "tr",
    "fa",
    "pl",
)
DEFAULT = "en"


@lru_cache(maxsize=None)
def _is_rtl(lang: str) -> bool:
    return Locale.parse(lang).character_order == "right-to-left"


#: The right-to-left languages we ship (Arabic, Persian): told by CLDR, so a new one needs no code.
RTL = frozenset(lang for lang in LANGUAGES if _is_rtl(lang))


def normalise(value: str | None, allowed: Sequence[str] = LANGUAGES) -> str | None:
    """``"fr-CA"`` → ``"fr"``; anything that is not one of ``allowed`` → None (never an error).

    Languages are whitelisted before Babel sees them: ``Locale.parse`` raises on junk.
    """
    if not value or len(value) > 35:
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in allowed else None


def pick(*candidates: str | None, allowed: Sequence[str] = LANGUAGES) -> str | None:
    """The first candidate that is one of ``allowed``."""
    for candidate in candidates:
        lang = normalise(candidate, allowed)
        if lang:
            return lang
    return None


def request_language(default: str = DEFAULT, allowed: Sequence[str] = LANGUAGES) -> str:
    """The language of this request, by the rules of the widget:

    1. one a view fixed (``g.pledge_lang``: a sign-on's stored language, a signed form token's);
    2. an explicit ``?lang=`` (``data-lang`` on the snippet, or the visitor's own choice);
    3. the host page's ``<html lang>``, passed on by the loader as ``?hl=``;
    4. the visitor's Accept-Language;
    5. ``default`` (the campaign's language).

    Steps 2 to 4 consider only ``allowed`` (the languages a campaign is available in).
    """
    if not has_request_context():
        return default
    fixed = g.get("pledge_lang")
    if fixed:
        return fixed
    chosen = pick(request.args.get("lang"), request.args.get("hl"), allowed=allowed)
    if chosen:
        return chosen
    return browser_language(allowed) or pick(default) or DEFAULT


def browser_language(allowed: Sequence[str] = LANGUAGES) -> str | None:
    """The visitor's most preferred Accept-Language whose primary language is one of ``allowed``.

    Not Werkzeug's ``best_match``: it prefers any exact match to a regional one, so ``pt-BR, en;q=0.9``
    gave English and ``de-DE, fr;q=0.9`` French, against the visitor's stated order.
    """
    for value, quality in request.accept_languages:  # most preferred first; "*" last
        lang = normalise(value, allowed) if quality > 0 else None
        if lang:
            return lang
    return None


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Our catalogues in ``lang`` for what runs inside, whatever the host app set up.

    Our messages come from our own gettext domain, made the request's default here: a host app's
    Flask-Babel (set up before or after ours, with its own translation folders and locale selector)
    neither hides our translations nor mixes its own into our pages.
    """
    current_app.extensions["pledge"].domain.as_default()
    with force_locale(lang):
        yield


def direction(lang: str) -> str:
    """``"rtl"`` or ``"ltr"``, for ``<html dir>``."""
    return "rtl" if lang in RTL else "ltr"


@lru_cache(maxsize=None)
def autonym(lang: str) -> str:
    """A language's name in itself ("Français", "العربية"), for the language switcher."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]
