"""The host's dashboard: sign in by an e-mailed link, see your own sites' counts, nobody else's."""
from __future__ import annotations

import pytest

import csv
import io
import re

from conftest import deliver, links, path_of, post_sign_on

from widget import state

# The journeys of the README, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines

LOGIN_LINK = re.compile(r"https?://\S+/host/login/[A-Za-z0-9_.\-]+")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_VALUE = re.compile(r'name="csrf_token" value="([^"]+)"')  # the host pages' buttons


def ask_for_link(client, email: str, lang: str = "en"):
    page = client.get(f"/host/?lang={lang}").get_data(as_text=True)
    return client.post(f"/host/?lang={lang}", data={"email": email, "csrf_token": CSRF.search(page).group(1)})


def press_sign_in(client, path: str, **kwargs):
    """Open a sign-in link and press its button, as a browser does (with the page's CSRF token)."""
    page = client.get(path, **kwargs).get_data(as_text=True)
    return client.post(path, data={"csrf_token": CSRF_VALUE.search(page).group(1)}, **kwargs)


def sign_in(app, client, inbox, email: str) -> None:
    ask_for_link(client, email)
    deliver(app)
    [url] = LOGIN_LINK.findall(inbox.wait_for(email)[-1].get_body(("plain",)).get_content())
    assert "Sign in" in client.get(path_of(url)).get_data(as_text=True)  # a GET signs nobody in
    assert press_sign_in(client, path_of(url)).status_code == 303


def confirmed(app, client, site, inbox, address, **answers):
    post_sign_on(client, site.key, address, **answers)
    deliver(app)
    client.post(path_of(links(inbox.wait_for(address)[-1])[0]))


def test_owner_signs_in_and_sees_counts_breakdowns_and_latest(app, client, site, inbox):
    visitor = app.test_client()
    confirmed(app, visitor, site, inbox, "one@example.org", org_type="research", country="SN")
    confirmed(app, visitor, site, inbox, "two@example.org", org_type="research", country="FR")
    post_sign_on(visitor, site.key, "pending@example.org")  # unconfirmed: not counted

    sign_in(app, client, inbox, "webmaster@lycee.example")
    listing = client.get("/host/?lang=fr").get_data(as_text=True)
    assert "Lycée Jean Moulin" in listing and "2 signatures" in listing
    html = client.get(f"/host/sites/{site.key}?lang=fr").get_data(as_text=True)
    assert "Organisme de recherche ou établissement de formation" in html  # the type, in French
    assert "Sénégal" in html and "France" in html  # countries, named in French
    assert "pending@example.org" not in html and "one@example.org" not in html  # no contact consent given


def test_closed_sign_up_gives_the_same_answer_and_no_mail_to_strangers(make_app, site, inbox):
    app = make_app(PLEDGE_HOST_SIGNUP="closed")
    client = app.test_client()
    stranger = ask_for_link(client, "stranger@example.org").get_data(as_text=True)
    owner = ask_for_link(client, "webmaster@lycee.example").get_data(as_text=True)
    assert "Check your inbox" in stranger and stranger == owner
    deliver(app)
    assert inbox.to("stranger@example.org") == []
    assert len(inbox.wait_for("webmaster@lycee.example")) >= 1


def test_a_login_link_works_once(app, client, site, inbox):
    ask_for_link(client, "webmaster@lycee.example")
    deliver(app)
    [url] = LOGIN_LINK.findall(inbox.wait_for("webmaster@lycee.example")[-1].get_body(("plain",)).get_content())
    assert press_sign_in(client, path_of(url)).status_code == 303
    other = app.test_client()
    again = press_sign_in(other, path_of(url))
    assert again.status_code == 400 and "does not work any more" in again.get_data(as_text=True)
    assert "Send me a link" in other.get("/host/").get_data(as_text=True)  # not signed in


def test_a_host_sees_only_its_own_sites_and_exports(app, client, site, inbox):
    other = state(app).store.add_site("<script>alert(1)</script> Mairie", ["https://mairie.example"],
                                      "maire@mairie.example", "4p1000")
    confirmed(app, app.test_client(), site, inbox, "host-csv@example.org", organization="=cmd|' /C calc'!A0")
    assert client.get(f"/host/sites/{site.key}.csv").status_code == 404  # signed out

    sign_in(app, client, inbox, "maire@mairie.example")
    html = client.get("/host/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Mairie" in html and "<script>alert" not in html
    assert "Lycée Jean Moulin" not in html
    assert client.get(f"/host/sites/{site.key}.csv").status_code == 404  # not theirs
    assert client.get(f"/host/sites/{other.key}.csv").status_code == 200

    owner = app.test_client()
    sign_in(app, owner, inbox, "webmaster@lycee.example")
    response = owner.get(f"/host/sites/{site.key}.csv")
    text = response.get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert "host-csv@example.org" not in text  # the host is another organisation: no contact details
    assert row["Organisation"] == "'=cmd|' /C calc'!A0"  # no formula for the spreadsheet to run
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_sign_out(app, client, site, inbox):
    sign_in(app, client, inbox, "webmaster@lycee.example")
    page = client.get("/host/").get_data(as_text=True)
    assert "Your sites" in page
    client.post("/host/logout", data={"csrf_token": CSRF_VALUE.search(page).group(1)})
    assert "Send me a link" in client.get("/host/").get_data(as_text=True)


def test_login_form_without_its_csrf_token_changes_nothing(app, client, site, inbox):
    before = len(inbox.to("webmaster@lycee.example"))
    response = client.post("/host/", data={"email": "webmaster@lycee.example"})
    assert response.status_code == 400
    assert deliver(app) == (0, 0)
    assert len(inbox.to("webmaster@lycee.example")) == before


def test_sign_in_mail_names_the_service_and_the_campaign(app, client, site, inbox):
    ask_for_link(client, "webmaster@lycee.example", lang="fr")
    deliver(app)
    mail = inbox.wait_for("webmaster@lycee.example")[-1]
    assert mail["Subject"] == "Votre lien de connexion\xa0: Widget d’engagement"
    text = mail.get_body(("plain",)).get_content()
    assert "4 pour 1000" in text  # the campaign of the host's site
    assert "Widget d’engagement" in text


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_right_to_left_dashboard_keeps_addresses_left_to_right(app, client, site, inbox, lang):
    sign_in(app, client, inbox, "webmaster@lycee.example")
    html = client.get(f"/host/sites/{site.key}?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}" dir="rtl"' in html
    assert '<bdi dir="ltr">https://lycee.example</bdi>' in html  # an origin reads left to right
    assert "<bdi>webmaster@lycee.example</bdi>" in html  # the full stop stays at the sentence's end
