"""The whole journey in a real browser: a host page on one site embeds the widget served by another."""
from __future__ import annotations

import itertools
import re
import time

import pytest

from conftest import fill_by_ids, links

from widget.store import Mail, SignOn

_numbers = itertools.count(1)


def fill_sign_on(frame, address: str) -> None:
    def field(label: str):
        return frame.get_by_label(re.compile("^" + label))

    field("Your name").fill("Jeanne Martin")
    field("E-mail address").fill(address)
    field("Organisation").fill("Lycée Jean Moulin")
    field("Type of organisation").select_option("research")
    field("Country").select_option("FR")
    field("Our goal").fill("Teach soil carbon to every pupil.")
    field("Types of action").fill("Training, a school garden.")
    field("Timetable").fill("2026 to 2028")
    field("I sign this Declaration").check()


def test_sign_on_in_third_party_iframe_confirm_by_mail_and_count(live, page, context, inbox):
    url = live.host.add("journey", live.snippet())
    page.goto(url)
    iframe = page.locator("iframe")
    assert iframe.get_attribute("title") == "Sign the 4 per 1000 Declaration"
    src = iframe.get_attribute("src")
    assert src.startswith(f"{live.url}/w/{live.site_key}?")
    assert "origin=" + live.host.origin.replace(":", "%3A").replace("/", "%2F") in src

    frame = page.frame_locator("iframe")
    counts = live.store.counts("4p1000", live.site_key)
    frame.locator("#count").get_by_text(f"{counts.site} through this site").wait_for()
    # The iframe takes its content's height, told by postMessage (not the loader's default 40rem).
    page.wait_for_function("document.querySelector('iframe').style.height.endsWith('px')")

    address = f"browser{next(_numbers)}@lycee.example"
    fill_sign_on(frame, address)
    frame.get_by_role("button", name="Sign").click()
    frame.get_by_role("heading", name="Check your inbox").wait_for()

    [mail] = inbox.wait_for(address)
    [confirm_url] = links(mail)
    assert confirm_url.startswith(live.url + "/confirm/")

    confirm_page = context.new_page()
    confirm_page.goto(confirm_url)
    assert live.store.counts("4p1000", live.site_key).site == counts.site  # the GET confirmed nothing
    confirm_page.get_by_role("button", name="Confirm my signature").click()
    confirm_page.get_by_role("heading", name=re.compile("your signature is confirmed")).wait_for()

    page.reload()
    frame = page.frame_locator("iframe")
    frame.locator("#count").get_by_text(f"{counts.site + 1} through this site").wait_for()
    assert frame.locator("progress").get_attribute("value") == str(counts.total + 1)
    # Nothing was stored in the visitor's browser, for the host page or for us.
    assert context.cookies() == []


def test_errors_in_the_iframe_keep_input_and_take_focus(live, page):
    page.goto(live.host.add("errors", live.snippet()))
    frame = page.frame_locator("iframe")
    frame.get_by_label(re.compile("^E-mail address")).fill("not an address")
    frame.get_by_label(re.compile("^Your name")).fill("Kofi")
    frame.get_by_role("button", name="Sign").click()
    frame.get_by_role("alert").wait_for()
    assert frame.get_by_label(re.compile("^Your name")).input_value() == "Kofi"
    # Focus moves to the first field in error, whose message is tied to it.
    focused = frame.locator(":focus")
    assert focused.get_attribute("aria-invalid") == "true"
    email_field = frame.get_by_label(re.compile("^E-mail address"))
    assert email_field.input_value() == "not an address"
    assert "email-error" in email_field.get_attribute("aria-describedby")


def test_front_page_shows_the_demo_widget_working(live, page):
    live.store.add_site("Demo", [live.url], "demo@localhost", "4p1000", key="demo")
    page.goto(live.url + "/")
    assert page.locator("pre code").first.inner_text().startswith('<a class="pledge-widget"')
    frame = page.frame_locator("iframe")
    frame.get_by_role("button", name="Sign").wait_for()
    page.wait_for_function("document.querySelector('iframe').style.height.endsWith('px')")


def test_french_host_page_gets_french_widget_and_french_mail(live, page, context, inbox):
    page.goto(live.host.add("fr-journey", live.snippet(), lang="fr"))
    frame = page.frame_locator("iframe")
    frame.get_by_role("heading", name=re.compile("Déclaration d’intention")).wait_for()
    address = f"navigateur{next(_numbers)}@ecole.example"
    fill_by_ids(frame, address, "École du Sol", "civil_society", "FR", "Oui")
    frame.get_by_role("button", name="Signer").click()
    frame.get_by_role("heading", name="Consultez votre messagerie").wait_for()
    [mail] = inbox.wait_for(address)
    assert "Bonjour" in mail.get_body(("plain",)).get_content()
    confirm_page = context.new_page()
    confirm_page.goto(links(mail)[0])
    confirm_page.get_by_role("button", name="Confirmer ma signature").click()
    assert confirm_page.locator("html").get_attribute("lang") == "fr"


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_arabic_or_persian_host_page_gets_right_to_left_widget(live, page, lang):
    page.goto(live.host.add(f"{lang}-rtl", live.snippet(), lang=lang))
    frame = page.frame_locator("iframe")
    frame.locator("h1").wait_for()
    html = frame.locator("html")
    assert html.get_attribute("lang") == lang and html.get_attribute("dir") == "rtl"
    # Mirrored layout: the text starts at the right edge of the form.
    assert frame.locator("label[for=name]").evaluate("e => getComputedStyle(e).direction") == "rtl"
    text = frame.locator("label[for=name]").evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e); const b = r.getBoundingClientRect();"
        " return {left: b.left, right: b.right}; }"
    )
    field = frame.locator("#name").bounding_box()
    assert abs(text["right"] - (field["x"] + field["width"])) < 12  # the words end near the field's right edge
    assert text["left"] - field["x"] > 50  # and leave the left side free


