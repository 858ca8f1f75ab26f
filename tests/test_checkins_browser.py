"""The pages and mails of check-ins, progress and news: axe-core finds no WCAG 2.2 A/AA violation in English,
Arabic and Chinese, and nothing scrolls sideways on a 360 px phone."""
from __future__ import annotations

import json
import time

import pytest

from test_accessibility import WCAG_TAGS, axe_source  # noqa: F401 - the session's axe-core fixture
from widget import state
from widget.checkins import checkin_mail
from widget.news import news_mail
from widget.store import Mail, SignOn, new_id
from widget.store.news import NewsUpdate

PHONE = 360


@pytest.fixture
def phone_axe(browser, axe_source):  # noqa: F811
    context = browser.new_context(bypass_csp=True, viewport={"width": PHONE, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15_000)

    def check(url: str, before=None, html: str | None = None) -> None:
        """Check the page at ``url`` (``html``: that mail's HTML instead, ``url`` naming it)."""
        if html is None:
            page.goto(url)
        else:
            page.set_content(html)
        if before:
            before(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, url
        page.evaluate(axe_source)
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        violations = [{"id": v["id"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]} for v in result["violations"]]
        assert violations == [], f"{url}:\n" + json.dumps(violations, indent=1, ensure_ascii=False)

    yield check
    context.close()


def reporting_signon(live, lang: str) -> tuple[str, str]:
    """A confirmed sign-on in ``lang`` that agreed to check-ins, with a progress link: ``(link token, withdraw token)``."""
    store = live.store
    signon_id = new_id(18)
    now = time.time()
    store.create_signon(SignOn(
        id=signon_id, campaign="4p1000", site_key=live.site_key, email=f"{signon_id.lower()}@farm.example", lang=lang,
        status="pending", created_at=now, confirmed_at=None, consent_at=now, consent_version=f"v/{lang}",
        answers={"organization": "Ferme des Trois Chênes — a long organisation name", "country": "MA",
                 "org_type": "producers_group", "goal": "Raise soil carbon on 120 ha by 2030, field by field."},
        checkin_consent=f"v/{lang}", news_consent=f"v/{lang}"), Mail(to="x@farm.example", subject="", text="", html=""))
    store.confirm_signon(signon_id)
    link_id = new_id(18)
    store.add_progress_link(signon_id, link_id, Mail(to="x@farm.example", subject="", text="", html=""))
    tokens = state(live.app).tokens
    return tokens.dumps("progress", link_id), tokens.dumps("withdraw", signon_id)


@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_progress_pages_are_accessible_and_fit_a_phone(live, phone_axe, lang):
    token, withdraw = reporting_signon(live, lang)
    phone_axe(f"{live.url}/progress/{token}")

    def wrong_update(page):  # the form again, with its errors shown
        page.locator("#status-done").check()
        page.locator("#update").fill("See https://farm.example/report")
        page.locator("form button[type=submit]").click()
        page.locator("#update-error").wait_for()

    phone_axe(f"{live.url}/progress/{token}", before=wrong_update)

    def report(page):
        page.locator("#status-in_progress").check()
        page.locator("#update").fill("Cover crops sown on 40 ha; hedges next winter.")
        page.locator("form button[type=submit]").click()
        page.locator("[role=status]").wait_for()

    phone_axe(f"{live.url}/progress/{token}", before=report)
    phone_axe(f"{live.url}/progress/{token}")  # used: the page that offers a new link
    for update in state(live.app).store.updates(None, "pending"):
        state(live.app).store.moderate_update(update.id, "approved")
    state(live.app).pages.clear()
    phone_axe(f"{live.url}/c/4p1000/progress?lang={lang}")
    phone_axe(f"{live.url}/withdraw/{withdraw}")  # with its two "stop" buttons
    phone_axe(f"{live.url}/withdraw/{withdraw}", before=lambda page: page.locator("form button.secondary").first.click())


@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_check_in_and_news_mails_and_an_expired_link_are_accessible_and_fit_a_phone(live, phone_axe, lang):
    token, _withdraw = reporting_signon(live, lang)
    pledge = state(live.app)
    link_id, _issued = pledge.tokens.loads("progress", token)
    signon = pledge.store.get_signon(pledge.store.get_progress_link(link_id).signon_id)
    # An update written in English only: Arabic and Chinese readers get it with the note saying so.
    update = NewsUpdate(0, "4p1000", {"en": {"subject": "Ten thousand hectares", "body": "Together you cover ten "
                                             "thousand hectares.\nThank you."}}, "sending", "desk@farm.example",
                        time.time(), time.time(), None, 1)
    with live.app.test_request_context(base_url=live.url):
        mails = {"check-in": checkin_mail(signon, link_id), "new link": checkin_mail(signon, link_id, fresh_link=True),
                 "news": news_mail(update, signon.email, lang, signon)}
    for name, mail in mails.items():
        assert f'lang="{lang}"' in mail.html, name
        phone_axe(f"{name} mail in {lang}", html=mail.html)
    expired = pledge.tokens.dumps("progress", link_id, at=int(time.time()) - 400 * 86400)

    def offers_a_new_link(page):
        assert page.locator("form[action$='/renew'] button").count() == 1 and page.locator("#update").count() == 0

    phone_axe(f"{live.url}/progress/{expired}", before=offers_a_new_link)  # an expired link: a new one offered

    def renew(page):
        page.locator("form[action$='/renew'] button").click()
        page.wait_for_url("**/renew")

    phone_axe(f"{live.url}/progress/{expired}", before=renew)  # "we sent you a new link"
