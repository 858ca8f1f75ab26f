"""Forced colours (Windows high contrast): the system paints every background with one colour, so a button
is seen only by its border. Every primary button (and every link drawn as one) of the widget, the host's
pages and the desk keeps a visible border there."""
from __future__ import annotations

import re

import pytest

#: Buttons and links drawn as buttons, as (tag, text, why not) for each one whose border is missing. The
#: language buttons (button.link) look like links on purpose: they are left out.
MISSING_BORDERS = """() => [...document.querySelectorAll("button:not(.link), a.button")].filter(b => b.getClientRects().length)
  .map(b => { const s = getComputedStyle(b);
    const sides = ["Top", "Right", "Bottom", "Left"].filter(side =>
      parseFloat(s[`border${side}Width`]) < 1 || s[`border${side}Style`] === "none" || s[`border${side}Color`] === s.backgroundColor);
    return [b.tagName, b.textContent.trim().slice(0, 30), sides.join(" ")] })"""


@pytest.fixture
def forced(browser):
    context = browser.new_context(locale="en-GB", forced_colors="active")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def assert_buttons_have_borders(page) -> None:
    assert page.evaluate("matchMedia('(forced-colors: active)').matches")
    buttons = page.evaluate(MISSING_BORDERS)
    assert buttons, f"no button on {page.url}"
    assert [b for b in buttons if b[2]] == [], page.url


@pytest.mark.parametrize("mode", ["form", "button", "counter", "list"])
def test_widget_buttons_keep_a_border_in_forced_colours(live, forced, mode):
    forced.goto(f"{live.url}/w/{live.site_key}?mode={mode}&lang=en")
    if mode == "button":
        forced.locator("#sign-open").click()  # its form's own "Sign" too
    assert_buttons_have_borders(forced)


def test_host_and_desk_buttons_keep_a_border_in_forced_colours(live, forced, inbox):
    for address in (f"{live.url}/host/", f"{live.url}/admin/"):
        forced.goto(address)
        assert_buttons_have_borders(forced)
    # Signed in, the host's own pages.
    owner = "forced-colours@ecole.example"
    forced.goto(f"{live.url}/host/")
    forced.locator("#email").fill(owner)
    forced.locator("form button[type=submit]").click()
    [login] = re.findall(r"https?://\S+/host/login/\S+", inbox.wait_for(owner)[-1].get_body(("plain",)).get_content())
    forced.goto(login)
    assert_buttons_have_borders(forced)
    forced.locator("main form button").click()
    forced.goto(f"{live.url}/host/sites/new")
    assert_buttons_have_borders(forced)
