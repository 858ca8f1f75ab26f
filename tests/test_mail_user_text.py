"""What people typed, in the mails we send: an organisation's name (300 characters anyone can fill in) and a
site's name (200, its host's) are shown as quoted data, never as a link, in the HTML part and in the text
part (where mail clients turn anything that looks like an address into a link), and the mail says in our own
words that only our links are ours."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from conftest import deliver, links, path_of, post_sign_on

from widget import state
from widget.text import unlinkable

OURS = "https://pledge.example"
EVIL_ORG = ("Confirm instead at https://evil.example/confirm, www.evil.example, evil.example/x, "
            "help@evil.example, http://192.0.2.1/x or evil\u3002example")
EVIL_SITE = "Lycée — confirm at https://evil.example/site or evil.example"
#: What mail clients turn into links in plain text (and in HTML text): schemes, www., e-mail addresses,
#: and names with a dot (many clients link any word that ends in a known top-level domain).
AUTOLINK = re.compile(r"(?i)[a-z][a-z0-9+.-]*://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w-]+(?:[.\u3002][\w-]+)+")
ONLY_OURS = f"Only the links in this e-mail that start with {OURS}/ come from us"


class Page(HTMLParser):
    """The links and the text of an HTML mail."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value for name, value in attrs if name == "href"]

    def handle_data(self, data):
        self.text.append(data)


def assert_only_our_links(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = Page()
    html.feed(message.get_body(("html",)).get_content())
    html_text = " ".join(html.text)
    for body in (text, html_text):
        found = [m.group() for m in AUTOLINK.finditer(body)]
        strangers = [link for link in found if not link.startswith(OURS) and "pledge.example" not in link]
        assert strangers == [], strangers
        assert "evil.example" not in body and "evil\u3002example" not in body
        assert " ".join(ONLY_OURS.split()) in " ".join(body.split())
    assert html.hrefs and all(href.startswith(OURS + "/") for href in html.hrefs), html.hrefs
    return text, html_text


@pytest.fixture
def evil_site(make_app):
    app = make_app(PLEDGE_PUBLIC_URL=OURS)
    site = state(app).store.add_site(EVIL_SITE, ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    return app, site


def test_the_confirmation_mail_quotes_what_was_typed_and_links_only_to_us(evil_site, inbox):
    app, site = evil_site
    post_sign_on(app.test_client(), site.key, "typed@example.org", organization=EVIL_ORG)
    deliver(app)
    [message] = inbox.wait_for("typed@example.org")
    text, html_text = assert_only_our_links(message)
    text = text.replace("\r\n", "\n")
    # The organisation: labelled as typed, quoted on a line of its own, its addresses broken on purpose.
    assert "On behalf of (as typed in the form, not checked by us):\n> Confirm instead at https[:]//evil[.]example/confirm" in text
    assert "help[@]evil[.]example" in text and "evil[.]example/x" in text and "192[.]0[.]2[.]1" in text
    assert "<blockquote" in message.get_body(("html",)).get_content()
    assert "On behalf of (as typed in the form, not checked by us):" in html_text
    # The site's name, in the footer: its address broken too.
    assert "Lycée — confirm at https[:]//evil[.]example/site or evil[.]example, the web site where you signed" in " ".join(text.split())
    assert links(message)[0].startswith(OURS + "/confirm/")


def test_the_already_signed_mail_says_the_same(evil_site, inbox):
    app, site = evil_site
    post_sign_on(app.test_client(), site.key, "twice@example.org", organization=EVIL_ORG)
    deliver(app)
    app.test_client().post(path_of(links(inbox.wait_for("twice@example.org")[0])[0]))
    post_sign_on(app.test_client(), site.key, "twice@example.org", organization=EVIL_ORG)
    deliver(app)
    message = inbox.wait_for("twice@example.org", count=2)[-1]
    assert "already signed" in message.get_body(("plain",)).get_content()
    assert_only_our_links(message)


def test_the_hosts_digest_breaks_addresses_in_the_names_signatories_typed(app):
    from datetime import date

    from widget.mail import compose

    rows = [{"organization": EVIL_ORG, "org_type": "", "country": "", "name": "Visit www.evil.example", "email": ""}]
    with app.test_request_context(base_url=OURS):
        campaign = state(app).campaign("4p1000")
        mail = compose.digest("host@example.org", "en", date(2026, 3, 14), [{
            "site": state(app).store.add_site("S", ["https://s.example"], "host@example.org", "4p1000"),
            "campaign": campaign, "count": 1, "rows": rows, "more": 0, "dashboard_url": OURS + "/host/"}],
            OURS + "/unsubscribe/x", OURS + "/host/settings")
    for body in (mail.text, mail.html):
        assert "evil.example" not in body and "https[:]//evil[.]example/confirm" in body
        assert "Visit www[.]evil[.]example" in body


@pytest.mark.parametrize("typed, shown", [
    ("https://evil.example/a?b=c", "https[:]//evil[.]example/a?b=c"),
    ("WWW.Evil.Example", "WWW[.]Evil[.]Example"),
    ("evil\uff0eexample", "evil[.]example"),
    ("x@evil.example", "x[@]evil[.]example"),
    ("http://localhost:5000", "http[:]//localhost:5000"),
    ("Coopérative des Sols Vivants", "Coopérative des Sols Vivants"),  # names stay as typed
    ("St. Mary’s Farm 2.0", "St. Mary’s Farm 2.0"),
    ("جمعية المزارعين", "جمعية المزارعين"),
])
def test_what_mail_clients_would_link_is_broken(typed, shown):
    assert unlinkable(typed) == shown
