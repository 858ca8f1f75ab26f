"""What every visitor of a host page downloads: a small loader, then the widget in two requests and
12 KB (gzipped) at most, from no other host, with no web font."""
from __future__ import annotations

import gzip
from urllib.parse import urlsplit

LOADER_GZIP_MAX = 1024
WIDGET_GZIP_MAX = 12 * 1024


def test_the_widget_costs_a_small_loader_and_two_small_requests(live, page):
    seen = []
    page.on("requestfinished", lambda request: seen.append(request))
    page.goto(live.host.add("sizes", live.snippet()))
    page.frame_locator("iframe").locator("#signon").wait_for()
    page.wait_for_load_state("networkidle")

    service, host = urlsplit(live.url).netloc, urlsplit(live.host.origin).netloc
    assert {urlsplit(r.url).netloc for r in seen} <= {service, host}, "a request to a third host"
    assert not [r for r in seen if r.resource_type == "font"]

    ours = [r for r in seen if urlsplit(r.url).netloc == service]
    loader, widget = ours[0], ours[1:]
    assert urlsplit(loader.url).path == "/embed.js"
    assert len(gzip.compress(loader.response().body())) <= LOADER_GZIP_MAX
    assert len(widget) <= 2, [r.url for r in widget]  # the page (its CSS inlined) and its script
    sizes = {urlsplit(r.url).path: len(gzip.compress(r.response().body())) for r in widget}
    assert sum(sizes.values()) <= WIDGET_GZIP_MAX, sizes
    assert all(b"@font-face" not in r.response().body() for r in widget)
