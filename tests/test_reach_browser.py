"""Reach, in a real browser: the events a host page's own analytics hear from the widget, the sources a
sign-on keeps, and a page whose CSP refuses our frame showing up on the host's dashboard."""
from __future__ import annotations

import itertools
import re

from conftest import fill_by_ids

_numbers = itertools.count(1)

#: The host page's own listener, as a tag manager would add it: every event of the widget, with its
#: detail and the element it was heard from (the listener is on the document: the events bubble).
LISTENER = ("<script>window.heard = []; for (const name of ['ready', 'open', 'signed']) "
            "document.addEventListener('pledge-widget:' + name, e => window.heard.push("
            "[e.type, e.detail, e.target.tagName, e.bubbles]))</script>")


def heard(page) -> list:
    return page.evaluate("window.heard")


def test_the_host_page_hears_ready_open_and_signed_and_the_sign_on_keeps_its_sources(live, context, page):
    """One journey for both: the host page listens for the events, and its address and snippet carry
    source codes (the page's own utm_* win over the snippet's data-utm-*, code by code)."""
    cookies_before = context.cookies()
    snippet = live.snippet(mode="button", **{"utm-source": "footer", "utm-campaign": "autumn"})
    page.goto(live.host.add("events", snippet, head=LISTENER) + "?utm_source=share&utm_medium=whatsapp&id=7")
    src = page.locator("iframe").get_attribute("src")
    assert "utm" not in src.split("#")[0]  # never in the query: one cached widget page serves every page
    page.wait_for_function("window.heard.length >= 1")
    detail = {"site": live.site_key, "mode": "button"}
    assert heard(page) == [["pledge-widget:ready", detail, "IFRAME", True]]

    frame = page.frame_locator("iframe")
    frame.get_by_role("button", name="Sign").click()
    page.wait_for_function("window.heard.length >= 2")
    assert heard(page)[1] == ["pledge-widget:open", detail, "IFRAME", True]

    address = f"events{next(_numbers)}@ecole.example"
    fill_by_ids(frame, address, "École des Tilleuls", "civil_society", "FR", "A school garden.")
    frame.locator("#signon").get_by_role("button", name="Sign").click()
    frame.get_by_role("heading", name="Check your inbox").wait_for()
    page.wait_for_function("window.heard.length >= 3")
    assert heard(page)[2] == ["pledge-widget:signed", detail, "IFRAME", True]
    assert address not in str(heard(page)) and "Tilleuls" not in str(heard(page))
    [signon] = live.store.signons_of(address)
    assert signon.utm == {"utm_source": "share", "utm_medium": "whatsapp", "utm_campaign": "autumn"}
    assert signon.page_url == live.host.origin + "/events"
    # Once only: the loaded "sent" page said it, and nothing said "ready" twice.
    page.wait_for_timeout(300)
    assert [e[0] for e in heard(page)] == ["pledge-widget:ready", "pledge-widget:open", "pledge-widget:signed"]
    # No script of ours wrote a cookie, on the host page nor in the frame.
    assert context.cookies() == cookies_before
    assert page.evaluate("document.cookie") == ""


def test_messages_from_the_host_page_itself_fire_no_event(live, page):
    page.goto(live.host.add("events-spoof", live.snippet(), head=LISTENER))
    page.wait_for_function("window.heard.length >= 1")
    page.evaluate("window.postMessage({pledgeEvent: 'signed'}, '*')")
    page.wait_for_timeout(200)
    assert [e[0] for e in heard(page)] == ["pledge-widget:ready"]


def test_a_page_whose_csp_refuses_our_frame_shows_on_the_dashboard_with_its_fix(live, browser, page, inbox):
    """The host page allows our script, not our frame: the visitor gets the link at once, the loader's beacon
    reaches the service once, the host is mailed, and the dashboard names the origin and the two CSP lines."""
    owner = "health@college.example"
    site = live.store.add_site("Collège Victor Hugo", [live.host.origin], owner, "4p1000")
    csp = f"script-src 'self' {live.url}; frame-src 'none'"  # connect-src unrestricted: the beacon may go
    snippet = live.snippet(site.key) + live.snippet(site.key)  # two widgets, one report per page view
    page.goto(live.host.add("csp-report", snippet, headers={"Content-Security-Policy": csp}))
    page.get_by_role("link", name="Sign the 4 per 1000 Declaration").first.wait_for()
    page.wait_for_function("document.querySelectorAll('iframe').length === 0")
    mail = inbox.wait_for(owner)[-1]  # the live sender delivers the host's weekly mail at once
    assert mail["Subject"] == "The widget of Collège Victor Hugo could not show on a page"
    [problem] = live.store.embed_problems(site.key, 0)
    assert (problem.origin, problem.reason, problem.count) == (live.host.origin, "csp", 1)

    host_context = browser.new_context(locale="en-GB")
    try:
        host = host_context.new_page()
        host.set_default_timeout(15_000)
        host.goto(f"{live.url}/host/")
        host.locator("#email").fill(owner)
        host.locator("form button[type=submit]").click()
        host.get_by_role("status").wait_for()
        login = next(url for m in inbox.wait_for(owner, count=2)
                     for url in re.findall(r"https?://\S+/host/login/\S+", m.get_body(("plain",)).get_content()))
        host.goto(login)
        host.locator("main form button").click()
        host.goto(f"{live.url}/host/sites/{site.key}")
        problems = host.locator("ul.problems")
        assert live.host.origin in problems.inner_text()
        assert "Content-Security-Policy does not allow the widget" in problems.inner_text()
        assert problems.locator("code").inner_text() == f"script-src {live.url}\nframe-src {live.url}"
    finally:
        host_context.close()
