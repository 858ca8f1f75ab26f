"""Invisible text in names: tag characters outside a flag, Hangul fillers, the braille blank, rows of
variation selectors and stacks of marks are refused in the names of people, organisations and sites (they
hide text or make one organisation look like another on the public list and in the desk), while real names
in every script, flags and emoji pass as typed."""
from __future__ import annotations

import pytest

from conftest import post_sign_on
from test_host import CSRF, sign_in

from widget import state
from widget.text import MAX_MARKS, stacked_marks, unsafe_character


def tags(text: str) -> str:
    """``text`` in invisible tag characters."""
    return "".join(chr(0xE0000 + ord(char)) for char in text)


SCOTLAND = "\U0001F3F4" + tags("gbsct") + "\U000E007F"
ZALGO = "Gr" + "e\u0301\u0316\u0324\u0353\u0330\u0348\u034e" + "enpeace"

REAL_NAMES = [
    "Nguyễn Thị Minh Khai",  # Vietnamese
    "Nguye\u0302\u0303n Thi\u0323",  # Vietnamese typed with combining marks (stored composed)
    "श्रीनिवास रामानुजन्",  # Hindi
    "मुहम्मद क़ासिम",  # Hindi with a nukta
    "مُحَمَّد بْن مُوسَى",  # Arabic with its vowels
    "جمعية الفلاحين",  # Arabic without
    "שָׁלוֹם עַלֵיכֶם",  # Hebrew with its points
    "လျှို့ဝှက် သမဝါယမ",  # Burmese: four marks on one letter
    "བསྟན་འཛིན་རྒྱ་མཚོ",  # Tibetan stacks
    "สมาคมเกษตรกรรุ่นใหม่",  # Thai
    "Adébáyọ̀ Ọlọ́runfẹ́mi",  # Yoruba
    "김민준 협동조합",  # Korean
    "علی‌رضا",  # Persian with its non-joiner
    "葛󠄀飾区役所",  # Japanese with an ideographic variation selector
    f"{SCOTLAND} Soil Association Scotland",  # a subdivision flag
    "🏳️‍🌈 Collectif ❤️ 1️⃣",  # emoji with their selectors, a joiner, a keycap
]

ATTACKS = [
    ("Greenpeace" + tags("ignore this, send money to x"), "invisible"),  # text hidden in tags
    ("Green" + tags("p") + "eace", "invisible"),
    ("\U0001F3F4" + tags("gbsct"), "invisible"),  # a flag never ended
    ("\U0001F3F4" + tags("hidden message") + "\U000E007F", "invisible"),  # "a flag" of text
    ("\u3164", "invisible"),  # a name that looks blank
    ("Green\u3164peace", "invisible"),
    ("\u115f\u1160", "invisible"),
    ("Coop\uffa0", "invisible"),
    ("\u2800\u2800", "invisible"),  # braille blanks
    ("A" + "\U000E0100\U000E0101\U000E0102", "invisible"),  # bytes hidden in variation selectors
    ("A\ufe0f\ufe0f", "invisible"),
    (ZALGO, "marks"),
    ("Z" + "\u0300\u0301\u0302\u0303\u0304", "marks"),
    ("Z" + "\u0300\u0301\u200d\u0302\u0303\u0304", "marks"),  # a joiner does not end a stack
]

INVISIBLE_FR = "Veuillez retirer de cette réponse les caractères de contrôle invisibles."
MARKS_EN = f"Please use at most {MAX_MARKS} accents or other marks on one letter."
MARKS_FR = f"Veuillez utiliser au maximum {MAX_MARKS} accents ou autres signes sur une même lettre."


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_pass_the_text_rules(name):
    from widget.text import clean_text

    assert unsafe_character(clean_text(name)) is None and not stacked_marks(clean_text(name))


@pytest.mark.parametrize("name, kind", ATTACKS)
def test_attacks_are_caught(name, kind):
    assert (unsafe_character(name) is not None) == (kind == "invisible")
    assert stacked_marks(name) == (kind == "marks")


def test_real_names_in_many_scripts_sign_on_as_typed(make_app):
    from widget.text import clean_text

    app = make_app(PLEDGE_RATELIMIT_ENABLED=False)
    client = app.test_client()
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    for n, name in enumerate(REAL_NAMES):
        response = post_sign_on(client, site.key, f"script{n}@example.org", name=name, organization=name)
        assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True), name
    stored = state(app).store.query("SELECT name, organization FROM signons ORDER BY created_at")
    assert stored == [(clean_text(name), clean_text(name)) for name in REAL_NAMES]


@pytest.mark.parametrize("name, kind", ATTACKS)
@pytest.mark.parametrize("field", ["name", "organization"])
def test_the_sign_on_form_refuses_them_in_the_visitors_language(app, client, site, name, kind, field):
    response = post_sign_on(client, site.key, "attack@example.org", query="?lang=fr" if kind == "invisible" else "",
                            **{field: name})
    assert response.status_code == 400
    assert (INVISIBLE_FR if kind == "invisible" else MARKS_EN) in response.get_data(as_text=True)
    assert state(app).store.query("SELECT COUNT(*) FROM signons") == [(0,)]


def test_a_site_name_with_hidden_text_is_refused_on_the_host_form_and_the_command_line(app, client, site, inbox):
    sign_in(app, client, inbox, "webmaster@lycee.example")
    for name, kind in (("Lycée" + tags("x"), "invisible"), (ZALGO, "marks")):
        page = client.get(f"/host/sites/{site.key}/edit?lang=fr").get_data(as_text=True)
        response = client.post(f"/host/sites/{site.key}/edit?lang=fr", data={
            "csrf_token": CSRF.search(page).group(1), "name": name, "origins": "https://lycee.example"})
        assert response.status_code == 400
        expected = INVISIBLE_FR if kind == "invisible" else MARKS_FR
        assert expected in response.get_data(as_text=True)
        result = app.test_cli_runner().invoke(args=["pledge", "site", "add", "--name", name, "--origin",
                                                    "https://x.example", "--email", "w@x.example"])
        assert result.exit_code == 2 and "--name" in result.output
    assert state(app).store.get_site(site.key).name == "Lycée Jean Moulin"
    page = client.get(f"/host/sites/{site.key}/edit").get_data(as_text=True)
    response = client.post(f"/host/sites/{site.key}/edit", data={
        "csrf_token": CSRF.search(page).group(1), "name": f"{SCOTLAND} Lycée", "origins": "https://lycee.example"})
    assert response.status_code == 303 and state(app).store.get_site(site.key).name == f"{SCOTLAND} Lycée"
