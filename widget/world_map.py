"""A world map of a campaign's signatories and progress reports by country, as inline SVG drawn on the
server (no script, no map library, no tiles from elsewhere).

The shapes are Natural Earth's 1:110m countries (public domain) from the npm package ``world-atlas``, projected
once by ``tools/world_map_data.py`` into ``widget/data/world_map.json`` (its ``source`` and ``licence`` say so).
A country is shaded by its signatories (three steps, relative to the country with most) and marked with a
dot when organisations there reported progress; each country has its own title (a tooltip, and what a
screen reader finds), and the page gives the same figures as a table.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from markupsafe import Markup, escape

DATA = Path(__file__).resolve().parent / "data" / "world_map.json"


@lru_cache(maxsize=1)
def shapes() -> dict[str, Any]:
    """The map's data: ``view_box``, ``countries`` (``{code: {"d": path, "at": [x, y]}}``), ``other`` (land
    without an ISO code), ``source`` and ``licence``."""
    return json.loads(DATA.read_text(encoding="utf-8"))


def level(n: int, peak: int) -> int:
    """The shade of a country with ``n`` signatories when the most in one country is ``peak``: 0 (none), then
    1, 2 or 3 (at least a tenth, at least half of the peak)."""
    if n <= 0:
        return 0
    return 3 if 2 * n >= peak else 2 if 10 * n >= peak else 1


def levels(peak: int) -> list[tuple[int, int, int]]:
    """``(shade, low, high)`` of each shade used for this ``peak``, for the key beside the map."""
    bounds = {1: (1, (peak - 1) // 10), 2: (-(-peak // 10), (peak - 1) // 2), 3: (-(-peak // 2), peak)}
    return [(shade, low, high) for shade, (low, high) in bounds.items() if low <= high]


def world_map(figures: dict[str, tuple[int, int]], title: str, label: Callable[[str, int, int], str],
              map_id: str) -> Markup:
    """An ``<svg role="img">`` titled ``title``: ``figures`` is ``{country code: (signatories, reports)}``;
    ``label(code, signatories, reports)`` is a country's title (only countries with figures have one)."""
    data = shapes()
    peak = max((signatories for signatories, _reports in figures.values()), default=0)
    paths, dots = [], []
    for code, shape in data["countries"].items():
        signatories, reports = figures.get(code, (0, 0))
        tip = f"<title>{escape(label(code, signatories, reports))}</title>" if signatories or reports else ""
        paths.append(f'<path class="n{level(signatories, peak)}" d="{shape["d"]}">{tip}</path>')
        if reports:
            x, y = shape["at"]
            dots.append(f'<circle class="reported" cx="{x}" cy="{y}" r="3"/>')
    x0, y0, width, height = data["view_box"]
    return Markup(
        f'<svg class="world-map" role="img" aria-labelledby="{map_id}" viewBox="{x0} {y0} {width} {height}" '
        f'focusable="false"><title id="{map_id}">{escape(title)}</title>'
        f'<path class="other" d="{data["other"]}"/>' + "".join(paths) + "".join(dots) + "</svg>"
    )
