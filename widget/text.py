"""Free text typed by people: what is kept as typed, what is refused, and how it is normalised."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

#: Format characters that real names and organisations need: the zero-width non-joiner of Persian
#: (علی‌رضا) and the joiners of Indic scripts and emoji sequences (👩‍🌾), the left-to-right and
#: right-to-left marks and the Arabic letter mark (which only mark a direction, they override
#: nothing), and the soft hyphen. Tag characters only inside a subdivision flag (see FLAG).
ALLOWED_FORMAT = frozenset("\u200c\u200d\u200e\u200f\u061c\u00ad")

#: A subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿, Scotland): the black flag, the subdivision's code in tag letters and digits
#: (3 to 7 of them, as Unicode's subdivision codes are), and the cancel tag. Anywhere else tag characters
#: are invisible text: they can hide a message in a name, or make two names look the same.
FLAG = re.compile("\U0001F3F4[\U000E0030-\U000E0039\U000E0061-\U000E007A]{3,7}\U000E007F")
TAGS = re.compile("[\U000E0000-\U000E007F]")

#: Letters and symbols that show nothing: the Hangul fillers (a "name" of fillers looks blank, and a filler
#: inside a name makes it look like another), the braille blank, and Khmer's two invisible vowels
#: (deprecated by Unicode).
INVISIBLE = frozenset("\u3164\u115f\u1160\uffa0\u2800\u17b4\u17b5")

#: Variation selectors choose how the character before them looks (❤️, a Japanese name's ideograph): one is
#: enough; a row of them is a known way to hide bytes in text that looks plain.
VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000E0100-\U000E01EF\u180b-\u180d\u180f]{2}")

#: The most non-spacing marks one letter may carry. Real names need up to 4 (Burmese လျှို့, Tibetan
#: སྒྲོ, Arabic مُحَمَّد with its vowels, Hebrew שָׁלוֹם, Yoruba, Vietnamese typed decomposed); more make a
#: stack that spills over the lines around it ("Zalgo" text) on the public list and in the desk.
MAX_MARKS = 4

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
    overrides and isolates, other invisible format characters (byte order mark, ...), tag characters
    outside a subdivision flag, letters that show nothing (Hangul fillers, the braille blank), a row of
    variation selectors, surrogates and private-use characters. Every script's letters, marks and joiners
    are welcome.
    """
    for char in text:
        if multiline and char in "\n\r\t":
            continue
        category = unicodedata.category(char)
        if char in UNSAFE or char in INVISIBLE or category in ("Cc", "Cs", "Co") or (
                category == "Cf" and char not in ALLOWED_FORMAT and not TAGS.match(char)):
            return char
    hidden = TAGS.search(FLAG.sub("", text)) or VARIATION_SELECTORS.search(text)
    return hidden.group()[-1] if hidden else None


def stacked_marks(text: str) -> bool:
    """Whether a letter of ``text`` carries more than :data:`MAX_MARKS` non-spacing marks (accents, vowel
    signs...). A spacing mark (Devanagari ी) takes room of its own and starts a new stack; the joiners
    between marks do not."""
    stack = 0
    for char in text:
        category = unicodedata.category(char)
        if category in ("Mn", "Me"):
            stack += 1
            if stack > MAX_MARKS:
                return True
        elif category != "Cf":
            stack = 0
    return False


#: The dots browsers and mail clients read as the dot of a domain name (IDNA maps the others to ".").
DOTS = ".\u3002\uff0e\uff61\u2024\ufe52"
_TOKEN = re.compile(r"\S+")
_DOMAIN_LIKE = re.compile(rf"[^\W_][{DOTS}]+[^\W\d_]|^\d+([{DOTS}]\d+){{3}}")


def unlinkable(text: str) -> str:
    """People's text (an organisation's or a site's name) for an e-mail we send: every word a mail client
    would turn into a link (``https://evil.example/x``, ``www.evil.example``, ``evil.example``,
    ``someone@evil.example``) is written the way security notices write addresses nobody should open,
    ``https[:]//evil[.]example/x``, so that the only links in our mails are ours."""
    return _TOKEN.sub(lambda word: _defanged(word.group()), text)


def _defanged(word: str) -> str:
    if "://" not in word and "@" not in word and not _DOMAIN_LIKE.search(word) and "www" not in word.lower():
        return word
    for dot in DOTS:
        word = word.replace(dot, "[.]")
    return word.replace("://", "[:]//").replace("@", "[@]")


#: What a browser or mail client makes a link of: a scheme, "www.", an e-mail address, a domain name whose
#: last label has two letters or more ("evil.example", but not "e.g." nor "3.5").
_LINK = re.compile(rf"://|\bwww[{DOTS}]|@[^\s@]+[{DOTS}][^\W\d_]{{2,}}|[^\W_][{DOTS}][^\W\d_]{{2,}}(?![^\W_])|[^\W_][{DOTS}][^\W\d_]{{2,}}[/:]",
                   re.IGNORECASE)


def has_link(text: str) -> bool:
    """Whether ``text`` holds something that would become a link (an address, a domain name, an e-mail
    address). Short public texts (progress updates) refuse them."""
    return bool(_LINK.search(text or ""))
