"""The snippet builder (/host/sites/KEY/snippet): the host's own sites only, each option as the right
data- attribute, a too-pale accent refused, the CSP lines; in the browser, a live preview, Copy, and no
accessibility violation in English and Arabic."""
from __future__ import annotations

import html
import re

import pytest

from test_accessibility import axe_page, axe_source  # noqa: F401  (fixtures)
from test_host import sign_in

from widget import state

CODE = re.compile(r'<pre dir="ltr" id="snippet" data-live><code>(.*?)</code></pre>', re.S)
PREVIEW = re.compile(r'<iframe class="preview" id="preview" src="([^"]+)"')


def snippet_of(page: str) -> str:
    return html.unescape(CODE.search(page).group(1))


@pytest.fixture
def host(app, client, site, inbox):
    """The site's owner, signed in on ``client``."""
    sign_in(app, client, inbox, site.owner_email)
    return client


def builder(client, site, query: str = ""):
    response = client.get(f"/host/sites/{site.key}/snippet{query}")
    assert response.status_code == 200, response.status_code
    return response, response.get_data(as_text=True)


def test_only_the_owner_sees_the_builder(app, client, site, inbox):
    assert client.get(f"/host/sites/{site.key}/snippet").status_code == 404  # signed out
    state(app).store.add_site("Mairie", ["https://mairie.example"], "maire@mairie.example", "4p1000")
    sign_in(app, client, inbox, "maire@mairie.example")
    assert client.get(f"/host/sites/{site.key}/snippet").status_code == 404  # another host's site
    assert client.get("/host/sites/no-such-key/snippet").status_code == 404


def test_without_options_the_snippet_is_the_plain_one(app, host, site):
    response, page = builder(host, site)
    assert snippet_of(page) == (
        f'<a class="pledge-widget" href="http://localhost/w/{site.key}" style="display:block;height:100vh">'
        "4 per 1000: Declaration of Intent for soils, food security and the climate</a>\n"
        '<script async src="http://localhost/embed.js"></script>'
    )
    # A host page: private, framed by nobody, but framing its own preview and asking itself for updates.
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "frame-src 'self'" in csp and "connect-src 'self'" in csp
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert 'src="/pledge-static/builder.js?v=' in page


def test_each_option_becomes_its_data_attribute(app, host, site):
    _response, page = builder(host, site, "?mode=button&snippet_lang=fr&theme=dark&min=25&accent=%23123456")
    code = snippet_of(page)
    assert ('data-mode="button" data-lang="fr" data-theme="dark" data-min-count="25" data-accent="#123456" '
            'style="display:block;height:121px">4 pour 1000\u00a0: Déclaration d’intention pour les sols') in code  # the link text in the widget's language
    # The preview is the widget with the very query the loader would send from this page.
    [src] = PREVIEW.findall(page)
    assert html.unescape(src) == (f"/w/{site.key}?mode=button&lang=fr&theme=dark&min=25&accent=%23123456"
                                  "&hl=en&origin=http://localhost")
    for value in ("counter", "form"):
        _response, page = builder(host, site, f"?mode={value}&theme=auto")
        code = snippet_of(page)
        assert 'data-theme="auto"' in code and ('data-mode="counter"' in code) == (value == "counter")
    assert 'data-mode="list"' in snippet_of(builder(host, site, "?mode=list")[1])  # see tests/test_list.py
    assert 'data-mode="table"' not in snippet_of(builder(host, site, "?mode=table")[1])


def test_the_language_defaults_to_the_sites_and_may_follow_the_page(app, host, site):
    assert "data-lang" not in snippet_of(builder(host, site)[1])  # a site without a language: follow the page
    state(app).store.update_site(site.key, lang="fr")
    page = builder(host, site)[1]
    assert 'data-lang="fr" style="display:block;height:100vh">4 pour 1000' in snippet_of(page) and '<option value="fr" lang="fr" selected>' in page
    code = snippet_of(builder(host, site, "?snippet_lang=")[1])
    assert "data-lang" not in code  # "follow the page"
    assert "data-lang" not in snippet_of(builder(host, site, "?snippet_lang=xx")[1])  # not a language of the campaign


