"""In a real browser: sign on a host page through the loader, confirm from the real mail, find share
links carrying that host page's address (and nothing fetched from any other host), then "Put this
button on your own website" leads to a working host account."""
from __future__ import annotations

import itertools
import re
from urllib.parse import parse_qs, urlsplit

from conftest import fill_by_ids, links

_numbers = itertools.count(1)

#: A stand-in for the Web Share API (headless Chromium on Linux has none): it records what it was given.
FAKE_SHARE = "navigator.share = (data) => { window.sharedWith = data; return Promise.resolve(); };"


def sign(frame, address: str, organisation: str) -> None:
    fill_by_ids(frame, address, organisation, "producers_group", "SN", "Cover crops on every member's farm.",
                name="Awa Ndiaye")
    frame.get_by_role("button", name="Sign").click()
    frame.get_by_role("heading", name="Check your inbox").wait_for()


def test_sign_confirm_share_the_host_page_and_become_a_host(live, context, page, inbox):
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    host_page = live.host.add("share-journey", live.snippet())
    page.goto(host_page + "?campaign=autumn#top")  # the query and fragment never travel
    assert "#page=" in page.locator("iframe").get_attribute("src")
    address = f"awa{next(_numbers)}@ferme.example"
    sign(page.frame_locator("iframe"), address, "Ferme des Trois Chênes")
    [signon] = live.store.signons_of(address)
    assert signon.page_url == host_page

    [confirm_url] = links(inbox.wait_for(address)[-1])
    thanks = context.new_page()
    thanks.add_init_script(FAKE_SHARE)
    thanks.goto(confirm_url)
    thanks.get_by_role("button", name="Confirm my signature").click()
    thanks.get_by_role("heading", name=re.compile("your signature is confirmed")).wait_for()

    # Every share link carries the host page's address, to the service's own share page.
    hrefs = {name: thanks.get_by_role("link", name=name).get_attribute("href")
             for name in ("Share by e-mail", "Share on WhatsApp", "Share on Telegram", "Share on Facebook",
                          "Share on X", "Share on LinkedIn", "Share on Bluesky")}
    assert hrefs["Share by e-mail"].startswith("mailto:?")
    def via(channel: str) -> str:  # the host page, with the source codes of the channel
        return f"{host_page}?utm_source=share&utm_medium={channel}"

    assert parse_qs(urlsplit(hrefs["Share on Telegram"]).query)["url"] == [via("telegram")]
    assert parse_qs(urlsplit(hrefs["Share on LinkedIn"]).query)["url"] == [via("linkedin")]
    assert parse_qs(urlsplit(hrefs["Share on WhatsApp"]).query)["text"][0].endswith(" " + via("whatsapp"))
    assert urlsplit(hrefs["Share on Bluesky"]).netloc == "bsky.app"
    # The device's share sheet, where the browser has one, shares the same address.
    share = thanks.get_by_role("button", name="Share…")
    share.click()
    thanks.wait_for_function("window.sharedWith !== undefined")
    assert thanks.evaluate("window.sharedWith.url") == via("native")

    # Nothing the pages asked for came from anywhere but the service and the host page.
    allowed = {urlsplit(live.url).netloc, urlsplit(live.host.origin).netloc}
    assert {urlsplit(url).netloc for url in requests if not url.startswith("data:")} <= allowed, requests

    # "Put this button on your own website": straight to the host's "add a site" form, no other mail.
    thanks.get_by_role("button", name="Get the button for my website").click()
    thanks.get_by_role("heading", name="Add a site").wait_for()
    assert thanks.get_by_label("Name of the web site").input_value() == "Ferme des Trois Chênes"
    assert thanks.get_by_label("Campaign").input_value() == "4p1000"
    thanks.get_by_label("Addresses of the web site").fill("https://trois-chenes.example")
    thanks.get_by_role("button", name="Add the site").click()
    thanks.get_by_role("heading", name=re.compile("^Snippet for")).wait_for()
    [site] = live.store.sites_of(address)
    assert f"/w/{site.key}" in thanks.locator("#snippet").inner_text()
    assert len(inbox.to(address)) == 1  # the confirmation: no sign-in mail was needed
    thanks.goto(f"{live.url}/host/sites/{site.key}")
    thanks.get_by_role("heading", name=re.compile("Ferme des Trois Chênes")).wait_for()
    assert live.store.hosts_from_signons("4p1000") >= 1

    allowed = {urlsplit(live.url).netloc, urlsplit(live.host.origin).netloc}
    assert {urlsplit(url).netloc for url in requests if not url.startswith("data:")} <= allowed, requests


def test_signing_from_the_list_or_counter_in_a_new_tab_still_shares_the_host_page(live, context, page, inbox):
    """Their "Sign" link opens the form in a new tab: the host page's address goes along (in the fragment),
    so the thank-you page shares the page where they signed, not the campaign's list."""
    for mode in ("list", "counter"):
        host_page = live.host.add(f"share-{mode}", live.snippet(mode=mode))
        page.goto(host_page)
        with context.expect_page() as opened:
            page.frame_locator("iframe").get_by_role("link", name="Sign (opens in a new tab)", exact=True).click()
        form = opened.value
        address = f"{mode}{next(_numbers)}@ferme.example"
        sign(form, address, f"Ferme {mode}")
        [signon] = live.store.signons_of(address)
        assert signon.page_url == host_page, mode
        form.close()


def test_the_share_button_stays_hidden_without_the_web_share_api(live, context, page, inbox):
    page.goto(live.host.add("share-plain", live.snippet()))
    address = f"plain{next(_numbers)}@ferme.example"
    sign(page.frame_locator("iframe"), address, "Ferme Sans Partage")
    [confirm_url] = links(inbox.wait_for(address)[-1])
    thanks = context.new_page()
    thanks.add_init_script("delete Navigator.prototype.share; delete navigator.share;")
    thanks.goto(confirm_url)
    thanks.get_by_role("button", name="Confirm my signature").click()
    thanks.get_by_role("link", name="Share on WhatsApp").wait_for()
    assert thanks.locator("#share-native").is_hidden()
