"""The host's page does not jump (issue 26): with the snippet between two paragraphs, its link holds the room
of the widget's mode from the first paint, the loader's frame takes the same room, and the final adjustment to
its content's height is small: a Cumulative Layout Shift (Chromium's layout-shift entries, summed as Lighthouse
does) of at most 0.1 in every mode, in English and a long-worded language, on a phone and a laptop screen,
whether the loader comes before the first paint or well after it."""
from __future__ import annotations

import gzip
import re
import time

import pytest

from widget.snippet import RESERVED_HEIGHTS, snippet

#: A phone as Lighthouse's mobile run emulates it (Moto G Power), and a laptop.
SCREENS = {"phone": {"width": 412, "height": 823}, "laptop": {"width": 1280, "height": 800}}
TEXT = "Soils hold more carbon than the air and all plants together. " * 6

#: Every layout shift of the host page from its start (buffered); no input comes, so each counts.
OBSERVE = """<script>
window.shifts = [];
new PerformanceObserver(list => list.getEntries().forEach(e => e.hadRecentInput || window.shifts.push(e.value)))
  .observe({type: "layout-shift", buffered: true});
</script>"""

SETTLED = "() => { const f = document.querySelector('iframe'); return f && f.ok; }"


@pytest.fixture(scope="module")
def new_site(live) -> str:
    """A site of the host page's origin with no signatures yet: what the widget shows then does not depend on
    what other tests of the session signed (a list mode's height does: see bench/RESULTS.md)."""
    return live.store.add_site("École des sols", [live.host.origin], "cls@school.example", "4p1000").key


def layout_shift(live, site_key, browser, mode: str, lang: str, screen: str, late: bool) -> float:
    code = snippet(live.url, site_key, "Sign the 4 per 1000 Declaration", mode=mode)
    url = live.host.add(f"cls-{mode}-{lang}", f"<p>{TEXT}</p>{code}" + f"<p>{TEXT}</p>" * 4, lang=lang, head=OBSERVE)
    context = browser.new_context(viewport=SCREENS[screen], locale=lang)
    try:
        page = context.new_page()
        if late:  # the loader on a slow network: the page is painted long before it runs
            page.route("**/embed.js", lambda route: (time.sleep(0.4), route.continue_()))
        page.goto(url)
        page.wait_for_function(SETTLED)
        page.wait_for_timeout(500)  # the frame's last word on its height, and a frame drawn with it
        return sum(page.evaluate("window.shifts"))
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("mode", ["form", "button", "counter", "list"])
def test_the_host_page_does_not_jump_when_the_widget_comes(live, new_site, browser, mode, lang):
    for screen, late in (("phone", True), ("laptop", False)):
        assert layout_shift(live, new_site, browser, mode, lang, screen, late) <= 0.1, (screen, late)


def test_the_loader_gives_its_frame_the_room_the_snippets_link_reserved():
    from widget.views.front import minified_loader

    loader = minified_loader().decode()
    table = re.search(r"\{button:(\d+),counter:(\d+),list:(\d+)\}\[p\.get\(\"mode\"\)\]\|\|(\d+)", loader)
    assert table, "the loader's heights"
    assert [f"{h}px" for h in table.groups()[:3]] == [RESERVED_HEIGHTS[m] for m in ("button", "counter", "list")]
    # The form reserves a screen, and its frame starts taller than a screen (the page below is out of sight).
    assert RESERVED_HEIGHTS["form"] == "100vh" and int(table.group(4)) >= 1080
    assert len(gzip.compress(loader.encode())) < 1024
