"""Reach (issue 20) in Chromium: a visitor signs through the frame-only snippet on a host page without any
script, and through an oEmbed consumer's HTML; the builder's new parts pass axe-core in English and Arabic."""
from __future__ import annotations

import html
import itertools
import json
import re
import urllib.request

from conftest import links
from test_accessibility import axe_page, axe_source  # noqa: F401  (fixtures)
from test_journey_browser import fill_sign_on
from test_snippet_builder import browser_sign_in, host_site

from widget.snippet import frame_snippet

_numbers = itertools.count(1)


def sign_and_confirm(live, page, context, inbox, frame) -> None:
    """Fill the form in ``frame``, send it, confirm by the mail's link: the site's count grows by one."""
    before = live.store.counts("4p1000", live.site_key).site
    address = f"embeds{next(_numbers)}@lycee.example"
    fill_sign_on(frame, address)
    frame.get_by_role("button", name="Sign").click()
    frame.get_by_role("heading", name="Check your inbox").wait_for()
    [confirm_url] = links(inbox.wait_for(address)[-1])
    confirm = context.new_page()
    confirm.goto(confirm_url)
    confirm.get_by_role("button", name="Confirm my signature").click()
    confirm.get_by_role("heading", name=re.compile("your signature is confirmed")).wait_for()
    confirm.close()
    assert live.store.counts("4p1000", live.site_key).site == before + 1


def test_sign_through_the_frame_snippet_on_a_page_without_script(live, page, context, inbox):
    url = live.host.add("frame-only", frame_snippet(live.url, live.site_key, "Sign the 4 per 1000 Declaration"),
                        headers={"Content-Security-Policy": "script-src 'none'"})
    page.goto(url)
    assert page.locator("script").count() == 0
    iframe = page.locator("iframe")
    assert iframe.get_attribute("loading") == "lazy" and iframe.get_attribute("height") == "1800"
    frame = page.frame_locator("iframe")
    frame.locator("#signon").wait_for()
    sign_and_confirm(live, page, context, inbox, frame)
    assert context.cookies() == []


def test_the_star_origin_lets_any_page_frame_the_widget(live, page):
    star = live.store.add_site("Google Sites school", ["*"], "gs@school.example", "4p1000")
    other = live.store.add_site("Elsewhere school", ["https://elsewhere.example"], "else@school.example", "4p1000")
    page.goto(live.host.add("star", frame_snippet(live.url, star.key, "Star", mode="counter")
                            + frame_snippet(live.url, other.key, "Other", mode="counter")))
    page.frame_locator('iframe[title="Star"]').locator("#count").wait_for()
    # The browser refuses to frame the other site's widget here (its frame-ancestors): an error page instead.
    refused = page.locator('iframe[title="Other"]').element_handle()
    for _ in range(100):
        if (refused.content_frame().url or "").startswith("chrome-error:"):
            break
        page.wait_for_timeout(50)
    assert refused.content_frame().url.startswith("chrome-error:")
    assert page.frame_locator('iframe[title="Other"]').locator("#count").count() == 0


def test_sign_through_an_oembed_consumers_html(live, page, context, inbox):
    """What an editor that embeds by address does: find the discovery link on the widget page, fetch the
    oEmbed answer, and put its html in the page it publishes (no script of ours)."""
    with urllib.request.urlopen(f"{live.url}/w/{live.site_key}") as answer:
        widget_page = answer.read().decode()
    href = html.unescape(re.search(r'type="application/json\+oembed" href="([^"]+)"', widget_page).group(1))
    assert href.startswith(f"{live.url}/oembed?url=")
    with urllib.request.urlopen(href + "&maxwidth=600") as answer:
        embed = json.load(answer)
    assert embed["width"] == 600
    assert embed["type"] == "rich" and embed["html"].startswith(f'<iframe src="{live.url}/w/{live.site_key}"')
    page.goto(live.host.add("oembed", f"<p>{html.escape(embed['title'])}</p>{embed['html']}"))
    frame = page.frame_locator("iframe")
    frame.locator("#signon").wait_for()
    sign_and_confirm(live, page, context, inbox, frame)


def test_the_builders_platform_instructions_follow_the_choice_and_pass_axe(live, axe_page, inbox):  # noqa: F811
    owner, site = host_site(live, "مدرسة الإطار")
    path = f"{live.url}/host/sites/{site.key}/snippet"

    def sign_in(page):
        browser_sign_in(live, inbox, page, owner)
        page.goto(f"{path}?lang=en")

    def choose_google_sites(page):
        from playwright.sync_api import expect

        help_block = page.locator("#platform-help")
        expect(help_block).to_contain_text("Paste the script snippet where")  # plain HTML, the default
        page.get_by_label("Where is your site built?").select_option("google_sites")
        # The instructions follow without "Update", and say which origin line the site needs.
        expect(help_block).to_contain_text("Embed code")
        expect(help_block.get_by_role("link", name="Add the line * to your site’s addresses")).to_be_visible()
        assert "platform=google_sites" in page.url
        assert page.locator("#snippet-frame").inner_text().startswith(f'<iframe src="{live.url}/w/{site.key}"')
        page.frame_locator("#preview").locator("h1").wait_for()

    def rtl_with_ltr_snippets(page):
        page.frame_locator("#preview").locator("h1").wait_for()
        assert page.locator("html").get_attribute("dir") == "rtl"
        for element in ("#snippet-frame", "#snippet-link"):
            assert page.locator(element).evaluate("e => getComputedStyle(e).direction") == "ltr"

    axe_page(f"{live.url}/host/?lang=en", before=sign_in)
    axe_page(f"{path}?lang=en", before=choose_google_sites)
    axe_page(f"{path}?lang=en&platform=wordpress&mode=counter", "dark",
             before=lambda page: page.frame_locator("#preview").locator("h1").wait_for())
    axe_page(f"{path}?lang=ar&platform=wix", before=rtl_with_ltr_snippets)
    axe_page(f"{path}?lang=ar&platform=drupal", "dark", before=rtl_with_ltr_snippets)
    axe_page(f"{live.url}/host/sites/{site.key}/edit?lang=ar")  # the warning line beside the origins