def test_a_too_pale_accent_is_refused_with_its_ratio(app, host, site):
    _response, page = builder(host, site, "?accent=%23777777&mode=button")
    assert "its contrast ratio with white is 4.47:1, and it needs at least 4.5:1" in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="accent-help accent-error"' in page
    code = snippet_of(page)
    assert "data-accent" not in code and 'data-mode="button"' in code  # built without it, the rest kept
    _response, page = builder(host, site, "?accent=%23767676")
    assert "too pale" not in page and 'data-accent="#767676"' in snippet_of(page)
    _response, page = builder(host, site, "?accent=%231d5e2b")  # the widget's own: nothing to say
    assert "data-accent" not in snippet_of(page)
    _response, page = builder(host, site, "?lang=fr&accent=%23ffff00")  # in the page's language
    assert "1,07" in page and "4,5" in page


def test_a_bad_min_count_is_named_and_left_out(app, host, site):
    _response, page = builder(host, site, "?min=ten")
    assert "Please give a whole number of signatures" in page and "data-min-count" not in snippet_of(page)
    assert "data-min-count" not in snippet_of(builder(host, site, "?min=0")[1])  # 0: always show


def test_the_csp_lines_name_the_services_origin(app, host, site):
    app.config["PLEDGE_PUBLIC_URL"] = "https://pledge.example/prefix"
    _response, page = builder(host, site)
    assert "script-src https://pledge.example\nframe-src https://pledge.example</code></pre>" in page
    assert snippet_of(page).startswith('<a class="pledge-widget" href="https://pledge.example/prefix/w/')


def test_the_dashboard_links_the_builder(app, host, site):
    assert f'href="/host/sites/{site.key}/snippet"' in host.get(f"/host/sites/{site.key}").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_arabic_and_persian_builder_is_right_to_left_with_code_left_to_right(app, host, site, lang):
    _response, page = builder(host, site, f"?lang={lang}")
    assert f'<html lang="{lang}" dir="rtl"' in page
    assert page.count('<pre dir="ltr">') + page.count('<pre dir="ltr" id="snippet"') == 2
    assert f'<input type="hidden" name="lang" value="{lang}">' in page  # "Update" keeps the page in Arabic


# -- in the browser ------------------------------------------------------------------------------

LOGIN_URL = re.compile(r"https?://\S+/host/login/\S+")


def browser_sign_in(live, inbox, page, owner: str) -> None:
    """Sign ``page``'s browser context in as ``owner``, by the e-mailed link, as a host would."""
    page.goto(f"{live.url}/host/?lang=en")
    page.locator("#email").fill(owner)
    page.locator("form button").click()
    page.get_by_role("status").wait_for()
    [url] = LOGIN_URL.findall(inbox.wait_for(owner)[-1].get_body(("plain",)).get_content())
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your sites").wait_for()


def host_site(live, name: str):
    import uuid

    owner = f"builder-{uuid.uuid4().hex[:8]}@example.org"
    return owner, live.store.add_site(name, [live.host.origin], owner, "4p1000")


