"""Who keeps a signatory's data and why, told in the widget and in every mail; what a host may see."""
from __future__ import annotations

import csv
import io

import pytest

from conftest import deliver, links, path_of, post_sign_on
from test_host import ask_for_link, sign_in

from widget import state

PRIVACY = "https://operator.example/privacy"


@pytest.fixture
def app(make_app):
    return make_app(PLEDGE_PRIVACY_URL=PRIVACY, PLEDGE_SERVICE_NAME="Soil Pledges")


def test_the_widget_says_who_keeps_the_data_what_the_host_sees_and_links_the_notice(client, site):
    html = client.get(f"/w/{site.key}").get_data(as_text=True)
    assert "The organisers of this campaign keep your answers" in html
    assert f'<a href="{PRIVACY}"' in html
    assert "<bdi>Lycée Jean Moulin</bdi>, the site showing this form, sees your organisation" in html
    assert "your name and e-mail address only if you tick the box that lets it contact you" in html


def test_every_mail_says_who_sends_it_and_links_the_notice(app, client, site, inbox):
    post_sign_on(client, site.key, "privacy@example.org")
    post_sign_on(client, site.key, "privacy@example.org")  # pending again: a second confirmation mail
    deliver(app)
    client.post(path_of(links(inbox.wait_for("privacy@example.org")[-1])[0]))
    post_sign_on(client, site.key, "privacy@example.org")  # signed already: the "already signed" mail
    state(app).store.add_site("Mairie", ["https://mairie.example"], "privacy-host@mairie.example", "4p1000")
    ask_for_link(app.test_client(), "privacy-host@mairie.example")  # the host's sign-in mail
    deliver(app)
    mails = inbox.wait_for("privacy@example.org", 3) + inbox.wait_for("privacy-host@mairie.example")
    for mail in mails:
        text = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        assert "Sent by Soil Pledges: http://localhost" in text, mail["Subject"]
        assert f"Privacy notice: {PRIVACY}" in text and f'href="{PRIVACY}"' in html


def test_the_hosts_csv_is_in_its_language_with_readable_labels_and_no_contact_details(app, client, site, inbox):
    post_sign_on(client, site.key, "csv@example.org", name="Awa Ndiaye", org_type="producers_group", country="SN")
    deliver(app)
    client.post(path_of(links(inbox.wait_for("csv@example.org")[-1])[0]))
    host = app.test_client()
    sign_in(app, host, inbox, "webmaster@lycee.example")
    text = host.get(f"/host/sites/{site.key}.csv?lang=fr").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["Organisation"] == "Coopérative des Sols Vivants"
    assert row["Type d’organisation"] == "Groupement d’agriculteurs ou de forestiers"
    assert row["Type d’organisation (code)"] == "producers_group"
    assert row["Pays"] == "Sénégal" and row["Pays (code)"] == "SN"
    assert row["Langue"] == "English"
    assert "csv@example.org" not in text and "Awa Ndiaye" not in text


def test_the_confirmation_mail_says_what_the_host_site_sees(app, client, site, inbox):
    post_sign_on(client, site.key, "host-view@example.org")
    deliver(app)
    text = inbox.wait_for("host-view@example.org")[-1].get_body(("plain",)).get_content()
    assert ("Lycée Jean Moulin, the web site where you signed, sees your organisation, its type and country, "
            "and your commitment; your name and e-mail address only if you let it contact you.") in " ".join(text.split())
