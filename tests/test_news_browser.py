"""The desk's news pages (issue 24): axe-core finds no WCAG 2.2 A/AA violation in English, Arabic and Chinese,
and nothing makes them scroll sideways on a 360 px phone."""
from __future__ import annotations

import secrets
import time

from conftest import LIVE_ADMIN
from test_accessibility import axe_source  # noqa: F401 - the session's axe-core fixture
from test_admin_browser import no_violations
from widget.admin.access import COOKIE, hash_session_id
from widget.appstate import state

PHONE = 360


def test_the_news_pages_are_accessible_and_fit_a_phone(live, browser, axe_source):  # noqa: F811
    store, now = state(live.app).store, time.time()
    session_id = secrets.token_urlsafe(32)
    store.start_admin_session(hash_session_id(session_id), LIVE_ADMIN, "pytest", now)
    store.verify_admin_session(hash_session_id(session_id), now)
    store.touch_admin_session(hash_session_id(session_id), now)
    # bypass_csp: only so that the test may inject axe-core; the CSP itself is tested over HTTP.
    context = browser.new_context(locale="en-GB", bypass_csp=True, viewport={"width": PHONE, "height": 740})
    context.add_cookies([{"name": COOKIE, "value": session_id, "url": f"{live.url}/admin/"}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live.url}/admin/updates?campaign=4p1000")
        page.get_by_label("Subject").first.fill("Ten thousand hectares")
        page.get_by_label("Message").first.fill("See https://evil.example")
        page.get_by_role("button", name="Preview").click()
        page.get_by_role("alert").wait_for()  # the link is refused, by its field
        checked = [page.url]
        no_violations(page, axe_source)
        page.get_by_label("Message").first.fill("Together you cover ten thousand hectares.")
        page.get_by_role("button", name="Preview").click()
        page.get_by_role("button", name="Send me a test").wait_for()
        preview = page.url.split("?")[0]
        for lang in ("en", "ar", "zh"):
            for url in (f"{live.url}/admin/updates?campaign=4p1000&lang={lang}", f"{preview}?lang={lang}"):
                page.goto(url)
                no_violations(page, axe_source)
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), url
                checked.append(url)
        assert len(checked) == 7
    finally:
        context.close()
