"""Search engines: the front page is for indexing, with a description; private and framed pages are not."""
from __future__ import annotations

import re

from conftest import deliver, links, path_of, post_sign_on


def test_robots_txt_keeps_crawlers_out_of_private_links(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    rules = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in rules
    for private in ("/confirm/", "/withdraw/", "/host/"):
        assert f"Disallow: {private}" in rules
    assert "Disallow: /" not in rules and "Disallow: /w/" not in rules  # widget pages must show their noindex


def test_front_page_is_indexable_and_described(client):
    response = client.get("/?lang=fr")
    html = response.get_data(as_text=True)
    assert "X-Robots-Tag" not in response.headers
    description = re.search(r'<meta name="description" content="([^"]+)"', html)
    assert description and "formulaire" in description.group(1)  # in the page's language


def test_widget_confirm_withdraw_and_host_pages_are_not_indexed(app, client, site, inbox):
    post_sign_on(client, site.key, "seo@example.org")
    deliver(app)
    message = inbox.wait_for("seo@example.org")[-1]
    pages = [f"/w/{site.key}", f"/w/{site.key}/sent", path_of(links(message)[0]),
             path_of(links(message, "withdraw")[0]), "/host/"]
    for path in pages:
        assert client.get(path).headers.get("X-Robots-Tag") == "noindex", path
