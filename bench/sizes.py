"""Print what a host page and a visitor download: the loader and the widget, raw and gzipped."""
from __future__ import annotations

import gzip
import tempfile

from widget import create_app, state


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"PLEDGE_DATABASE": f"sqlite:///{folder}/bench.db", "PLEDGE_SECRET_KEY": "bench",
                          "PLEDGE_MAIL_IN_PROCESS": False})
        site = state(app).store.add_site("Bench", ["https://host.example"], "b@host.example", "4p1000")
        client = app.test_client()
        paths = {
            "loader /embed.js": "/embed.js",
            "widget page (en)": f"/w/{site.key}?lang=en",
            "widget page (ar)": f"/w/{site.key}?lang=ar",
            "widget.css": "/pledge-static/widget.css",
            "widget.js": "/pledge-static/widget.js",
        }
        print(f"{'resource':<20} {'bytes':>8} {'gzip -6':>8}")
        total = total_gz = 0
        for name, path in paths.items():
            body = client.get(path).data
            packed = len(gzip.compress(body, 6))
            print(f"{name:<20} {len(body):>8} {packed:>8}")
            if name not in ("widget page (ar)",):
                total, total_gz = total + len(body), total_gz + packed
        print(f"{'first load (en)':<20} {total:>8} {total_gz:>8}")


if __name__ == "__main__":
    main()