def test_the_builder_updates_code_and_preview_as_options_change(live, page, inbox):
    from playwright.sync_api import expect

    owner, site = host_site(live, "Live builder school")
    browser_sign_in(live, inbox, page, owner)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page.goto(f"{live.url}/host/sites/{site.key}/snippet")
    code = page.locator("#snippet")
    preview = page.frame_locator("#preview")
    preview.locator("#signon").wait_for()  # the whole form, by default
    # Sized to its content (the builder's own CSP forbids the evaluated strings of wait_for_function).
    expect(page.locator("#preview")).to_have_attribute("style", re.compile(r"height: \d+px"))

    page.get_by_label("A “Sign” button that opens the form").check()
    expect(code).to_contain_text('data-mode="button"')
    preview.locator("#sign-open").wait_for()  # the preview follows, without pressing "Update"
    assert "mode=button" in page.url  # and the address keeps the choice

    page.get_by_label("Hide the count below").fill("12")
    expect(code).to_contain_text('data-min-count="12"')

    page.locator("#accent").fill("#eeeeee")  # too pale
    page.get_by_role("alert").filter(has_text="too pale").wait_for()
    assert page.locator("#accent").get_attribute("aria-invalid") == "true"
    assert "data-accent" not in code.inner_text()
    page.locator("#accent").fill("#1f4e79")
    expect(code).to_contain_text('data-accent="#1f4e79"')
    assert page.get_by_role("alert").count() == 0 and page.locator("#accent").get_attribute("aria-invalid") is None
    preview.locator("link[href$='/w/accent/1f4e79.css']").wait_for(state="attached")

    page.get_by_label("Source", exact=True).fill("newsletter")
    expect(code).to_contain_text('data-utm-source="newsletter"')
    expect(page.locator("#snippet-frame")).to_contain_text("#utm_source=newsletter")

    page.get_by_role("button", name="Copy", exact=True).click()
    page.get_by_role("status").filter(has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == code.inner_text()
    assert code.inner_text().startswith(f'<a class="pledge-widget" href="{live.url}/w/{site.key}" data-mode="button"')


def test_the_builder_works_without_javascript(live, browser, inbox):
    owner, site = host_site(live, "No script school")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live.url}/host/?lang=en")
        page.locator("#email").fill(owner)
        page.locator("form button").click()
        [url] = LOGIN_URL.findall(inbox.wait_for(owner)[-1].get_body(("plain",)).get_content())
        page.goto(url)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live.url}/host/sites/{site.key}/snippet")
        assert page.get_by_role("button", name=re.compile("^Copy")).count() == 0  # nothing that cannot work
        page.get_by_label("The count and its progress bar, with a link to the form").check()
        page.get_by_role("button", name="Update").click()
        page.wait_for_url("**mode=counter**")
        assert 'data-mode="counter"' in page.locator("#snippet").inner_text()
        page.frame_locator("#preview").locator("progress").wait_for()
    finally:
        context.close()


def test_the_builder_has_no_violations_in_english_and_arabic(live, axe_page, inbox):  # noqa: F811
    owner, site = host_site(live, "مدرسة التربة")
    text = {}

    def ask_and_sign_in(page):
        page.locator("#email").fill(owner)
        page.locator("form button").click()
        page.get_by_role("status").wait_for()
        [text["url"]] = LOGIN_URL.findall(inbox.wait_for(owner)[-1].get_body(("plain",)).get_content())
        page.goto(text["url"])
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Your sites").wait_for()

    def preview_loaded(page):
        page.frame_locator("#preview").locator("h1").wait_for()

    def with_error(page):
        page.frame_locator("#preview").locator("h1").wait_for()
        assert page.locator("#accent-error").count() == 1

    def rtl_with_ltr_code(page):
        preview_loaded(page)
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("#snippet").evaluate("e => getComputedStyle(e).direction") == "ltr"

    axe_page(f"{live.url}/host/?lang=en", before=ask_and_sign_in)
    path = f"{live.url}/host/sites/{site.key}/snippet"
    axe_page(f"{path}?lang=en", before=preview_loaded)
    axe_page(f"{path}?lang=en&mode=button&min=x&accent=%23eeeeee", before=with_error)
    axe_page(f"{path}?lang=en&mode=counter&theme=dark", "dark", before=preview_loaded)
    for rtl in ("ar", "fa"):
        axe_page(f"{path}?lang={rtl}", before=rtl_with_ltr_code)
        axe_page(f"{path}?lang={rtl}&accent=%23eeeeee", "dark", before=with_error)
