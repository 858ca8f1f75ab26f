"""A campaign's whole life in Chromium (issue 22): on a host page, a campaign opens, collects a sign-on,
pauses, resumes, closes and is extended on the real clock; the desk writes a campaign in two languages,
with its live preview, and its widget works at once (sign, confirm, count); a snippet pinned with its
integrity (SRI) shows the widget, a tampered one does not; every new page is axe-clean in English and
Arabic."""
from __future__ import annotations

import re
import secrets
import time
import urllib.request

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import links
from test_accessibility import axe_page, axe_source  # noqa: F401  (fixtures)
from test_admin_browser import no_violations
from widget import campaign_actions, state
from widget.admin.access import COOKIE, hash_session_id
from widget.moments import iso_moment
from widget.snippet import snippet
from widget.views.front import loader_integrity

ACTOR = "cli:browser-test"


def desk_campaign(live, slug: str, opens: float | None = None, closes: float | None = None,
                  arabic: bool = False) -> str:
    """A campaign written in the live service's desk, and a site of the host pages for it; its key."""
    spec = {"fields": ["name", "email", "organization", "country", "consent"], "required": ["name", "email", "consent"],
            "texts": {"en": {"title": f"Gardens {slug}", "declaration": "We ask for a garden in every school.",
                             "consent": "I sign this letter."}}}
    if arabic:
        spec["texts"]["ar"] = {"title": "حدائق المدارس", "declaration": "نطلب حديقة في كل مدرسة.", "consent": "أوقّع."}
    spec.update({key: iso_moment(value) for key, value in (("opens", opens), ("closes", closes)) if value})
    with live.app.test_request_context():
        campaign, problems = campaign_actions.save_campaign(slug, spec, ACTOR, create=True)
    assert problems == []
    return live.store.add_site(f"School {slug}", [live.host.origin], f"web@{slug}.example", slug).key


def fill_letter(frame, name: str, address: str, organization: str) -> None:
    """The form of these letters (name, address, organisation, country, consent), by its fields' ids."""
    frame.locator("#name").fill(name)
    frame.locator("#email").fill(address)
    frame.locator("#organization").fill(organization)
    frame.locator("#country").select_option("FR")
    frame.locator("#consent").check()


def act(live, action, slug: str, *args) -> None:
    with live.app.test_request_context():
        action(slug, *args, ACTOR)


def shown(page, selector: str, within: float = 30.0):
    """Reload the host page until its widget shows ``selector`` (the clock moves on its own): the frame."""
    deadline = time.monotonic() + within
    while True:
        page.reload()
        frame = page.frame_locator("iframe")
        try:
            frame.locator(selector).first.wait_for(timeout=1500)
            return frame
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise


def test_a_campaign_opens_collects_pauses_resumes_closes_and_is_extended_on_the_clock(live, page, context, inbox):
    start = time.time()
    key = desk_campaign(live, f"clock-{secrets.token_hex(3)}", opens=start + 5, closes=start + 18)
    slug = state(live.app).store.get_site(key).campaign
    page.goto(live.host.add(f"clock-{key}", live.snippet(key)))

    frame = page.frame_locator("iframe")
    frame.get_by_text(re.compile(r"^Opens on .* UTC$")).wait_for()  # upcoming: when it opens, no form
    assert frame.locator("#signon").count() == 0

    frame = shown(page, "#signon")  # it opened
    fill_letter(frame, "Ada", "clock@school.example", "Clock School")
    frame.locator("#signon button[type=submit]").click()
    frame.locator("#sent").wait_for()

    act(live, campaign_actions.pause, slug)
    frame = shown(page, "text=Signing is paused for a moment.", within=5)
    assert frame.locator("#signon").count() == 0
    act(live, campaign_actions.resume, slug)
    shown(page, "#signon", within=5)

    frame = shown(page, "text=Signing is closed. Thank you to everyone who signed.")  # closes passed
    assert frame.locator("#signon").count() == 0
    # The sign-on made before the close still counts, confirmed with its link after it.
    [mail] = inbox.wait_for("clock@school.example")
    confirm = context.new_page()
    confirm.goto(links(mail)[0])
    confirm.locator("form button[type=submit]").first.click()
    confirm.wait_for_load_state()
    frame = shown(page, "text=/^1 organisation signed by /", within=5)
    frame.get_by_role("link", name=re.compile("See all signatories")).wait_for()

    act(live, campaign_actions.extend, slug, time.time() + 3600)
    frame = shown(page, "#signon", within=5)
    frame.get_by_text(re.compile(r"^Closes (today at .* UTC|in 1 day)$")).wait_for()
    assert time.time() - start < 60


def test_each_state_of_the_widget_is_axe_clean_in_english_and_arabic(live, axe_page):  # noqa: F811
    tag = secrets.token_hex(3)
    upcoming = desk_campaign(live, f"soon-{tag}", opens=time.time() + 86400, arabic=True)
    paused = desk_campaign(live, f"paused-{tag}", arabic=True)
    closed = desk_campaign(live, f"closed-{tag}", arabic=True)
    act(live, campaign_actions.pause, f"paused-{tag}")
    act(live, campaign_actions.close, f"closed-{tag}")
    countdown = desk_campaign(live, f"last-{tag}", closes=time.time() + 2 * 86400, arabic=True)
    for key in (upcoming, paused, closed, countdown):
        for lang in ("en", "ar"):
            axe_page(f"{live.url}/w/{key}?lang={lang}&origin={live.host.origin}")
    axe_page(f"{live.url}/w/{closed}?lang=ar&mode=list&origin={live.host.origin}")


