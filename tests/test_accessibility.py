"""WCAG 2.2 A/AA: axe-core finds no violation in the widget and the confirm pages, in English and
Arabic, light and dark; and a sign-on can be completed with the keyboard alone."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import links

AXE_VERSION = "4.14.1"
AXE_DIR = Path(__file__).resolve().parent / ".axe"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry, installed once beside the tests (tests/.axe, not committed)."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR),
             f"axe-core@{AXE_VERSION}"],
            check=True, capture_output=True,
        )
    return script.read_text(encoding="utf-8")


@pytest.fixture
def axe_page(browser, axe_source):
    # bypass_csp: our strict CSP would (rightly) refuse the injected axe script.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def check(url: str, scheme: str = "light", before=None) -> None:
        page.emulate_media(color_scheme=scheme)
        page.goto(url)
        if before:
            before(page)
        page.evaluate(axe_source)
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        violations = [
            {"id": v["id"], "help": v["help"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
            for v in result["violations"]
        ]
        assert violations == [], f"{url} ({scheme}):\n" + json.dumps(violations, indent=1, ensure_ascii=False)

    yield check
    context.close()


def submit_empty(page) -> None:
    page.locator("#signon > button[type=submit]").click()  # the form's own button, not a language
    page.locator("#error-summary").wait_for()


#: English, both right-to-left languages, and one each of the Han and Cyrillic scripts.
LANGS = ["en", "ar", "fa", "zh", "ru"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_widget_has_no_violations(live, axe_page, lang, scheme):
    # The widget's dark theme is the snippet's choice (data-theme), or the visitor's with "auto".
    theme = "light" if scheme == "light" else ("dark" if lang == "en" else "auto")
    url = f"{live.url}/w/{live.site_key}?lang={lang}&theme={theme}"
    axe_page(url, scheme)
    axe_page(url, scheme, before=submit_empty)  # with every error message shown


@pytest.mark.parametrize("lang", LANGS)
def test_confirm_pages_have_no_violations(live, axe_page, lang, inbox):
    from conftest import VALID_ANSWERS, TOKEN_INPUT
    import urllib.parse
    import urllib.request

    address = f"axe-{lang}@example.org"
    widget = urllib.request.urlopen(f"{live.url}/w/{live.site_key}?lang={lang}").read().decode()
    data = dict(VALID_ANSWERS, email=address, form_token=TOKEN_INPUT.search(widget).group(1))
    urllib.request.urlopen(f"{live.url}/w/{live.site_key}?lang={lang}", data=urllib.parse.urlencode(data).encode())
    [url] = links(inbox.wait_for(address)[0])
    axe_page(url)
    axe_page(url, "dark")
    axe_page(url, before=lambda page: page.locator("form button").click())  # the "confirmed" page
    axe_page(f"{live.url}/confirm/not-a-token?lang={lang}")


def test_host_page_and_front_page_have_no_violations(live, axe_page):
    axe_page(live.host.add("a11y-host", live.snippet()), before=lambda page: page.frame_locator("iframe").locator("h1").wait_for())
    axe_page(live.url + "/")


def test_sign_on_with_the_keyboard_alone(live, page, inbox):
    page.goto(live.host.add("keyboard", live.snippet()))
    frame = page.frame_locator("iframe")
    frame.locator("h1").wait_for()

    def focused_id() -> str:
        return frame.locator(":focus").evaluate("e => e.id") if frame.locator(":focus").count() else ""

    def tab_to(element_id: str, limit: int = 12) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if focused_id() == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    address = "keyboard@lycee.example"
    tab_to("name")
    page.keyboard.type("Kwame Mensah")
    for field_id, keys in [("email", address), ("organization", "Soil Lab"), ("org_type", "Research"),
                           ("country", "Ghana"), ("goal", "Map soil carbon."), ("actions", "Research."),
                           ("timetable", "2027")]:
        tab_to(field_id, limit=3)
        page.keyboard.type(keys)
    tab_to("consent", limit=4)
    page.keyboard.press("Space")
    # The optional boxes (the site may contact me, check-ins, news): each reached, left unticked.
    for optional in ("contact_consent", "checkin_consent", "news_consent"):
        page.keyboard.press("Tab")
        assert focused_id() == optional
    page.keyboard.press("Tab")
    assert frame.locator(":focus").inner_text() == "Sign"
    page.keyboard.press("Enter")
    frame.get_by_role("heading", name="Check your inbox").wait_for()
    assert focused_id() == "sent"  # focus follows the answer, so a screen reader reads it

    [url] = links(inbox.wait_for(address)[0])
    page.goto(url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=re.compile("your signature is confirmed")).wait_for()
    signon = live.store.find_confirmed("4p1000", address)
    assert signon.answers["org_type"] == "research" and signon.answers["country"] == "GH"


def test_host_pages_have_no_violations(live, axe_page, inbox):
    import time

    from widget.store import Mail, SignOn

    owner = "owner-a11y@example.org"
    school = live.store.add_site("École Jean Jaurès", [live.host.origin], owner, "4p1000")
    now = time.time()  # one confirmed sign-on, so that the dashboard shows its tables
    live.store.create_signon(
        SignOn(id="a11y-host", campaign="4p1000", site_key=school.key, email="a11y-dashboard@example.org", lang="en",
               status="pending", created_at=now, confirmed_at=None, consent_at=now, consent_version="v",
               answers={"org_type": "research", "country": "KE", "organization": "Soil Lab"},
               utm={"utm_source": "newsletter"}),  # the table of sources too
        Mail(to="a11y-dashboard@example.org", subject="s", text="t", html="h"),
    )
    live.store.confirm_signon("a11y-host")
    # "Where is my widget?" with reported problems and their fixes.
    live.store.record_embed_problem(school.key, live.host.origin, "csp", now)
    live.store.record_embed_problem(school.key, "https://elsewhere.example", "refused", now)
    axe_page(f"{live.url}/host/?lang=ar")
    axe_page(f"{live.url}/host/?lang=fa")

    def ask_for_link(page):
        page.locator("#email").fill(owner)
        page.locator("form button").click()
        page.get_by_role("status").wait_for()

    axe_page(f"{live.url}/host/", before=ask_for_link)
    text = inbox.wait_for(owner)[-1].get_body(("plain",)).get_content()
    [url] = re.findall(r"https?://\S+/host/login/\S+", text)

    def sign_in(page):
        page.locator("form button").click()
        page.get_by_role("heading", name="Your sites").wait_for()

    axe_page(url, before=sign_in)  # the list of the host's sites
    for lang in LANGS:
        for path in (f"/host/sites/{school.key}", f"/host/sites/{school.key}/edit", f"/host/sites/{school.key}/delete",
                     f"/host/sites/{school.key}/paper", "/host/sites/new", "/host/settings", "/host/"):
            axe_page(f"{live.url}{path}?lang={lang}", scheme="light")

    def chart_and_tables(page):
        assert page.locator("svg[role=img] title").count() >= 1 and page.get_by_role("table").count() >= 4
        assert page.locator("ul.problems li").count() == 2

    axe_page(f"{live.url}/host/sites/{school.key}", scheme="dark", before=chart_and_tables)

    from widget import notifications

    with live.app.test_request_context(base_url=live.url):
        unsubscribe = notifications.unsubscribe_url(owner, "digest")
    for lang in ("en", "ar", "fa"):
        axe_page(f"{unsubscribe}?lang={lang}")


def test_poster_page_has_no_violations(live, axe_page, inbox):
    owner = "poster-a11y@example.org"
    town = live.store.add_site("Mairie de Villeneuve", [live.host.origin], owner, "4p1000", lang="fr")

    def ask_for_link(page):
        page.locator("#email").fill(owner)
        page.locator("form button").click()
        page.get_by_role("status").wait_for()

    axe_page(f"{live.url}/host/", before=ask_for_link)
    [url] = re.findall(r"https?://\S+/host/login/\S+", inbox.wait_for(owner)[-1].get_body(("plain",)).get_content())

    def sign_in(page):
        page.locator("form button").click()
        page.get_by_role("heading", name="Your sites").wait_for()

    axe_page(url, before=sign_in)

    def poster_shown(page):
        page.locator("#print").wait_for(state="visible")  # its script ran, under the page's CSP
        assert page.locator("svg[role=img][aria-label] title").count() == 1

    for query, scheme in (("", "light"), ("", "dark"), ("?lang=ar", "light"), ("?lang=fa", "light")):
        axe_page(f"{live.url}/host/sites/{town.key}/poster{query}", scheme=scheme, before=poster_shown)
