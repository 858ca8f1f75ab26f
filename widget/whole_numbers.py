"""Whole numbers read from requests (a query's ``min``, ``page``, ``before``, a form's ids), parsed with
bounds: whatever a stranger types, the answer is a number in range or None, never an exception.

``int()`` alone is not enough: it takes ``-5``, ``1_000``, `` 7 `` and digits of other scripts
(``٣``), and refuses a string of more than 4,300 digits with a ValueError that no view expects.
"""
from __future__ import annotations

#: The largest number an SQL integer column holds (SQLite and PostgreSQL ``bigint``): ids never exceed it.
MAX_ID = 2**63 - 1


def whole_number(text: str | None, low: int = 0, high: int = MAX_ID, clamp: bool = False) -> int | None:
    """``text`` as a whole number written in ASCII digits (spaces around it allowed), if it lies between
    ``low`` and ``high``; None for anything else (a sign, a decimal point, other scripts' digits, nothing).
    With ``clamp``, a number out of bounds is brought to the nearer bound instead of None."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    # More digits than ``high`` has: above it, without converting thousands of digits.
    number = high + 1 if len(digits) > len(str(high)) else int(digits)
    if low <= number <= high:
        return number
    return min(max(number, low), high) if clamp else None