def test_the_desk_writes_a_campaign_in_two_languages_whose_widget_works_at_once(live, browser, inbox,
                                                                                axe_source):  # noqa: F811
    session_id = secrets.token_urlsafe(32)
    now = time.time()
    live.store.start_admin_session(hash_session_id(session_id), "desk@example.org", "playwright", now)
    live.store.verify_admin_session(hash_session_id(session_id), now)
    # bypass_csp: only so that the test may inject axe-core; the CSP itself is tested over HTTP.
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    context.add_cookies([{"name": COOKIE, "value": session_id, "domain": "127.0.0.1", "path": "/admin"}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    slug = f"letter-{secrets.token_hex(3)}"
    try:
        page.goto(f"{live.url}/admin/campaigns")
        page.get_by_role("heading", name="Campaigns", level=1).wait_for()
        no_violations(page, axe_source)
        page.get_by_role("link", name="New campaign").click()
        page.locator("#slug").fill(slug)
        page.locator("#goal").fill("auto")
        page.locator("#text-title").fill("Open letter for school gardens")
        page.locator("#text-declaration").fill("We ask for a garden in every school.\n\nSoil is a classroom.")
        page.locator("#text-consent").fill("I sign this letter.")
        # The live preview follows what is typed, before anything is saved.
        preview = page.frame_locator("iframe.preview:not([hidden])")
        preview.get_by_role("heading", name="Open letter for school gardens").wait_for()
        assert slug not in state(live.app).campaigns
        no_violations(page, axe_source)
        page.get_by_role("button", name="Create the campaign").click()
        page.get_by_role("status").filter(has_text="The campaign is saved").wait_for()
        page.get_by_text(re.compile("^No texts yet in Français")).wait_for()

        page.get_by_role("link", name="Français").click()
        page.locator("#text-title").fill("Lettre ouverte pour les jardins d'école")
        page.locator("#text-declaration").fill("Nous demandons un jardin dans chaque école.")
        page.locator("#text-consent").fill("Je signe cette lettre.")
        preview = page.frame_locator("iframe.preview:not([hidden])")
        preview.get_by_role("heading", name="Lettre ouverte pour les jardins d'école").wait_for()
        page.get_by_role("button", name="Save").click()
        page.get_by_role("status").filter(has_text="The campaign is saved").wait_for()
        for lang in ("en", "ar"):
            for path in ("/admin/campaigns", "/admin/campaigns/new", f"/admin/campaigns/{slug}/edit?texts=fr"):
                page.goto(f"{live.url}{path}{'&' if '?' in path else '?'}lang={lang}")
                no_violations(page, axe_source)
    finally:
        context.close()

    # A host adds a site for it; its widget works at once, in French on a French page.
    result = live.app.test_cli_runner().invoke(args=[
        "pledge", "site", "add", "--name", "École", "--origin", live.host.origin, "--email", "web@ecole.example",
        "--campaign", slug, "--json"])
    assert result.exit_code == 0, result.output
    key = re.search(r'"key": "([^"]+)"', result.output).group(1)
    visitor = browser.new_context(locale="fr-FR")
    try:
        host = visitor.new_page()
        host.goto(live.host.add(f"letter-{key}", live.snippet(key), lang="fr"))
        frame = host.frame_locator("iframe")
        frame.get_by_role("heading", name="Lettre ouverte pour les jardins d'école").wait_for()
        fill_letter(frame, "Camille", "camille@ecole.example", "École du Parc")
        frame.locator("#signon button[type=submit]").click()
        frame.locator("#sent").wait_for()
        [mail] = inbox.wait_for("camille@ecole.example")
        confirm = visitor.new_page()
        confirm.goto(links(mail)[0])
        confirm.locator("form button[type=submit]").first.click()
        confirm.wait_for_load_state()
    finally:
        visitor.close()
    count = urllib.request.urlopen(f"{live.url}/api/v1/sites/{key}/count").read().decode()
    assert '"total":1' in count.replace(" ", "") and '"goal":100' in count.replace(" ", "")
    [signon] = [s for s in live.store.signons_of("camille@ecole.example")]
    # French visitors read the English consent before its French wording was written: that is version 2.
    assert (signon.campaign, signon.lang, signon.consent_version) == (slug, "fr", "2/fr")


def test_a_snippet_pinned_with_its_integrity_shows_the_widget(live, page):
    pinned = snippet(live.url, live.site_key, "Sign the 4 per 1000 Declaration", integrity=loader_integrity())
    assert "/embed/v1.js" in pinned and 'crossorigin="anonymous"' in pinned
    page.goto(live.host.add("pinned", pinned))
    page.frame_locator("iframe").locator("#signon").wait_for()
    # A loader whose bytes are not those the snippet names never runs: the link stays a link.
    tampered = pinned.replace(loader_integrity(), "sha384-" + "A" * 64)
    page.goto(live.host.add("tampered", tampered))
    page.wait_for_load_state("load")
    assert page.locator("iframe").count() == 0
    assert page.get_by_role("link", name="Sign the 4 per 1000 Declaration").count() == 1
