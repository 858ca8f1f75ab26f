"""Moments as campaigns write them: ISO 8601 date-times in UTC, read from text (the campaigns file, the
desk's form, ``campaign extend --to``) and written back one way."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

#: A day alone: refused, because "closes 2027-03-31" is read as the start of that day by the machine and
#: as its end by people.
_DAY_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class MomentError(ValueError):
    """A value that is not a date and time; the message says what was expected."""


def parse_moment(value: Any) -> float:
    """Seconds since the epoch of an ISO 8601 date-time: ``2027-03-01T09:00:00Z``, an offset
    (``+01:00``, converted to UTC), or no offset at all (then it is UTC); a TOML date-time too.
    Raises :class:`MomentError` for anything else, a day without its time included."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise MomentError(f"{value.isoformat()} is a day without a time: write {value.isoformat()}T00:00:00Z "
                          "for its start, or the time you mean")
    elif isinstance(value, str):
        text = value.strip()
        if _DAY_ONLY.match(text):
            raise MomentError(f"{text!r} is a day without a time: write {text}T00:00:00Z for its start, "
                              "or the time you mean")
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        except ValueError:
            raise MomentError(f"{value!r} is not an ISO 8601 date and time such as 2027-03-01T09:00:00Z") from None
    else:
        raise MomentError(f"{value!r} is not an ISO 8601 date and time such as 2027-03-01T09:00:00Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def iso_moment(timestamp: float | None) -> str | None:
    """``2027-03-01T09:00:00Z`` (to the second, UTC), or None."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(timestamp: float) -> datetime:
    """The moment as an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
