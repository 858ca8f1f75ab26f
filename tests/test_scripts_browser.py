"""Chinese, Japanese, Hindi and Persian on a 360 px phone, with no web font: each script is drawn by a font
the widget's stylesheet names for it (one the machine has), and nothing is wider than the screen."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parent.parent / "widget" / "static" / "widget.css"


def stack(lang: str) -> list[str]:
    """The font families widget.css names for ``:lang(lang)``."""
    for selectors, families in re.findall(r"([^{}]*:lang\([a-z]+\)[^{}]*)\{\s*font-family:([^;]+);", CSS.read_text()):
        if f":lang({lang})" in selectors:
            return [family.strip().strip('"') for family in families.split(",")]
    raise AssertionError(f"widget.css names no fonts for :lang({lang})")


@lru_cache(maxsize=1)
def installed_fonts() -> frozenset[str]:
    """The font families fontconfig (Chromium's font source on Linux) knows on this machine."""
    if not shutil.which("fc-list"):
        return frozenset()
    listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return frozenset(name.strip() for line in listed.splitlines() for name in line.split(","))


def missing_fonts(lang: str) -> str | None:
    """Why this machine cannot draw ``lang`` with a font the stylesheet names (None: it can)."""
    if installed_fonts() & set(stack(lang)):
        return None
    return (f"no font of widget.css's stack for {lang} is installed ({', '.join(stack(lang))}): "
            "apt-get install fonts-noto-cjk fonts-noto-core")


def with_fonts(lang: str):
    """``lang`` as a test parameter, skipped with the reason when its fonts are missing, except in CI
    (``CI`` set), where the test runs and fails: a run without the fonts must never pass as green."""
    problem = None if os.environ.get("CI") else missing_fonts(lang)
    return pytest.param(lang, marks=pytest.mark.skipif(problem is not None, reason=problem or ""))


@pytest.mark.parametrize("lang", [with_fonts(lang) for lang in ("zh", "ja", "hi", "fa")])
def test_each_script_is_drawn_with_a_font_of_its_stack_on_a_phone(live, browser, lang, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 800}, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{live.url}/w/{live.site_key}?lang={lang}")
        page.locator("h1").wait_for()
        cdp = context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        used: dict[str, int] = {}
        for selector in ("h1", "label[for=organization]", "#signon > button[type=submit]"):
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
                used[font["familyName"]] = used.get(font["familyName"], 0) + font["glyphCount"]
        main_font = max(used, key=used.get)
        assert main_font in stack(lang), f"{lang}: drawn with {used}, the stylesheet names {stack(lang)}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
        shots = os.environ.get("TEST_SCREENSHOTS")  # to look at them: TEST_SCREENSHOTS=/some/folder
        page.screenshot(path=str(Path(shots or tmp_path) / f"widget-{lang}-360.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "de", "ru"])
def test_the_public_list_fits_a_phone_in_long_worded_languages(live, browser, lang):
    """German and Russian name the types of organisation in long words ("Nichtregierungsorganisation"):
    the list's table still fits a 360 px screen, with no sideways scrolling."""
    from test_list import sign

    from widget.appstate import state

    sign(state(live.app).store, f"phone-{lang}", "Bodenkooperative", site_key=live.site_key, country="CF",
         org_type="civil_society")
    context = browser.new_context(viewport={"width": 360, "height": 800}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{live.url}/c/4p1000/signatories?lang={lang}")
        page.locator("table.list").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
