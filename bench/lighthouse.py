"""Lighthouse (mobile) on a host page with the snippet between two paragraphs, per mode and language.

    npm ci --prefix bench/js && .venv/bin/python bench/lighthouse.py [--modes form,button,counter,list] [--langs en,de]

The service runs under gunicorn on loopback (SQLite, one site whose origin is the host page's server), the host
pages are served by a second loopback server, and Lighthouse 12 (bench/js, Debian's chromium) measures each page
with its default mobile emulation and throttling. Printed per page: Cumulative Layout Shift, Largest Contentful
Paint and Total Blocking Time, and the same for the page without the widget (what the widget adds to the
host's page). Figures are printed, never asserted; tests/test_cls_browser.py is the CI check of the layout shift.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from servers import free_port, gunicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from widget.snippet import snippet  # noqa: E402  (the repository's package, as the other benches use it)

HERE = Path(__file__).resolve().parent
LIGHTHOUSE = os.environ.get("LIGHTHOUSE", str(HERE / "js" / "node_modules" / ".bin" / "lighthouse"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TEXT = "Soils hold more carbon than the air and all plants together. " * 6
PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>A school's page</title></head>
<body><h1>Our school signs</h1><p>{text}</p>{widget}{more}</body></html>"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # one line a request would bury the figures
        pass


def audits(url: str) -> dict[str, float]:
    """Lighthouse's CLS, LCP (ms) and TBT (ms) of one page."""
    result = subprocess.run(
        [LIGHTHOUSE, url, f"--chrome-path={CHROMIUM}", "--chrome-flags=--headless=new --no-sandbox",
         "--only-categories=performance", "--output=json", "--quiet"],
        check=True, capture_output=True, text=True, timeout=300)
    found = json.loads(result.stdout)["audits"]
    return {"cls": found["cumulative-layout-shift"]["numericValue"],
            "lcp": found["largest-contentful-paint"]["numericValue"],
            "tbt": found["total-blocking-time"]["numericValue"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="form,button,counter,list")
    parser.add_argument("--langs", default="en,de")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pages = folder / "pages"
        pages.mkdir()
        host_port = free_port()
        handler = functools.partial(QuietHandler, directory=str(pages))
        host = http.server.ThreadingHTTPServer(("127.0.0.1", host_port), handler)
        threading.Thread(target=host.serve_forever, daemon=True).start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
        env.update({"PLEDGE_DATABASE": f"sqlite:///{folder / 'pledge.db'}", "PLEDGE_SECRET_KEY": "bench-secret",
                    "PLEDGE_DATA_DIR": str(folder / "data"), "PLEDGE_MAIL_IN_PROCESS": "false",
                    "PLEDGE_RATELIMIT_ENABLED": "false"})
        added = subprocess.run([str(Path(sys.executable).parent / "pledge-widget"), "site", "add", "--name", "École des sols",
                                "--origin", f"http://127.0.0.1:{host_port}", "--email", "host@school.example",
                                "--json"], check=True, capture_output=True, text=True, env=env)
        key = json.loads(added.stdout)["key"]
        service = gunicorn("service", "widget:create_app()", env, folder)
        try:
            service.wait_until_up("/healthz")
            rows = []
            for lang in args.langs.split(","):
                (pages / f"none-{lang}.html").write_text(PAGE.format(lang=lang, text=TEXT, widget="",
                                                                     more=f"<p>{TEXT}</p>" * 4))
                rows.append((f"no widget ({lang})", audits(f"http://127.0.0.1:{host_port}/none-{lang}.html")))
                for mode in args.modes.split(","):
                    code = snippet(service.base, key, "Sign the 4 per 1000 Declaration", mode=mode)
                    name = f"{mode}-{lang}.html"
                    (pages / name).write_text(PAGE.format(lang=lang, text=TEXT, widget=code, more=f"<p>{TEXT}</p>" * 4))
                    rows.append((f"{mode} ({lang})", audits(f"http://127.0.0.1:{host_port}/{name}")))
            print(f"{'host page':<20} {'CLS':>6} {'LCP ms':>8} {'TBT ms':>8}")
            for name, found in rows:
                print(f"{name:<20} {found['cls']:>6.3f} {found['lcp']:>8.0f} {found['tbt']:>8.0f}")
        finally:
            service.stop()
            host.shutdown()


if __name__ == "__main__":
    main()
