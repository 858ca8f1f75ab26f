"""Asking an organisation to sign, in Chromium: the host picks a kind and a language, types its name into the
letter (it never leaves the browser), copies the e-mail, prints the letter and the council resolution each on
one A4 sheet (in English, French, Arabic, Chinese and Hindi), keeps its list; the page has no WCAG 2.2 AA
violation in English and Arabic and fits a 360 px phone."""
from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from test_accessibility import axe_source  # noqa: F401  (a fixture)
from test_admin_browser import fits_a_phone, no_violations
from widget import ask_texts

OWNER = "ask-browser@villanueva.example"
PAGE = re.compile(rb"/Type\s*/Page\b")


@pytest.fixture(scope="module")
def signed_in(live, browser, smtp_server):
    """The host's session, signed in once for the module (the host sign-in allows 5 a minute per client)."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live.url}/host/")
    page.locator("#email").fill(OWNER)
    page.locator("form button[type=submit]").click()
    page.get_by_role("status").wait_for()
    mail = smtp_server.inbox.wait_for(OWNER)[-1]
    [url] = re.findall(r"https?://\S+/host/login/\S+", mail.get_body(("plain",)).get_content())
    page.goto(url)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/host/?$"))
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def host(live, browser, signed_in):
    """``open_as(name, locale)``: a new site of the host (its language French) and the host's browser, in
    ``locale``, clipboard allowed, CSP bypassed for axe."""
    contexts = []

    def open_as(name: str, locale: str = "en-GB"):
        site = live.store.add_site(name, [live.host.origin], OWNER, "4p1000", lang="fr")
        context = browser.new_context(locale=locale, bypass_csp=True, storage_state=signed_in)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page, site

    yield open_as
    for context in contexts:
        context.close()


def sheets(page) -> int:
    """How many A4 pages the page prints to."""
    return len(PAGE.findall(page.pdf(format="A4")))


def test_the_host_picks_a_council_and_spanish_signs_the_letter_and_copies_the_e_mail(live, host):
    page, site = host("Villanueva en transición")
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(f"{live.url}/host/sites/{site.key}")
    page.get_by_role("link", name=re.compile("Ask an organisation to sign")).click()
    page.locator("#kind").select_option("public_authority")
    page.locator("#letter-lang").select_option("es")
    page.locator("form.ask-choice button").click()
    page.wait_for_url(re.compile(r"org_type=public_authority&lang=es"))
    sign_on = f"{live.url}/w/{site.key}?lang=es"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".letter").get_attribute("lang") == "es"
    assert page.locator(".letter-url").inner_text() == sign_on

    # The name and organisation typed in go on the letter and under the e-mail, as text.
    assert page.locator("#sender").is_visible()
    page.locator("#sender_name").fill("Lucía <b>Pérez</b>")
    page.locator("#sender_org").fill("Vecinos https://evil.example")
    assert page.locator(".letter-from").inner_text() == "Lucía <b>Pérez</b>\nVecinos https://evil.example"
    assert page.locator(".letter-signature").inner_text() == "Lucía <b>Pérez</b>"
    assert page.locator(".letter a").count() == 1  # the sign-on address, and never what was typed
    href = page.locator("#mailto").get_attribute("href")
    body = unquote(href.split("&body=")[1])
    assert sign_on in body and body.endswith("\r\n\r\nLucía <b>Pérez</b>\r\nVecinos https://evil.example")
    assert len(href) <= ask_texts.MAILTO_MAX

    page.get_by_role("button", name="Copy the message").click()
    page.get_by_role("status").filter(has_text="Copied.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Hola") and sign_on in copied and copied.endswith("Lucía <b>Pérez</b>\nVecinos https://evil.example")

    # Printed: the letter alone, one A4 sheet; the resolution alone when its button asks.
    page.emulate_media(media="print")
    assert page.locator(".letter").is_visible() and not page.locator(".host-bar").is_visible()
    assert not page.locator(".resolution").is_visible() and not page.locator("#sender").is_visible()
    assert sheets(page) == 1
    page.emulate_media(media="screen")
    page.evaluate("window.print = () => {}")  # headless Chromium has no print dialog to wait for
    page.locator("#print-resolution").click()
    page.emulate_media(media="print")
    assert page.locator(".resolution").is_visible() and not page.locator(".letter").is_visible()
    assert sheets(page) == 1
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.locator(".letter").is_visible()
    page.emulate_media(media="screen")

    # The ask recorded, then marked once the council's sign-on through the site is confirmed.
    page.locator("#organization").fill("Ayuntamiento de Villanueva")
    page.locator("#note").fill("Escrito a la alcaldesa")
    page.get_by_role("button", name="Add to my list").click()
    page.get_by_role("status").filter(has_text="Added to your list.").wait_for()
    assert page.locator("ul.asks li").count() == 1 and "Not signed through your site yet" in page.locator("ul.asks").inner_text()
    assert page.locator("#kind").input_value() == "public_authority" and page.locator(".letter").get_attribute("lang") == "es"
    assert page.locator(".letter-signature").inner_text() == "Lucía <b>Pérez</b>"  # kept by the tab across the reload
    sent = " ".join(f"{r.url} {r.post_data or ''}" for r in requests)
    assert "Luc" not in sent and "Vecinos" not in sent  # what the host typed for the letter never reached us


@pytest.mark.parametrize("lang", ["en", "fr", "ar", "zh", "hi"])
def test_each_letter_prints_on_one_a4_sheet(live, host, lang):
    page, site = host(f"Imprimer {lang}")
    page.set_viewport_size({"width": 1280, "height": 900})
    # Every kind in English; elsewhere the longest letter and the council's resolution.
    kinds = list(ask_texts.KINDS) if lang == "en" else [max(ask_texts.KINDS, key=lambda k: len(ask_texts.KINDS[k][2]))]
    for kind in dict.fromkeys([*kinds, "public_authority"]):
        page.goto(f"{live.url}/host/sites/{site.key}/ask?org_type={kind}&lang={lang}")
        page.locator("#sender_name").fill("Lucía Fernández de la Torre")
        page.locator("#sender_org").fill("Association des parents d'élèves de l'école Jean Jaurès")
        page.emulate_media(media="print")
        assert page.locator(".letter").get_attribute("lang") == lang and page.locator("svg.qr").is_visible()
        assert sheets(page) == 1, (lang, kind)
        if kind == "public_authority":
            page.evaluate("document.body.classList.add('print-resolution')")
            assert sheets(page) == 1, (lang, "resolution")
        page.emulate_media(media="screen")


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("ar", "ar")])
def test_the_page_is_accessible_and_fits_a_phone(live, host, axe_source, tmp_path, locale, lang):  # noqa: F811
    page, site = host(f"Accessible {lang}", locale)
    url = f"{live.url}/host/sites/{site.key}/ask?org_type=public_authority&lang={lang}"
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == lang
    page.locator("#organization").fill("مجلس بلدية الرباط" if lang == "ar" else "Ayuntamiento de Villanueva de la Cañada")
    page.locator("#note").fill("x" * 120)
    page.locator("form[action*='#asked'] button[type=submit]").first.click()
    page.locator("ul.asks li").first.wait_for()
    no_violations(page, axe_source)
    fits_a_phone(page, tmp_path / f"ask-{lang}.png")
    page.locator("#organization").fill("")
    page.locator("form[action*='#asked'] button[type=submit]").first.click()
    page.locator("#error-summary").wait_for()  # with its error shown
    no_violations(page, axe_source)
    page.goto(f"{live.url}/host/sites/{site.key}")
    no_violations(page, axe_source)  # the dashboard with its new link and counts
