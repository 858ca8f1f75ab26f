"""ISO 8601 durations (``P6M``, ``P1Y``, ``PT30S``) and the schedule of a signatory's check-ins.

A duration's years and months are calendar ones: six months after 31 August is 28 (or 29) February, not
a fixed number of seconds. Moments are seconds since the epoch, in UTC.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_DURATION = re.compile(
    r"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
#: A year a signatory's timetable names ("2026 to 2030", "by 2035").
_YEAR = re.compile(r"(?<!\d)(19\d\d|2\d\d\d)(?!\d)")
#: However a campaign is written, no sign-on is asked more often than this in all.
MAX_CHECKINS = 50


@dataclass(frozen=True)
class Duration:
    """A parsed ISO 8601 duration: calendar months (years count as twelve) and exact seconds."""

    months: int
    seconds: int

    @property
    def shortest(self) -> float:
        """The fewest seconds it can last (a month counts 28 days): no moment comes this soon after another."""
        return self.months * 28 * 86400.0 + self.seconds

    def after(self, moment: float) -> float:
        """The moment this long after ``moment``."""
        start = datetime.fromtimestamp(moment, tz=timezone.utc)
        month_index = start.month - 1 + self.months
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])  # 31 August + 6 months: the end of February
        return (start.replace(year=year, month=month, day=day) + timedelta(seconds=self.seconds)).timestamp()


def parse_duration(text: str) -> Duration:
    """``P6M``, ``P1Y``, ``P2W``, ``PT30S``... as a :class:`Duration`; ValueError for anything else
    (fractions, negative and empty durations included)."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    part = {name: int(value or 0) for name, value in match.groupdict().items()}
    duration = Duration(months=part["years"] * 12 + part["months"],
                        seconds=((part["weeks"] * 7 + part["days"]) * 24 + part["hours"]) * 3600
                        + part["minutes"] * 60 + part["seconds"])
    if duration.months == 0 and duration.seconds == 0:
        raise ValueError(f"an empty duration: {text!r}")
    return duration


def is_duration(text: object) -> bool:
    """Whether ``text`` is an ISO 8601 duration :func:`parse_duration` accepts."""
    try:
        parse_duration(text)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def timetable_end(timetable: str) -> float | None:
    """The end (31 December, 24:00 UTC) of the latest year a timetable names, or None when it names none."""
    years = [int(year) for year in _YEAR.findall(timetable or "")]
    if not years:
        return None
    return datetime(max(years) + 1, 1, 1, tzinfo=timezone.utc).timestamp()


def checkin_times(confirmed_at: float, offsets: tuple[str, ...], repeat: str | None = None,
                  until: str | None = None, limit: int = 3, timetable: str = "") -> list[float]:
    """When a sign-on confirmed at ``confirmed_at`` is asked about its commitment.

    ``offsets``: durations after the confirmation, one check-in each. ``repeat``: a duration that repeats
    after the last offset; the repeats go on until the end of the year the signatory's ``timetable``
    names (``until = "timetable"``, where it names one), else until there are ``limit`` check-ins in all.
    """
    times = sorted(parse_duration(offset).after(confirmed_at) for offset in offsets)
    if repeat is None or not times:
        return times[:MAX_CHECKINS]
    step = parse_duration(repeat)
    end = timetable_end(timetable) if until == "timetable" else None
    while len(times) < MAX_CHECKINS:
        following = step.after(times[-1])
        if (following > end) if end is not None else len(times) >= limit:
            break
        times.append(following)
    return times
