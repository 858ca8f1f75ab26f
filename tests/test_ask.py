"""Asking an organisation to sign (issue 21): a host's e-mail draft, printable letter and council resolution
in the language it picks, pointing at its own sign-on page; and its private list of the organisations it
asked, marked once one of them signs through its site and shows on the public list."""
from __future__ import annotations

import html as html_module
import re
import time
from urllib.parse import unquote

import pytest
from flask_babel import gettext

from conftest import deliver, links, path_of, post_sign_on
from test_host import CSRF_VALUE, sign_in
from test_poster import QR_PATH, qr_modules

from widget import ask_texts, asks, i18n, state
from widget.store import Mail, SignOn, open_store
from widget.store.copy import copy_database

OWNER = "militante@villanueva.example"
OTHER = "voisin@villanueva.example"
COUNCIL = "Ayuntamiento de Villanueva"
MAILTO = re.compile(r'id="mailto" href="([^"]+)"')
LETTER = re.compile(r'<article class="letter".*?</article>', re.S)
RESOLUTION = re.compile(r'<article class="resolution".*?</article>', re.S)
ENTRY = re.compile(r"<li>\s*<p><strong>(.*?)</strong></p>.*?</li>", re.S)


def add_site(app, owner=OWNER, name="Villanueva en transición", lang="fr", campaign="4p1000"):
    return state(app).store.add_site(name, ["https://villanueva.example"], owner, campaign, lang=lang)


def ask_page(client, site, query="", **headers):
    return client.get(f"/host/sites/{site.key}/ask{query}", headers=headers)


def csrf(client, site) -> str:
    return CSRF_VALUE.search(ask_page(client, site).get_data(as_text=True)).group(1)


def post(client, site, query="", token=None, **fields):
    data = dict(fields, csrf_token=token if token is not None else csrf(client, site))
    return client.post(f"/host/sites/{site.key}/ask{query}", data=data)


def entries(page: str) -> list[str]:
    """The organisations on the page's list, as shown."""
    return ENTRY.findall(page)


def mailto_fields(page: str) -> dict[str, str]:
    """The ``mailto:`` link's fields, decoded by the rules of RFC 6068 (percent-encoded UTF-8)."""
    href = html_module.unescape(MAILTO.search(page).group(1))
    assert href.startswith("mailto:?") and " " not in href and "+" not in href and "\n" not in href
    assert len(href) <= ask_texts.MAILTO_MAX
    fields = dict(part.split("=", 1) for part in href[len("mailto:?"):].split("&"))
    assert all(re.fullmatch(r"(%[0-9A-F]{2}|[A-Za-z0-9._~-])*", value) for value in fields.values())
    return {name: unquote(value, errors="strict") for name, value in fields.items()}


def listed_signon(app, site, address, organization, status="confirmed"):
    """A sign-on through ``site`` straight into the store, confirmed (and so listed) unless told otherwise."""
    store = state(app).store
    now = time.time()
    store.create_signon(
        SignOn(id=address, campaign=site.campaign, site_key=site.key, email=address, lang="es", status="pending",
               created_at=now, confirmed_at=None, consent_at=now, consent_version="v",
               answers={"organization": organization, "org_type": "public_authority", "country": "ES"}),
        Mail(to=address, subject="s", text="t", html="h"),
    )
    if status == "confirmed":
        store.confirm_signon(address)
    return store.get_entry(address)


# -- the journey of the issue -----------------------------------------------------------------------


