"""ISO 3166-1 alpha-2 country codes and their names in the visitor's language (from Babel's CLDR data)."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from babel import Locale

# CLDR knows more two-letter regions than ISO 3166-1 assigns: exceptionally reserved codes
# (AC, CP, CQ, DG, EA, IC, TA), groupings (EU, EZ, UN) and user-assigned ones (QO, XA, XB, XK, ZZ).
_NOT_ISO_3166_1 = frozenset({"AC", "CP", "CQ", "DG", "EA", "IC", "TA", "EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ"})

CODES: frozenset[str] = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code.isupper() and code not in _NOT_ISO_3166_1
)


def is_country(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code (upper case)."""
    return code in CODES


@lru_cache(maxsize=32)
@lru_cache(maxsize=64)
def choices(lang: str) -> tuple[tuple[str, str], ...]:
    """``(code, name)`` pairs for a select box, names in ``lang``, sorted for that language's readers."""
    names = Locale.parse(lang).territories
    english = Locale("en").territories
    pairs = [(code, names.get(code) or english[code]) for code in CODES]
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


def _sort_key(name: str) -> str:
    # Without accents, so that Åland sorts with the As and Émirats with the Es.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name(code: str, lang: str) -> str:
    """A country's name in ``lang`` (the code itself if it is not one we know)."""
    if code not in CODES:
        return code
    return Locale.parse(lang).territories.get(code) or Locale("en").territories[code]
