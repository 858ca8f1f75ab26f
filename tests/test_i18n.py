"""Every visitor in their language: how the language is chosen, and what follows it."""
from __future__ import annotations

import re

import pytest

from conftest import deliver, links, path_of, post_sign_on, run_sql

from widget import state


def page_lang(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.get_data(as_text=True))
    return match.group(1), match.group(2)


@pytest.mark.parametrize(
    "query, accept, expected",
    [
        ("?lang=fr&hl=de", "es", "fr"),  # an explicit choice wins
        ("?hl=de-AT", "es", "de"),  # then the host page's <html lang>
        ("", "pt-BR,pt;q=0.9,en;q=0.5", "pt"),  # then the browser's
        ("", "", "en"),  # then the campaign's default
        ("?lang=xx&hl=ar", "", "ar"),  # unknown values fall through to the next rule...
        ("?lang=!!<script>&hl=zz-ZZ", "sw", "sw"),  # ...never to an error
        ("?lang=" + "x" * 500, "", "en"),
    ],
)
def test_language_is_chosen_in_order(client, site, query, accept, expected):
    response = client.get(f"/w/{site.key}{query}", headers={"Accept-Language": accept} if accept else {})
    assert response.status_code == 200
    assert page_lang(response)[0] == expected


@pytest.mark.parametrize("lang, words", [("ar", "في الألف"), ("fa", "بیانیهٔ اعلام نیت")])
def test_arabic_and_persian_are_right_to_left_and_translated(client, site, lang, words):
    response = client.get(f"/w/{site.key}?lang={lang}")
    assert page_lang(response) == (lang, "rtl")
    html = response.get_data(as_text=True)
    assert words in html and "Declaration of Intent" not in html


def test_visitor_can_switch_language_inside_the_widget_and_keep_their_answers(app, client, site):
    from conftest import TOKEN_INPUT

    page = client.get(f"/w/{site.key}?hl=en&origin=https://lycee.example").get_data(as_text=True)
    nav = re.search(r'<nav class="languages".*?</nav>', page, re.S).group(0)
    assert 'aria-current="true" lang="en"' in nav
    assert re.search(r'<button type="submit" form="signon" name="switch_lang" value="fr"[^>]*>Français</button>', nav)

    data = {"form_token": TOKEN_INPUT.search(page).group(1), "name": "Kofi Boateng", "switch_lang": "fr"}
    switched = client.post(f"/w/{site.key}?hl=en&origin=https://lycee.example", data=data)
    html = switched.get_data(as_text=True)
    assert switched.status_code == 200 and page_lang(switched)[0] == "fr"
    assert 'value="Kofi Boateng"' in html  # what they typed came along
    assert "Veuillez" not in html  # nothing was checked: no error messages
    action = re.search(r'<form id="signon" method="post" action="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "lang=fr" in action and "origin=https" in action
    assert state(app).store.query("SELECT COUNT(*) FROM signons")[0][0] == 0


def test_after_signing_the_languages_are_plain_links(client, site):
    html = post_sign_on(client, site.key, "links@example.org").get_data(as_text=True)
    nav = re.search(r'<nav class="languages".*?</nav>', html, re.S).group(0)
    assert "<button" not in nav and 'hreflang="ar"' in nav


def test_numbers_and_dates_follow_the_locale(app, client, site):
    store = state(app).store
    run_sql(store, "INSERT INTO counts (campaign, site_key, confirmed) VALUES ('4p1000', ?, 12345), ('4p1000', '', 12345)", [site.key])
    english = client.get(f"/w/{site.key}?lang=en").get_data(as_text=True)
    french = client.get(f"/w/{site.key}?lang=fr").get_data(as_text=True)
    assert "12,345 signatures" in english
    assert "12\u202f345 signatures" in french  # narrow no-break space, as French writes it
    assert "100\u202f000" in french


def test_french_visitor_gets_french_mail_pages_and_errors(app, client, site, inbox):
    bad = post_sign_on(client, site.key, "pas-une-adresse", query="?hl=fr")
    assert "Veuillez" in bad.get_data(as_text=True) and "Please" not in bad.get_data(as_text=True)

    post_sign_on(client, site.key, "claire@ecole.example", query="?hl=fr")
    deliver(app)
    [mail] = inbox.wait_for("claire@ecole.example")
    assert "Bonjour" in mail.get_body(("plain",)).get_content()
    assert 'lang="fr"' in mail.get_body(("html",)).get_content()
    assert state(app).store.get_signon(
        state(app).store.query("SELECT id FROM signons")[0][0]
    ).lang == "fr"
    # The confirm pages follow the sign-on's language, whatever the browser says.
    url = path_of(links(mail)[0])
    page = client.get(url, headers={"Accept-Language": "de"})
    assert page_lang(page)[0] == "fr" and "Confirmer ma signature" in page.get_data(as_text=True)
    done = client.post(url, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert re.search(r"Confirmée le \d{1,2} \w+ \d{4}", done)


def test_error_pages_are_localised(client):
    invalid = client.get("/confirm/garbage", headers={"Accept-Language": "fr"})
    assert invalid.status_code == 400 and "Ce lien n’est pas valide" in invalid.get_data(as_text=True)
    not_found = client.get("/w/unknown-site", headers={"Accept-Language": "es"})
    assert not_found.status_code == 404 and page_lang(not_found)[0] == "es"


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_an_address_is_typed_left_to_right_on_right_to_left_pages(client, site, lang):
    html = client.get(f"/w/{site.key}?lang={lang}").get_data(as_text=True)
    assert re.search(r'<input[^>]*dir="ltr"[^>]*id="email"|<input[^>]*id="email"[^>]*dir="ltr"', html)
