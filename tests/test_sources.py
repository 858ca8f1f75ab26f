"""Sources: the host's campaign codes (utm_source, utm_medium, utm_campaign) kept with a sign-on, checked,
shown per source on the dashboard (small sources merged), in the host's CSV and the webhook data, carried
by the share links and by `db copy`."""
from __future__ import annotations

import csv
import html
import io
import re
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import deliver, links, path_of, post_sign_on
from test_db_copy import copy, rows
from test_host import sign_in
from widget import state
from widget.store import Mail, SignOn, open_store
from widget.store.webhooks import webhook_payload
from widget.utm import by_source, utm_value



def confirmed(app, client, site, inbox, address, **fields):
    post_sign_on(client, site.key, address, **fields)
    deliver(app)
    response = client.post(path_of(links(inbox.wait_for(address)[-1])[0]))
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.both_engines
def test_the_codes_are_kept_with_the_sign_on(app, client, site):
    post_sign_on(client, site.key, "amina@coop.example", utm_source="newsletter", utm_medium="email",
                 utm_campaign="autumn-2026")
    [signon] = state(app).store.signons_of("amina@coop.example")
    assert signon.utm == {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "autumn-2026"}


def test_long_or_unprintable_codes_are_dropped_never_stored(app, client, site):
    bad = ["x" * 65, "news\nletter", "news\x07", "\u202enews", "  ", ""]
    for n, value in enumerate(bad):
        post_sign_on(client, site.key, f"amina{n}@coop.example", utm_source=value, utm_medium="email")
        [signon] = state(app).store.signons_of(f"amina{n}@coop.example")
        assert signon.utm == {"utm_medium": "email"}, value
    stored = state(app).store.query("SELECT utm_source, utm_medium, utm_campaign FROM signons")
    assert [tuple(row) for row in stored] == [(None, "email", None)] * len(bad)


def test_a_code_of_64_characters_is_kept_and_the_widget_page_carries_none():
    assert utm_value("x" * 64) == "x" * 64 and utm_value(" radio ") == "radio" and utm_value(None) is None


def test_a_form_sent_back_keeps_its_codes(app, client, site):
    page = post_sign_on(client, site.key, "not an address", utm_source="radio").get_data(as_text=True)
    assert '<input type="hidden" name="utm_source" value="radio">' in page
    fresh = client.get(f"/w/{site.key}").get_data(as_text=True)
    assert '<input type="hidden" name="utm_source" value="">' in fresh  # the shared, cached page: empty


@pytest.mark.both_engines
def test_small_sources_are_merged_on_the_dashboard_csv_and_webhook_carry_them(app, client, site, inbox):
    visitor = app.test_client()
    for n in range(3):
        confirmed(app, visitor, site, inbox, f"news{n}@example.org", utm_source="newsletter", utm_medium="email")
    confirmed(app, visitor, site, inbox, "radio@example.org", utm_source="radio-kaolack")
    confirmed(app, visitor, site, inbox, "plain@example.org")
    sign_in(app, client, inbox, "webmaster@lycee.example")
    page = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    table = re.search(r'<table class="sources">.*?</table>', page, re.S).group(0)
    cells = re.findall(r"<td>(?:<bdi>)?([^<]+)(?:</bdi>)?</td><td>([^<]+)</td>", table)
    assert cells == [("newsletter", "3"), ("Other sources", "1"), ("No source given", "1")]
    assert "radio-kaolack" not in page  # a source of fewer than 3 never shows by name

    exported = client.get(f"/host/sites/{site.key}.csv")
    found = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {(r["utm_source"], r["utm_medium"], r["utm_campaign"]) for r in found} == {
        ("newsletter", "email", ""), ("radio-kaolack", "", ""), ("", "", "")}

    [signon] = state(app).store.signons_of("news0@example.org")
    data = webhook_payload("signon.confirmed", signon, time.time(), signon.confirmed_at)["data"]
    assert (data["utm_source"], data["utm_medium"], data["utm_campaign"]) == ("newsletter", "email", None)


def test_by_source_orders_and_merges():
    rows_ = [("b", 3), ("a", 3), ("c", 2), ("d", 1), ("", 5), ("big", 9)]
    assert by_source(rows_) == ([("big", 9), ("a", 3), ("b", 3)], 3, 5)


def test_share_links_carry_source_share_and_their_channel(app, client, site, inbox):
    page = confirmed(app, client, site, inbox, "amina@coop.example", page="https://lycee.example/soutien")
    hrefs = {service: html.unescape(href)
             for href, service in re.findall(r'<a href="([^"]+)" data-service="([a-z]+)"', page)}
    telegram = parse_qs(urlsplit(hrefs["telegram"]).query)["url"][0]
    assert telegram == "https://lycee.example/soutien?utm_source=share&utm_medium=telegram"
    whatsapp = unquote(hrefs["whatsapp"])
    assert whatsapp.endswith(" https://lycee.example/soutien?utm_source=share&utm_medium=whatsapp")
    assert 'data-url="https://lycee.example/soutien?utm_source=share&amp;utm_medium=native"' in page
    assert 'id="share-address" dir="ltr">https://lycee.example/soutien</a>' in page  # the address to copy: plain


def test_db_copy_carries_the_codes(tmp_path):
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = open_store(source_url)
    source.migrate()
    source.add_site("Lycée", ["https://lycee.example"], "web@lycee.example", "4p1000", key="lycee")
    signon = SignOn(id="s0", campaign="4p1000", site_key="lycee", email="amina@coop.example", lang="fr",
                    status="pending", created_at=time.time(), confirmed_at=None, consent_at=time.time(),
                    consent_version="v1", utm={"utm_source": "newsletter", "utm_campaign": "autumn"})
    source.create_signon(signon, Mail(to=signon.email, subject="Confirm", text="t", html="h", kind="confirm"))
    source.close()
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    result = copy(source_url, target_url)
    assert result.exit_code == 0, result.output
    assert rows(source_url, "signons") == rows(target_url, "signons")
    target = open_store(target_url)
    try:
        assert target.get_signon("s0").utm == {"utm_source": "newsletter", "utm_campaign": "autumn"}
    finally:
        target.close()
