"""Make ``widget/data/world_map.json``, the country shapes of the public progress page's map, once.

Source: the npm package ``world-atlas`` 2.0.2 (``countries-110m.json``, TopoJSON), Mike Bostock's
redistribution of Natural Earth's 1:110m Admin 0 countries, version 4.1.0. Natural Earth is in the public
domain; world-atlas is under the ISC licence. The ISO 3166-1 alpha-2 codes come from the numeric ids through
Debian's ``iso-codes`` package (``/usr/share/iso-codes/json/iso_3166-1.json``).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/world_map_data.py package/countries-110m.json > widget/data/world_map.json

The shapes are projected once with the Equal Earth projection (equal areas: a large country does not look
larger than it is), rounded to whole units of an 800-wide drawing and written as SVG path data with relative
moves; Antarctica is left out. Shapes without an ISO code (N. Cyprus, Somaliland, Kosovo) are drawn as land
without figures.
"""
from __future__ import annotations

import json
import math
import sys
from typing import Any

WIDTH = 800
ISO_CODES = "/usr/share/iso-codes/json/iso_3166-1.json"
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Šavrič, Patterson and Jenny's Equal Earth projection (2018), of degrees; y grows to the north."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The topology's arcs as (longitude, latitude) points: quantised and delta-encoded in the file."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)  # each arc starts where the one before ended
    # A ring across the antimeridian (Fiji, Chukotka) would draw a line across the whole map: it is kept in
    # one piece on the side where most of it lies, and what passes the edge is clipped by the drawing.
    if any(abs(a[0] - b[0]) > 180 for a, b in zip(points, points[1:])):
        east = sum(1 for lon, _lat in points if lon > 0) * 2 > len(points)
        points = [(lon + 360 if east and lon < 0 else lon - 360 if not east and lon > 0 else lon, lat)
                  for lon, lat in points]
    return points


def main(path: str) -> None:
    topology = json.load(open(path, encoding="utf-8"))
    codes = {entry["numeric"]: entry["alpha_2"] for entry in json.load(open(ISO_CODES, encoding="utf-8"))["3166-1"]}
    arcs = decode_arcs(topology)
    scale = WIDTH / (2 * equal_earth(180, 0)[0])
    shapes: dict[str, list[list[tuple[int, int]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = codes.get(geometry.get("id", ""), "")
        if code == "AQ":
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for indexes in polygon:
                projected = []
                for lon, lat in ring(arcs, indexes):
                    x, y = equal_earth(lon, lat)
                    point = (round(x * scale + WIDTH / 2), round(-y * scale))
                    if not projected or projected[-1] != point:
                        projected.append(point)
                if len(projected) >= 3:
                    shapes.setdefault(code, []).append(projected)
    top = min(y for rings in shapes.values() for r in rings for _x, y in r)
    bottom = max(y for rings in shapes.values() for r in rings for _x, y in r)
    countries = {}
    for code, rings in sorted(shapes.items()):
        def area(r: list[tuple[int, int]]) -> float:
            return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(r, r[1:] + r[:1]))) / 2
        largest = max(rings, key=area)
        xs, ys = [x for x, _y in largest], [y for _x, y in largest]
        d = []
        for r in rings:
            parts = [f"M{r[0][0]} {r[0][1] - top}"]
            for (x0, y0), (x1, y1) in zip(r, r[1:]):
                parts.append(f"{x1 - x0} {y1 - y0}")
            d.append(parts[0] + "l" + " ".join(parts[1:]) + "z")
        countries[code] = {"d": "".join(d), "at": [(min(xs) + max(xs)) // 2, (min(ys) + max(ys)) // 2 - top]}
    json.dump({
        "source": "world-atlas 2.0.2 (npm), countries-110m.json: Natural Earth 1:110m Admin 0 countries, "
                  "version 4.1.0; converted by tools/world_map_data.py (Equal Earth projection)",
        "licence": "Natural Earth: public domain (https://www.naturalearthdata.com/about/terms-of-use/); "
                   "world-atlas: ISC licence, Copyright 2013-2019 Michael Bostock",
        "view_box": [0, 0, WIDTH, bottom - top],
        "other": countries.pop("", {"d": ""})["d"],
        "countries": countries,
    }, sys.stdout, separators=(",", ":"), sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
