"""Free text typed by people: what is kept as typed, what is refused, and how it is normalised."""
from __future__ import annotations

import unicodedata
from typing import Any

#: Format characters that real names and organisations need: the zero-width non-joiner of Persian
#: (علی‌رضا) and the joiners of Indic scripts and emoji sequences (👩‍🌾), the left-to-right and
#: right-to-left marks and the Arabic letter mark (which only mark a direction, they override
#: nothing), the soft hyphen, and the tag characters of subdivision flags (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
ALLOWED_FORMAT = frozenset("\u200c\u200d\u200e\u200f\u061c\u00ad") | frozenset(map(chr, range(0xE0020, 0xE0080)))

#: Characters that can spoof or break a display: bidirectional embeddings, overrides and isolates
#: (they can reverse what follows them on the page), and line or paragraph separators.
UNSAFE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def clean_text(value: Any) -> Any:
    """Normalise Unicode (NFC) and trim, so the same text is stored the same way whatever the keyboard."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def unsafe_character(text: str, multiline: bool = False) -> str | None:
    """The first character of ``text`` that may not be stored, or None.

    Refused: C0 and C1 controls (a new line or a tab only in multi-line answers), bidirectional
    overrides and isolates, other invisible format characters (byte order mark, ...), surrogates and
    private-use characters. Every script's letters, marks and joiners are welcome.
    """
    for char in text:
        if multiline and char in "\n\r\t":
            continue
        category = unicodedata.category(char)
        if char in UNSAFE or category in ("Cc", "Cs", "Co") or (category == "Cf" and char not in ALLOWED_FORMAT):
            return char
    return None
