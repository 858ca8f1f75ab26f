"""A bar chart of sign-ons per day as inline SVG: drawn on the server, no chart library in the browser."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable, Iterable

from markupsafe import Markup, escape

WIDTH, HEIGHT, TOP = 600, 160, 16  # the viewBox; the SVG scales to its container


def daily_series(counts: Iterable[tuple[str, int]], days: int, today: date) -> list[tuple[date, int]]:
    """``[(day, n)]`` for each of the ``days`` days up to ``today``, with 0 for days without sign-ons
    (a chart that skips empty days lies about the pace)."""
    by_day = {date.fromisoformat(day): n for day, n in counts}
    first = today - timedelta(days=days - 1)
    return [(first + timedelta(days=i), by_day.get(first + timedelta(days=i), 0)) for i in range(days)]


def bar_chart(series: list[tuple[date, int]], title: str, label: Callable[[date, int], str], chart_id: str) -> Markup:
    """An ``<svg role="img">`` whose title says what it shows; each bar has its own title (a tooltip,
    and what a screen reader finds when it explores the picture). The page gives the figures as a table too."""
    peak = max((n for _day, n in series), default=0) or 1
    slot = WIDTH / max(len(series), 1)
    bars = []
    for i, (day, n) in enumerate(series):
        height = (HEIGHT - TOP) * n / peak
        bars.append(
            f'<rect class="bar" x="{i * slot + slot * 0.15:.1f}" y="{HEIGHT - height:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{max(height, 0.5 if n else 0):.1f}">'
            f"<title>{escape(label(day, n))}</title></rect>"
        )
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'preserveAspectRatio="none" focusable="false">'
        f'<title id="{chart_id}">{escape(title)}</title>'
        f'<line class="axis" x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}"/>'
        + "".join(bars)
        + "</svg>"
    )
