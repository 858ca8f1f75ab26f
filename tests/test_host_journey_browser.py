"""A new host, from nothing to a working snippet and a dashboard with its first confirmed sign-on, all in
the browser, with the real SMTP server; the widget on a host page of another origin with its own CSP."""
from __future__ import annotations

import re

from conftest import links

OWNER = "webmaster@ecole-des-sols.example"


def test_a_new_host_goes_from_nothing_to_a_button_on_its_page_and_its_first_sign_on(live, browser, inbox):
    host_context = browser.new_context(locale="fr-FR")
    host_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    host = host_context.new_page()
    host.set_default_timeout(15_000)
    try:
        # Sign up: an e-mailed link, a button (a mail scanner's visit signs nobody in).
        host.goto(f"{live.url}/host/")
        host.locator("#email").fill(OWNER)
        host.locator("form button[type=submit]").click()
        host.get_by_role("status").wait_for()
        [login] = re.findall(r"https?://\S+/host/login/\S+", inbox.wait_for(OWNER)[-1].get_body(("plain",)).get_content())
        host.goto(login)
        host.locator("main form button").click()

        # Add a site; the new-site form leads to the snippet builder.
        host.goto(f"{live.url}/host/sites/new")
        host.locator("#name").fill("École des Sols")
        host.locator("#origins").fill(live.host.origin)
        host.locator("#lang").select_option("fr")
        host.locator("form:has(#name) button[type=submit]").click()
        host.wait_for_url(re.compile(r"/host/sites/[^/]+/snippet"))
        key = host.url.split("/host/sites/")[1].split("/")[0]

        # The builder: a button, in French, copied with one click.
        host.locator("#mode-button").check()
        host.locator("#snippet_lang").select_option("fr")
        host.locator("#snippet code", has_text='data-mode="button"').wait_for()  # the builder's page allows no eval
        host.locator("#copy").click()
        snippet = host.evaluate("navigator.clipboard.readText()")
        assert snippet == host.locator("#snippet code").inner_text()
        assert 'data-mode="button"' in snippet and 'data-lang="fr"' in snippet and f"/w/{key}" in snippet
        csp_lines = host.locator("pre").last.inner_text().splitlines()
        assert csp_lines == [f"script-src {live.url}", f"frame-src {live.url}"]

        # The webmaster pastes it into a page of the school's site, whose own policy gets the two lines.
        policy = f"default-src 'self'; {csp_lines[0]}; {csp_lines[1]}"
        visitor = browser.new_context(locale="en-GB").new_page()
        visitor.set_default_timeout(15_000)
        visitor.goto(live.host.add("ecole-des-sols", snippet, lang="fr", headers={"Content-Security-Policy": policy}))
        frame = visitor.frame_locator("iframe")
        opener = frame.locator("#sign-open")
        opener.click()
        assert frame.locator("#name").evaluate("e => e === document.activeElement")  # focus went into the form
        address = "premiere-signature@ecole-des-sols.example"
        for field, value in [("#name", "Awa Diallo"), ("#email", address), ("#organization", "Coopérative Terre Vive"),
                             ("#goal", "Couvrir les sols toute l’année."), ("#actions", "Couverts végétaux."),
                             ("#timetable", "2026 à 2030")]:
            frame.locator(field).fill(value)
        frame.locator("#org_type").select_option("producers_group")
        frame.locator("#country").select_option("SN")
        frame.locator("#consent").check()
        frame.locator("#signon button[type=submit]").click()
        frame.locator("#sent").wait_for()

        [confirm_url] = links(inbox.wait_for(address)[-1])
        visitor.goto(confirm_url)
        visitor.locator("main form button").click()
        visitor.get_by_role("heading", name=re.compile("confirmée|confirmed")).wait_for()

        # The host's dashboard: the sign-on, the chart, and where the widget was seen.
        host.goto(f"{live.url}/host/sites/{key}")
        dashboard = host.locator("main")
        assert dashboard.locator("dl.figures dd").first.inner_text() == "1"
        assert host.locator("svg.chart[role=img] rect.bar").count() == 30
        assert "Coopérative Terre Vive" in dashboard.inner_text()
        seen = host.locator("ul.seen li").inner_text()
        assert live.host.origin in seen and "jamais" not in seen.lower() and "not seen" not in seen
    finally:
        host_context.close()
