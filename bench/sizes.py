"""Print what a host page and a visitor download: the loader and the widget, raw and gzipped.

    python3 bench/sizes.py

``bench/run.py`` prints the same table, read from the service under gunicorn.
"""
from __future__ import annotations

import gzip
import re
import tempfile
from typing import Callable

#: The stylesheets and scripts a page loads.
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')
MODES = ("form", "button", "counter")


def payloads(get: Callable[[str], bytes], site_key: str) -> list[tuple[str, int, int]]:
    """``(resource, bytes, gzipped bytes)`` of the loader, the widget page in each mode (and in Arabic), the
    files the form page loads, and their sum for a first visit: ``first load`` (the form, its CSS and JS)."""
    def measured(name: str, body: bytes) -> tuple[str, int, int]:
        return name, len(body), len(gzip.compress(body, 6))

    rows = [measured("loader /embed.js", get("/embed.js"))]
    pages = {mode: get(f"/w/{site_key}?mode={mode}&lang=en") for mode in MODES}
    rows += [measured(f"widget page ({mode})", body) for mode, body in pages.items()]
    rows.append(measured("widget page (form, ar)", get(f"/w/{site_key}?lang=ar")))
    assets = [measured(path.split("?")[0].rsplit("/", 1)[-1], get(path))
              for path in dict.fromkeys(ASSET.findall(pages["form"].decode()))]
    first = [rows[1], *assets]
    return rows + assets + [("first load (form + CSS + JS)", sum(r[1] for r in first), sum(r[2] for r in first))]


def table(rows: list[tuple[str, int, int]]) -> str:
    lines = [f"{'resource':<30} {'bytes':>8} {'gzip -6':>8}"]
    lines += [f"{name:<30} {raw:>8} {packed:>8}" for name, raw, packed in rows]
    return "\n".join(lines)


def main() -> None:
    from widget import create_app, state

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"PLEDGE_DATABASE": f"sqlite:///{folder}/bench.db", "PLEDGE_SECRET_KEY": "bench",
                          "PLEDGE_MAIL_IN_PROCESS": False})
        site = state(app).store.add_site("Bench", ["https://host.example"], "b@host.example", "4p1000")
        client = app.test_client()
        print(table(payloads(lambda path: client.get(path).data, site.key)))


if __name__ == "__main__":
    main()
