"""The operator's desk in a real browser (issue 12): an admin signs in by the e-mailed link, enrols an
authenticator (the test reads the key from the page and computes the codes with pyotp), approves a site
that waits for approval, releases a held sign-on (whose confirmation e-mail arrives at the SMTP server),
hides that signatory from the public list, and finds each action in the audit log. axe-core finds no
WCAG 2.2 AA violation on the overview and the held sign-ons page, and both fit a phone's 360 px."""
from __future__ import annotations

import re
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp

from conftest import LIVE_ADMIN, TOKEN_INPUT, VALID_ANSWERS, links
from test_accessibility import WCAG_TAGS, axe_source  # noqa: F401  (a fixture)
from widget.appstate import state
from widget.store import Limits

SHOTS = Path("/work/notes/shots")
LOGIN_LINK = re.compile(r"https?://\S+/admin/login/[A-Za-z0-9_.\-]+")


def sign_on(live, site_key: str, email: str, organization: str) -> None:
    """A sign-on through the live widget, as a browser without JavaScript sends it."""
    widget = urllib.request.urlopen(f"{live.url}/w/{site_key}").read().decode()
    data = dict(VALID_ANSWERS, email=email, organization=organization, form_token=TOKEN_INPUT.search(widget).group(1))
    urllib.request.urlopen(f"{live.url}/w/{site_key}", data=urllib.parse.urlencode(data).encode()).read()


def no_violations(page, axe_source: str) -> None:  # noqa: F811
    page.evaluate(axe_source)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    violations = [{"id": v["id"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]} for v in result["violations"]]
    assert violations == [], f"{page.url}: {violations}"


def fits_a_phone(page, shot: Path) -> None:
    """At 360 px nothing makes the page itself scroll sideways (wide tables scroll in their own box)."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.screenshot(path=str(shot), full_page=True)
    too_wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => !e.parentElement.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))""")
    assert too_wide == [], page.url
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url
    page.set_viewport_size({"width": 1280, "height": 900})


def test_desk_journey(live, browser, inbox, axe_source, monkeypatch):  # noqa: F811
    pledge = state(live.app)
    # The operator chose manual approval, and a tight limit: a second sign-on of one address is held.
    monkeypatch.setitem(live.app.config, "PLEDGE_HOST_APPROVAL", "manual")
    monkeypatch.setattr(pledge, "limits", Limits(per_email_per_day=1))
    waiting = pledge.store.add_site("Collège Victor Hugo", ["https://college.example"], "cdi@college.example",
                                    "4p1000", status="pending")
    # Its own site: the other journeys' site keeps its counts.
    journey_site = pledge.store.add_site("Maison de l'agriculture", [live.host.origin], "web@maison.example", "4p1000")
    signer = "held-journey@example.org"
    sign_on(live, journey_site.key, signer, "Ferme du Bocage")
    sign_on(live, journey_site.key, signer, "Ferme du Bocage")
    [held] = [s for s in pledge.store.held_signons() if s.email == signer]
    inbox.wait_for(signer, 1)  # the first one's confirmation (the held one was not mailed)

    # bypass_csp: only so that the test may inject axe-core; the CSP itself is tested over HTTP.
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        # Sign in: the link arrives by e-mail; the first sign-in enrols the authenticator.
        page.goto(f"{live.url}/admin/")
        page.get_by_label("E-mail address").fill(LIVE_ADMIN)
        page.get_by_role("button", name="Send me a link").click()
        [message] = inbox.wait_for(LIVE_ADMIN, 1)
        link = LOGIN_LINK.search(message.get_body(("plain",)).get_content()).group(0)
        page.goto(link)
        page.get_by_role("button", name="Continue").click()
        secret = page.locator("#totp-secret").inner_text().strip()
        page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("link", name="Continue to the desk").click()

        page.get_by_role("heading", name="Overview", level=1).wait_for()
        SHOTS.mkdir(parents=True, exist_ok=True)

        # Approve the site that waits.
        page.get_by_role("link", name="Sites").click()
        page.get_by_label("Name, key, address or owner").fill("college.example")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("button", name="Approve Collège Victor Hugo").click()
        page.get_by_role("status").filter(has_text="1 approved.").wait_for()
        assert pledge.store.get_site(waiting.key).status == "active"

        # Release the held sign-on: its confirmation e-mail goes out.
        page.get_by_role("link", name="Held").click()
        page.get_by_role("cell", name="Too many sign-ons from this address today").first.wait_for()
        page.screenshot(path=str(SHOTS / "admin_held.png"), full_page=True)
        no_violations(page, axe_source)
        fits_a_phone(page, SHOTS / "admin_held_phone.png")
        page.get_by_role("button", name="Release Ferme du Bocage").click()
        page.get_by_role("status").filter(has_text="1 sign-on released").wait_for()
        second = inbox.wait_for(signer, 2)[-1]
        [confirm_link] = links(second)

        # The signatory confirms: the organisation is on the public list; the admin hides it.
        page.goto(confirm_link)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state()
        assert pledge.store.get_signon(held.id).status == "confirmed"
        page.goto(f"{live.url}/admin/list?q=Bocage")
        page.get_by_label("Reason for hiding Ferme du Bocage").first.fill("Asked by phone to be left off")
        page.get_by_role("button", name="Hide Ferme du Bocage").first.click()
        page.get_by_role("status").filter(has_text="The entry is hidden").wait_for()
        public = urllib.request.urlopen(f"{live.url}/c/4p1000/signatories").read().decode()
        assert "Ferme du Bocage" not in public

        # Each action is in the audit log, under the admin's address.
        page.get_by_role("link", name="Audit").click()
        log = page.locator("table.audit").inner_text()
        for action in ("site.approve", "held.release", "list.hide"):
            assert action in log
        assert LIVE_ADMIN in log and "Asked by phone to be left off" in log

        # The overview, with the signature just confirmed in its figures.
        page.get_by_role("link", name="Overview").click()
        assert page.locator("svg.chart[role=img]").count() >= 1
        page.get_by_text("The figures").first.click()  # the chart's table, opened
        page.screenshot(path=str(SHOTS / "admin_overview.png"), full_page=True)
        no_violations(page, axe_source)
        fits_a_phone(page, SHOTS / "admin_overview_phone.png")

        # The block list and the invalidations (issue 23), filled in as an alert's links fill them: clean, fit a phone.
        block, _added = live.store.add_block("domain", "surge.example", "A wave of sign-ons", LIVE_ADMIN)
        try:
            for name, path in (("blocks", "/admin/blocks?kind=domain&value=surge.example"),
                               ("invalidations", "/admin/invalidations?domain=surge.example")):
                page.goto(f"{live.url}{path}")
                no_violations(page, axe_source)
                fits_a_phone(page, SHOTS / f"admin_{name}_phone.png")
        finally:
            live.store.remove_block(block.id)

        # Right to left, in Arabic and Persian: the same pages stay clean and fit a phone.
        for rtl in ("ar", "fa"):
            for name, path in (("overview", "/admin/"), ("held", "/admin/held")):
                page.goto(f"{live.url}{path}?lang={rtl}")
                assert page.locator("html").get_attribute("dir") == "rtl"
                no_violations(page, axe_source)
                fits_a_phone(page, SHOTS / f"admin_{name}_{rtl}_phone.png")
    finally:
        context.close()