@pytest.mark.parametrize("lang, autonym", [("ar", "العربية"), ("fa", "فارسی")])
def test_switching_language_keeps_what_was_typed(live, page, lang, autonym):
    page.goto(live.host.add(f"switch-{lang}", live.snippet()))
    frame = page.frame_locator("iframe")
    frame.locator("#name").fill("Kofi Boateng")
    frame.get_by_role("button", name=autonym).click()
    frame.locator(f"html[lang={lang}][dir=rtl]").wait_for()
    assert frame.locator("#name").input_value() == "Kofi Boateng"


def test_the_widget_fetches_its_own_form_token_and_keeps_its_count_fresh(live, page):
    """A cached widget page shares its form token: the script asks for the visitor's own on the first
    keystroke (once), and refreshes the count while the page stays open, with no reload."""
    page.clock.install()
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/token" in request.url else None)
    page.goto(live.host.add("fresh", live.snippet()))
    frame = page.frame_locator("iframe")
    token = frame.locator("input[name=form_token]")
    shared = token.input_value()
    frame.get_by_label(re.compile("^Your name")).fill("Jeanne")
    frame.get_by_label(re.compile("^Organisation")).fill("Lycée")
    deadline = time.monotonic() + 10
    while token.input_value() == shared:
        assert time.monotonic() < deadline, "the widget kept the shared form token"
        time.sleep(0.05)
    assert len(asked) == 1  # once, not per keystroke

    before = live.store.counts("4p1000", live.site_key)
    address = f"poll{next(_numbers)}@lycee.example"
    now = time.time()
    live.store.create_signon(SignOn(id=f"poll-{address}", campaign="4p1000", site_key=live.site_key, email=address,
                                    lang="en", status="pending", created_at=now, confirmed_at=None, consent_at=now,
                                    consent_version="v1/en"), Mail(to=address, subject="s", text="t", html="h"))
    live.store.confirm_signon(f"poll-{address}")
    page.clock.fast_forward(16_000)  # the first refresh comes 15 s after the page opened
    frame.locator("#count").get_by_text(f"{before.site + 1} through this site").wait_for(timeout=10_000)


def test_the_count_is_not_asked_for_while_the_tab_is_hidden_and_stops_after_half_an_hour(live, page):
    page.clock.install()
    polls = []
    page.on("request", lambda request: polls.append(request.url)
            if f"/w/{live.site_key}" in request.url and request.resource_type == "fetch" else None)
    page.goto(live.host.add("hidden", live.snippet()))
    frame = page.frame_locator("iframe")
    frame.locator("#count").wait_for()
    widget = next(f for f in page.frames if f.url.startswith(live.url))
    widget.evaluate("() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
                    " document.dispatchEvent(new Event('visibilitychange')); }")
    page.clock.fast_forward(120_000)  # two minutes in a background tab: nothing asked
    page.wait_for_timeout(300)
    assert polls == []
    widget.evaluate("() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
                    " document.dispatchEvent(new Event('visibilitychange')); }")
    page.clock.fast_forward(16_000)
    deadline = time.monotonic() + 10
    while not polls:
        assert time.monotonic() < deadline, "the count was not refreshed once the tab was visible again"
        page.wait_for_timeout(50)
    page.clock.fast_forward(1_800_000)  # past half an hour: the refreshes stop
    page.wait_for_timeout(300)
    settled = len(polls)
    page.clock.fast_forward(600_000)
    page.wait_for_timeout(300)
    assert len(polls) == settled


def _in(live, lang: str, message: str) -> str:
    """``message`` as the service says it in ``lang`` (so the test reads what a visitor reads)."""
    from flask_babel import gettext

    from widget import i18n

    with live.app.test_request_context(), i18n.speaking(lang):
        return gettext(message)


@pytest.mark.parametrize("lang, direction", [("zh", "ltr"), ("ru", "ltr"), ("fa", "rtl")])
def test_a_whole_journey_in_chinese_russian_and_persian(live, page, context, inbox, lang, direction):
    """A host page in the language: the widget, the mail, the confirm and thank-you pages all speak it."""
    page.goto(live.host.add(f"{lang}-journey", live.snippet(), lang=lang))
    frame = page.frame_locator("iframe")
    frame.locator(f"html[lang={lang}][dir={direction}]").wait_for()
    assert "Declaration of Intent" not in frame.locator("h1").inner_text()
    address = f"{lang}{next(_numbers)}@school.example"
    fill_by_ids(frame, address, "Soil School", "research", "CN", "2030", name="Li Wei")
    frame.locator("#signon > button[type=submit]").click()
    frame.get_by_role("heading", name=_in(live, lang, "Check your inbox")).wait_for()
    [mail] = inbox.wait_for(address)
    assert mail["Subject"] and _in(live, lang, "Hello,") in mail.get_body(("plain",)).get_content()
    confirm_page = context.new_page()
    confirm_page.goto(links(mail)[0])
    confirm_page.get_by_role("button", name=_in(live, lang, "Confirm my signature")).click()
    confirm_page.get_by_role("heading", name=_in(live, lang, "Thank you: your signature is confirmed")).wait_for()
    html = confirm_page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (lang, direction)
