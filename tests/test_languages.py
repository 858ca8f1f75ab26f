"""Sixteen languages, and room for more: how a visitor's language is found, and what adding one takes."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from widget import i18n

ROOT = Path(__file__).resolve().parent.parent

#: The UN's six official languages and the drive's largest regional ones: the issue's list.
EXPECTED = {"en", "fr", "es", "pt", "de", "it", "ar", "sw", "zh", "ru", "hi", "id", "ja", "tr", "fa", "pl"}


def page_lang(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.get_data(as_text=True))
    return match.group(1), match.group(2)


def test_sixteen_languages_and_two_of_them_right_to_left():
    assert set(i18n.LANGUAGES) == EXPECTED
    assert i18n.RTL == {"ar", "fa"}


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("zh-CN", "zh"),
        ("zh-Hans", "zh"),
        ("zh-SG,zh;q=0.9", "zh"),
        ("zh-Hant-TW", "zh"),  # no Traditional catalogue: Simplified reads far better than English
        ("pt-BR", "pt"),
        ("fa-IR", "fa"),
        ("id-ID", "id"),
        ("uk, ru;q=0.8, en;q=0.5", "ru"),  # a language we lack: the visitor's next choice
        ("uk", "en"),  # ...and none we have: the campaign's language
        # The visitor's order, not "exact matches first": browsers send a regional tag before English.
        ("pt-BR,en;q=0.9", "pt"),
        ("de-DE,fr;q=0.9", "de"),
        ("zh-TW,en-US;q=0.9,en;q=0.8", "zh"),
        ("fr;q=0,tr", "tr"),  # q=0 means "not this one"
    ],
)
def test_browser_languages_find_ours(client, site, accept, expected):
    response = client.get(f"/w/{site.key}", headers={"Accept-Language": accept})
    assert page_lang(response)[0] == expected


@pytest.mark.parametrize(
    "query, accept, expected",
    [
        ("?hl=zh-CN", "", "zh"),
        ("?hl=zh-Hans-SG", "", "zh"),
        ("?hl=pt-BR", "en", "pt"),
        ("?hl=uk", "pl-PL,pl;q=0.9", "pl"),  # a host page in a language we lack: the visitor's browser
        ("?hl=uk", "", "en"),  # then the campaign's language
        ("?hl=ja&lang=tr", "", "tr"),  # data-lang still wins
    ],
)
def test_host_page_language_falls_back_in_the_documented_order(client, site, query, accept, expected):
    response = client.get(f"/w/{site.key}{query}", headers={"Accept-Language": accept} if accept else {})
    assert page_lang(response)[0] == expected


def test_persian_is_right_to_left_and_a_number_stays_whole(app, client, site):
    response = client.get(f"/w/{site.key}?lang=fa")
    assert page_lang(response) == ("fa", "rtl")
    html = response.get_data(as_text=True)
    assert "Declaration of Intent" not in html
    # The goal, written by Babel for Persian (Latin digits, its default numbering system).
    assert "100,000" in html


@pytest.mark.parametrize("lang, word", [("ru", "подпис"), ("pl", "podpis")])
def test_slavic_plurals_use_the_right_form(app, lang, word):
    """Russian and Polish have three forms: 1, 2-4 and 5+ (and 21 is like 1 in Russian but not in Polish)."""
    from flask_babel import ngettext

    with app.test_request_context(), i18n.speaking(lang):
        forms = {n: ngettext("%(num)s signature", "%(num)s signatures", n) for n in (1, 2, 5, 21, 22, 25)}
    assert len({forms[1].split()[1], forms[2].split()[1], forms[5].split()[1]}) == 3, forms
    assert all(word in text.lower() for text in forms.values()), forms
    assert forms[22].split()[1] == forms[2].split()[1] and forms[25].split()[1] == forms[5].split()[1]


def test_adding_a_language_takes_one_catalogue_and_one_line(tmp_path):
    """A throwaway Hebrew, added the way docs/translating.md says, in a copy of the source: one line in
    LANGUAGES and one catalogue. Nothing else is edited, and the widget speaks it, right to left."""
    for folder in ("widget", "translations", "embed"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))

    source = tmp_path / "widget" / "i18n.py"
    text = source.read_text()
    assert text.count('    "sw",\n') == 1
    source.write_text(text.replace('    "sw",\n', '    "sw",\n    "he",\n'))  # the one line

    with (ROOT / "translations" / "messages.pot").open("rb") as f:
        catalog = read_po(f, locale="he")
    for message in catalog:  # a stand-in translation: each text marked, placeholders untouched
        if message.id:
            message.string = (tuple(f"[he] {message.id[1]}" for _ in range(catalog.num_plurals))
                              if message.pluralizable else f"[he] {message.id}")
    folder = tmp_path / "translations" / "he" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as f:
        write_mo(f, catalog)

    script = textwrap.dedent(f"""
        import re
        from widget import create_app, state
        app = create_app({{"TESTING": True, "PLEDGE_DATABASE": {"sqlite:///" + str(tmp_path / "db.sqlite")!r},
                          "PLEDGE_SECRET_KEY": "k", "PLEDGE_CACHE_SECONDS": 0}})
        site = state(app).store.add_site("School", ["https://school.example"], "web@school.example", "4p1000")
        client = app.test_client()
        html = client.get("/w/" + site.key, headers={{"Accept-Language": "he-IL"}}).get_data(as_text=True)
        print(re.search(r'<html lang="([^"]+)" dir="([^"]+)"', html).groups())
        print("[he] 4 per 1000" in html, "עברית" in html)
        result = app.test_cli_runner().invoke(args=["pledge", "site", "add", "--name", "Shul", "--origin",
                                                    "https://shul.example", "--email", "a@shul.example",
                                                    "--lang", "he"])
        print(result.exit_code, result.output.replace(chr(10), " "))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "('he', 'rtl')"  # chosen from the browser's language, and right to left from CLDR
    assert lines[1] == "True True"  # its texts, and its name in the language switcher
    assert lines[2].startswith("0 "), done.stdout  # the CLI offers it too


@pytest.mark.parametrize("lang, heading", [("zh", "找不到页面"), ("fa", "پیدا نشد")])
def test_an_address_the_service_does_not_know_answers_in_the_visitors_language(client, lang, heading):
    """A link cut short by a mail program ("/c/4p1000/signator") reaches no route of ours: the visitor
    still gets our page, in their language and direction, not Werkzeug's English "Not Found"."""
    response = client.get("/c/4p1000/signator", headers={"Accept-Language": lang})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert page_lang(response) == (lang, i18n.direction(lang))
    assert heading in html and "requested URL" not in html


def test_the_host_sign_in_form_answers_and_mails_in_the_language_it_was_shown_in(app, client, site, inbox):
    """A host page opened with ?lang=zh (a link from a Chinese widget, a translator's preview) keeps it through
    its form: the answer and the sign-in mail are in Chinese, whatever the browser's languages."""
    from conftest import deliver

    page = client.get("/host/?lang=zh", headers={"Accept-Language": "en"}).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(action, data={"email": "web@school.example", "csrf_token": token},
                         headers={"Accept-Language": "en"})
    assert page_lang(answer)[0] == "zh"
    deliver(app)
    assert inbox.wait_for("web@school.example")[-1]["Subject"].startswith("您的登录链接")