@pytest.mark.both_engines
def test_a_council_asked_in_spanish_is_marked_once_it_signs_through_the_hosts_link(app, client, inbox):
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    dashboard = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert f'href="/host/sites/{site.key}/ask"' in dashboard and "Asked: 0 / signed: 0" in dashboard

    response = ask_page(client, site, "?org_type=public_authority&lang=es", **{"Accept-Language": "en"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert '<html lang="en"' in page  # the host's own language around the letter ...
    sign_on = f"http://localhost/w/{site.key}?lang=es"
    assert client.get(path_of(sign_on)).get_data(as_text=True).count('lang="es"') >= 1  # a Spanish widget

    # The e-mail: a mailto: link with no recipient, its subject and body in Spanish where translated.
    mail = mailto_fields(page)
    assert set(mail) == {"subject", "body"}
    assert mail["subject"] == "¿Firmará su ayuntamiento la Declaración 4 por 1000 por los suelos?"
    assert mail["body"].startswith("Hola") and sign_on in mail["body"] and "\r\n\r\n" in mail["body"]
    assert "\n" not in mail["body"].replace("\r\n", "")  # every line break is CRLF
    assert "Los ayuntamientos que firman" in mail["body"]  # the council's own paragraph, in Spanish
    assert re.search(r'<pre class="draft-body" id="draft-body" lang="es"', page)
    assert not re.search(r"\sstyle\s*=", page) and "<style" not in page and "<script>" not in page  # our CSP
    assert 'src="/pledge-static/ask.js?v=' in page and "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert re.search(r'<button type="button" class="secondary" data-copy="draft-body" hidden>Copy the message', page)

    # The letter, in Spanish: its date, the campaign's title, the QR code of the sign-on page and its address.
    letter = LETTER.search(page).group(0)
    assert 'lang="es" dir="ltr"' in letter
    assert re.search(r'class="letter-date">\d+ de \w+ de \d{4}<', letter)
    assert f'<a class="letter-url" href="{sign_on}" dir="ltr">{sign_on}</a>' in letter
    assert QR_PATH.search(letter).group(1) == qr_modules(sign_on)
    assert "Código QR" in letter and "4 por 1000" in letter  # the code's name, in Spanish
    assert "Un ayuntamiento puede empezar por lo que ya gestiona" in letter
    assert "Los tipos de acción que emprenderá." in letter  # the commitments, in plain words
    assert letter.count('data-fill="sender_name"') == 2  # blanks the host's browser fills (or the pen)

    # The resolution: printable, with blanks, and as a plain-text file.
    resolution = RESOLUTION.search(page).group(0)
    assert 'lang="es"' in resolution and "4 por 1000: Declaración de intenciones" in resolution
    assert "acuerda:" in resolution and "indicar, antes del ________________, su objetivo" in resolution
    assert sign_on in resolution
    download = client.get(f"/host/sites/{site.key}/ask/resolution.txt?lang=es")
    assert download.status_code == 200 and sign_on in download.get_data(as_text=True)

    # Recorded: the list shows it, not signed yet (a pending sign-on of that name is not enough).
    added = post(client, site, "?org_type=public_authority&lang=es", organization=COUNCIL, org_type="public_authority",
                 note="Escrito a la alcaldesa el lunes")
    assert added.status_code == 303
    assert added.headers["Location"].endswith(f"/host/sites/{site.key}/ask?done=added&org_type=public_authority&lang=es#asked")
    visitor = app.test_client()
    address = "alcaldia@villanueva.example"
    post_sign_on(visitor, site.key, address, "?lang=es", organization="ayuntamiento de villanueva",
                 org_type="public_authority", country="ES")
    page = ask_page(client, site, "?org_type=public_authority&lang=es").get_data(as_text=True)
    assert entries(page) == [COUNCIL] and "Escrito a la alcaldesa el lunes" in page
    assert "Not signed through your site yet" in page and "Asked: 1 / signed: 0" in page

    # The council confirms through the mailed link: the entry is marked, and the dashboard counts it.
    deliver(app)
    assert visitor.post(path_of(links(inbox.wait_for(address)[-1])[0])).status_code in (200, 303)
    page = ask_page(client, site, "?lang=es").get_data(as_text=True)
    assert re.search(r'<strong class="signed">✓ Signed on [^<]+: on the public list</strong>', page)
    assert "Asked: 1 / signed: 1" in page
    assert "Asked: 1 / signed: 1" in client.get(f"/host/sites/{site.key}").get_data(as_text=True)


# -- only the owner -----------------------------------------------------------------------------------


def test_another_host_gets_404_and_can_neither_add_nor_delete(app, client, inbox):
    site = add_site(app)
    theirs = add_site(app, owner=OTHER, name="Voisins")
    sign_in(app, client, inbox, OWNER)
    assert post(client, site, organization=COUNCIL, org_type="public_authority").status_code == 303
    [mine] = state(app).store.asks(site.key, OWNER)

    other = app.test_client()
    sign_in(app, other, inbox, OTHER)
    token = csrf(other, theirs)  # a valid token of the other host's own session
    for response in (ask_page(other, site), ask_page(other, site, "?org_type=company&lang=es"),
                     other.get(f"/host/sites/{site.key}/ask/resolution.txt"),
                     post(other, site, token=token, organization="Intrus", org_type="company"),
                     post(other, site, token=token, delete=str(mine.id))):
        assert response.status_code == 404 and COUNCIL not in response.get_data(as_text=True)
    assert [a.organization for a in state(app).store.asks(site.key, OWNER)] == [COUNCIL]
    assert state(app).store.asks(site.key, OTHER) == []

    # The other host's own list: the owner's entry id means nothing there.
    assert post(other, theirs, token=token, delete=str(mine.id)).status_code == 303
    assert [a.organization for a in state(app).store.asks(site.key, OWNER)] == [COUNCIL]
    assert entries(ask_page(other, theirs).get_data(as_text=True)) == []
    assert "Asked: 0 / signed: 0" in other.get(f"/host/sites/{theirs.key}").get_data(as_text=True)

    signed_out = app.test_client()
    assert ask_page(signed_out, site).status_code == 404
    assert signed_out.post(f"/host/sites/{site.key}/ask", data={"organization": "x"}).status_code == 404
    assert client.get("/host/sites/no-such-site/ask").status_code == 404

    # The owner deletes its entry.
    deleted = post(client, site, delete=str(mine.id))
    assert deleted.status_code == 303 and "done=deleted" in deleted.headers["Location"]
    assert state(app).store.asks(site.key, OWNER) == []


# -- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fields, message", [
    ({"organization": "", "org_type": "company"}, "Please fill in this field."),
    ({"organization": "   ", "org_type": "company"}, "Please fill in this field."),
    ({"organization": "x" * 301, "org_type": "company"}, "Please use at most 300 characters."),
    ({"organization": "Mairie \u202eeiriam", "org_type": "company"}, "invisible control characters"),
    ({"organization": "Mairie\nde Lyon", "org_type": "company"}, "invisible control characters"),
    ({"organization": "Mairie", "org_type": "pirates"}, "Not a valid choice"),
    ({"organization": "Mairie", "org_type": "company", "note": "n" * 501}, "Please use at most 500 characters."),
    ({"organization": "Mairie", "org_type": "company", "note": "\x00"}, "invisible control characters"),
])
def test_bad_input_is_refused_with_a_message_and_changes_nothing(app, client, inbox, fields, message):
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    response = post(client, site, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="error-summary" role="alert"' in page and message in page
    assert state(app).store.asks(site.key, OWNER) == []


def test_no_csrf_token_no_change(app, client, inbox):
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    assert post(client, site, token="", organization=COUNCIL, org_type="company").status_code == 400
    assert post(client, site, token="forged", organization=COUNCIL, org_type="company").status_code == 400
    assert state(app).store.asks(site.key, OWNER) == []
    post(client, site, organization=COUNCIL, org_type="company")
    [entry] = state(app).store.asks(site.key, OWNER)
    assert post(client, site, token="", delete=str(entry.id)).status_code == 400
    for junk in ("abc", "-1", "1e3", "9" * 40, "١"):  # not an id: nothing deleted, no error page
        assert post(client, site, delete=junk).status_code == 303
    assert len(state(app).store.asks(site.key, OWNER)) == 1


def test_names_in_any_script_are_kept_as_typed_and_shown_as_text(app, client, inbox):
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    names = ["  بلدية\u200cالرباط  ", "上海市农业科学院", "ग्राम पंचायत", '<a href="https://evil.example">Click</a>']
    for name in names:
        assert post(client, site, organization=name, org_type="public_authority",
                    note="<script>alert(1)</script> سأتابع").status_code == 303
    page = ask_page(client, site).get_data(as_text=True)
    assert [html_module.unescape(e) for e in entries(page)] == [name.strip() for name in reversed(names)]
    assert "evil.example\">" not in page and '<a href="https://evil' not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; سأتابع" in page
    assert "evil" not in LETTER.search(page).group(0)  # the letter never shows what the list holds


def test_unknown_kinds_and_languages_fall_back(app, client, inbox):
    site = add_site(app, lang="de")
    sign_in(app, client, inbox, OWNER)
    for query in ("?org_type=pirates&lang=xx", "?org_type=&lang=", "?org_type=%00&lang=" + "x" * 500,
                  "?org_type[]=1&lang=<b>", "?lang=zz-ZZ", ""):
        response = ask_page(client, site, query, **{"Accept-Language": "fr"})
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        assert '<html lang="fr"' in page  # the page in the host's language
        assert 'class="letter" id="letter" lang="de"' in page  # the letter in the site's
        assert f"/w/{site.key}?lang=de" in page
        assert '<option value="public_authority" selected>' in page  # the first kind
    plain = add_site(app, lang=None, name="Sans langue")
    page = ask_page(client, plain, "?lang=xx").get_data(as_text=True)
    assert 'class="letter" id="letter" lang="en"' in page  # no language of its own: the campaign's


def test_a_full_list_takes_no_more(app, client, inbox, monkeypatch):
    monkeypatch.setattr(asks, "MAX_ASKS", 2)
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    for name in ("Un", "Deux"):
        assert post(client, site, organization=name, org_type="company").status_code == 303
    refused = post(client, site, organization="Trois", org_type="company")
    assert refused.status_code == 400 and "Your list is full" in refused.get_data(as_text=True)
    assert len(state(app).store.asks(site.key, OWNER)) == 2


# -- the resolution's plain-text download ----------------------------------------------------------


def test_the_resolution_downloads_as_plain_text_with_blanks(app, client, inbox):
    site = add_site(app, lang="fr")
    sign_in(app, client, inbox, OWNER)
    response = client.get(f"/host/sites/{site.key}/ask/resolution.txt?lang=ar")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="resolution-4p1000-ar.txt"'
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_data().decode("utf-8")
    assert "\n" not in body.replace("\r\n", "") and body.endswith("\r\n")  # CRLF lines, for every editor
    lines = body.split("\r\n")
    with app.test_request_context(), i18n.speaking("ar"):
        title = state(app).campaign("4p1000").text("title")
        heading = gettext("Model council resolution")
        resolution = gettext(ask_texts.OUR_RESOLUTION) % {"blank": "________________"}
    assert lines[0] == heading != "Model council resolution" and lines[2] == title != "" and not title.isascii()
    for paragraph in resolution.split("\n\n"):  # the letter's language, one paragraph a line
        assert paragraph in lines
    assert body.count("________________") == 9
    assert lines[-2].endswith(f" http://localhost/w/{site.key}?lang=ar")
    assert "&#" not in body and "&amp;" not in body and "&lt;" not in body  # plain text, not HTML
    for query in ("", "?lang=<script>", "?lang=" + "x" * 300):
        default = client.get(f"/host/sites/{site.key}/ask/resolution.txt{query}").get_data(as_text=True)
        assert f"/w/{site.key}?lang=fr" in default  # no language of the campaign: the site's


# -- a campaign's own texts ------------------------------------------------------------------------

CAMPAIGNS_FILE = '''
[campaigns.jardins]
goal = 50
default_lang = "en"
fields = ["name", "email", "organization", "org_type", "consent"]
required = ["name", "email", "consent"]
org_types = ["school", "public_authority"]

[campaigns.jardins.texts.en]
title = "Gardens in every school"
declaration = "We will plant a garden."
consent = "I agree."
summary = "Schools commit to plant and keep a garden."
org_type.school = "School"
org_type.public_authority = "Town council"

[campaigns.jardins.texts.fr]
title = "Un jardin dans chaque école"
declaration = "Nous planterons un jardin."
consent = "J'accepte."
"ask.school.email_subject" = "Notre école plantera-t-elle un jardin ?"
ask.school.email_body = """Bonjour,

Notre école pourrait signer « %(title)s » : 100 % des élèves y gagnent.

Signez ici : %(url)s"""
ask.school.letter = """Madame, Monsieur,

Un potager à l'école, c'est %(title)s. %(unknown)s reste tel quel."""
ask.resolution = """Le conseil municipal de ________ décide de signer %(title)s avant le ________."""
'''


@pytest.fixture
def garden_app(make_app, tmp_path):
    path = tmp_path / "campaigns.toml"
    path.write_text(CAMPAIGNS_FILE, encoding="utf-8")
    return make_app(PLEDGE_CAMPAIGNS_FILE=str(path))


def test_a_campaign_file_carries_its_own_texts_per_kind(garden_app, inbox):
    client = garden_app.test_client()
    site = add_site(garden_app, campaign="jardins", lang="fr")
    sign_in(garden_app, client, inbox, OWNER)
    url = f"http://localhost/w/{site.key}?lang=fr"

    page = ask_page(client, site, "?org_type=school&lang=fr").get_data(as_text=True)
    mail = mailto_fields(page)
    assert mail["subject"] == "Notre école plantera-t-elle un jardin ?"
    assert mail["body"] == (f"Bonjour,\r\n\r\nNotre école pourrait signer « Un jardin dans chaque école » : "
                            f"100 % des élèves y gagnent.\r\n\r\nSignez ici : {url}")
    letter = LETTER.search(page).group(0)
    assert "Un potager à l&#39;école, c&#39;est Un jardin dans chaque école. %(unknown)s reste tel quel." in letter
    assert "A goal:" not in letter  # the campaign asks no commitment fields
    assert "4 per 1000" not in page and "soil" not in letter
    assert RESOLUTION.search(page) is None  # schools get no resolution

    council = ask_page(client, site, "?org_type=public_authority&lang=fr").get_data(as_text=True)
    assert "Le conseil municipal de ________ décide de signer Un jardin dans chaque école avant le ________." in \
        RESOLUTION.search(council).group(0)
    # No text of the campaign for councils: ours, the plain ask naming the campaign, and its address.
    mail = mailto_fields(council)
    assert mail["subject"] == "Signerez-vous Un jardin dans chaque école ?" and url in mail["body"]

    # In a language without the campaign's own texts: ours, never the default language's mixed in.
    english = ask_page(client, site, "?org_type=school&lang=en").get_data(as_text=True)
    mail = mailto_fields(english)
    assert mail["subject"] == "Will you sign Gardens in every school?"
    assert "Schools commit to plant and keep a garden." in mail["body"]  # the campaign's summary
    assert "Bonjour" not in english and "conseil municipal" not in english
    assert "The council of ________________" in client.get(
        f"/host/sites/{site.key}/ask/resolution.txt?lang=en").get_data(as_text=True)


def test_a_campaign_without_councils_has_no_resolution_to_download(make_app, tmp_path, inbox):
    path = tmp_path / "campaigns.toml"
    path.write_text(CAMPAIGNS_FILE.replace('org_types = ["school", "public_authority"]', 'org_types = ["school"]')
                    .replace('org_type.public_authority = "Town council"\n', ""), encoding="utf-8")
    app = make_app(PLEDGE_CAMPAIGNS_FILE=str(path))
    client = app.test_client()
    site = add_site(app, campaign="jardins")
    sign_in(app, client, inbox, OWNER)
    assert client.get(f"/host/sites/{site.key}/ask/resolution.txt").status_code == 404
    assert ask_page(client, site, "?org_type=public_authority").status_code == 200


@pytest.mark.parametrize("text, problem", [
    ('ask.school.emial_subject = "x"', "unknown key 'ask.school.emial_subject' in texts.en (did you mean 'ask.school.email_subject'?)"),
    ('ask.company.letter = "x"', "unknown key 'ask.company.letter' in texts.en"),
    ("ask.resolution = 3", "'ask.resolution' in texts.en must be a string, not 3"),
])
def test_the_loader_checks_the_ask_texts(tmp_path, text, problem):
    from widget.campaigns import CampaignError, load_file
    from widget.i18n import LANGUAGES

    path = tmp_path / "campaigns.toml"
    path.write_text(CAMPAIGNS_FILE.replace('summary = "Schools', f'{text}\nsummary = "Schools'), encoding="utf-8")
    with pytest.raises(CampaignError) as raised:
        load_file(path, LANGUAGES)
    assert problem in str(raised.value)


# -- the e-mail link's length ----------------------------------------------------------------------


def test_a_long_draft_is_shortened_under_the_limit_and_keeps_the_sign_on_address():
    url = "https://pledge.example.org/w/AbCdEf0123456789?lang=hi"
    paragraphs = ("नमस्ते,", "मैं " * 120, f"यहाँ हस्ताक्षर करें:\n{url}", "धन्यवाद," + " सचमुच" * 60)
    full, shortened = ask_texts.mailto_url("विषय", paragraphs, url)
    assert shortened and len(full) <= ask_texts.MAILTO_MAX
    body = unquote(full.split("&body=")[1])
    assert body.startswith("नमस्ते,\r\n\r\n") and f"\r\n{url}" in body and "मैं मैं" not in body
    short, cut = ask_texts.mailto_url("Subject", ("Hello,", f"Sign: {url}"), url)
    assert not cut and unquote(short.split("&body=")[1]) == f"Hello,\r\n\r\nSign: {url}"
    alone, cut = ask_texts.mailto_url("Subject", (f"{'x' * 3000} {url}",), url, limit=300)
    assert cut and unquote(alone.split("&body=")[1]) == url  # at worst the address alone


def test_fill_leaves_what_it_does_not_know():
    assert ask_texts.fill("%(title)s: %(x)s, 100 %, %%, %(url)", title="T") == "T: %(x)s, 100 %, %, %(url)"


# -- came through: only what the public list shows ----------------------------------------------------


@pytest.mark.both_engines
def test_marked_only_for_a_listed_sign_on_of_that_name_through_this_site(app):
    store = state(app).store
    site = add_site(app)
    elsewhere = add_site(app, owner=OTHER, name="Ailleurs")
    for name in (COUNCIL, "Cooperativa La Tierra", "Colegio San Juan", "Universidad Verde", COUNCIL.upper()):
        store.add_ask(site.key, OWNER, name, "public_authority", None, 100)
    assert store.ask_counts(site.key, OWNER) == (4, 0)  # one name asked twice (in any case) is one organisation

    listed_signon(app, site, "a@example.org", "ayuntamiento de villanueva")  # another spelling of the name
    listed_signon(app, elsewhere, "b@example.org", "Cooperativa La Tierra")  # through another site
    listed_signon(app, site, "c@example.org", "Colegio San Juan", status="pending")  # not confirmed
    hidden = listed_signon(app, site, "d@example.org", "Universidad Verde")
    store.set_list_state(hidden.id, "hidden", "a test", "desk")  # the operator took it off the public list
    marks = {a.organization: a.signed_at is not None for a in store.asks(site.key, OWNER)}
    assert marks == {COUNCIL: True, COUNCIL.upper(): True, "Cooperativa La Tierra": False,
                     "Colegio San Juan": False, "Universidad Verde": False}
    assert store.ask_counts(site.key, OWNER) == (4, 1)
    assert store.ask_counts(site.key, OTHER) == (0, 0)  # the list is its host's alone

    # Under pre-moderation a sign-on waits for the operator: not on the list, not marked.
    assert store.ask_counts(site.key, OWNER, "pre") == (4, 0)

    # A new key keeps the list and its marks.
    rotated = store.rotate_key(site.key, 60)
    assert store.ask_counts(rotated.key, OWNER) == (4, 1)


def test_the_dashboard_counts_organisations_asked_and_signed(app, client, inbox):
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    for name in (COUNCIL, "Colegio San Juan", "colegio san juan", "Cooperativa La Tierra"):
        post(client, site, organization=name, org_type="research")
    listed_signon(app, site, "colegio@example.org", "Colegio San Juan")
    dashboard = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert "Asked: 3 / signed: 1" in dashboard  # a name asked twice is one organisation
    assert f'href="/host/sites/{site.key}/ask#asked"' in dashboard
    page = ask_page(client, site).get_data(as_text=True)
    assert page.count('class="signed"') == 2 and "Asked: 3 / signed: 1" in page  # both asks of the school


def test_the_store_on_both_engines_and_db_copy(database_url, postgres_url, tmp_path):
    store = open_store(database_url)
    store.migrate()
    try:
        site = store.add_site("S", ["https://s.example"], OWNER, "4p1000")
        first = store.add_ask(site.key, OWNER.upper(), "Mairie", "public_authority", "note", 2)
        assert store.add_ask(site.key, OWNER, "École", None, None, 2) is not None
        assert store.add_ask(site.key, OWNER, "Trop", None, None, 2) is None  # the limit
        assert [(a.organization, a.org_type, a.note) for a in store.asks(site.key, OWNER)] == [
            ("École", None, None), ("Mairie", "public_authority", "note")]
        assert not store.remove_ask(site.key, OTHER, first) and store.remove_ask(site.key, OWNER, first)
        assert store.ask_counts(site.key, OWNER) == (1, 0)
    finally:
        store.close()

    if database_url.startswith("sqlite"):  # db copy takes the list along
        target = postgres_url
        assert copy_database(database_url, target, echo=lambda line: None).ok
        copied = open_store(target)
        try:
            assert [a.organization for a in copied.asks(site.key, OWNER)] == ["École"]
        finally:
            copied.close()


def test_a_campaign_without_kinds_of_organisation(make_app, tmp_path, inbox):
    path = tmp_path / "campaigns.toml"
    path.write_text(CAMPAIGNS_FILE.replace('fields = ["name", "email", "organization", "org_type", "consent"]',
                                           'fields = ["name", "email", "organization", "consent"]')
                    .replace('org_types = ["school", "public_authority"]', "org_types = []")
                    .replace('org_type.school = "School"\norg_type.public_authority = "Town council"\n', "")
                    .split("[campaigns.jardins.texts.fr]")[0], encoding="utf-8")
    app = make_app(PLEDGE_CAMPAIGNS_FILE=str(path))
    client = app.test_client()
    site = add_site(app, campaign="jardins", lang="en")
    sign_in(app, client, inbox, OWNER)
    page = ask_page(client, site, "?org_type=school").get_data(as_text=True)
    assert 'id="kind"' not in page and 'name="org_type"' not in page and RESOLUTION.search(page) is None
    assert mailto_fields(page)["subject"] == "Will you sign Gardens in every school?"
    assert post(client, site, organization="École Jules Ferry", note="La directrice").status_code == 303
    [entry] = state(app).store.asks(site.key, OWNER)
    assert (entry.organization, entry.org_type, entry.note) == ("École Jules Ferry", None, "La directrice")
