"""Campaigns: the built-in 4p1000 and campaigns from a TOML file."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from widget import create_app, state
from widget.builtin_campaign import CAMPAIGN
from widget.campaigns import CampaignError, load_file
from widget.countries import CODES, is_country
from widget.i18n import LANGUAGES, normalise

TOML = """
[campaigns.open-letter]
goal = 500
default_lang = "en"
fields = ["name", "email", "organization", "country", "consent"]
required = ["name", "email", "consent"]
consent_version = "2"

[campaigns.open-letter.texts.en]
title = "Open letter for school gardens"
declaration = "We ask for a garden in every school.\\n\\nSoil is a classroom."
consent = "I sign this letter."

[campaigns.open-letter.texts.fr]
title = "Lettre ouverte pour les jardins d'école"
"""


def test_builtin_campaign_matches_the_contract():
    assert CAMPAIGN.slug == "4p1000" and CAMPAIGN.goal == 100_000
    assert CAMPAIGN.org_types == ("public_authority", "funding_body", "civil_society", "producers_group",
                                  "company", "research")
    for name in ("goal", "actions", "timetable", "consent", "email", "org_type", "country"):
        assert CAMPAIGN.is_required(name)


def test_toml_campaign_loads_and_falls_back_to_its_default_language(tmp_path):
    path = tmp_path / "campaigns.toml"
    path.write_text(TOML, encoding="utf-8")
    app = create_app({"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'p.db'}", "PLEDGE_SECRET_KEY": "k",
                      "PLEDGE_CAMPAIGNS_FILE": str(path), "PLEDGE_MAIL_IN_PROCESS": False})
    campaign = state(app).campaign("open-letter")
    assert campaign.fields == ("name", "email", "organization", "country", "consent")
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "open-letter")
    client = app.test_client()
    french = client.get(f"/w/{site.key}?lang=fr").get_data(as_text=True)
    assert "Lettre ouverte pour les jardins d&#39;école" in french
    assert "Soil is a classroom." in french  # no French declaration: the default language's
    assert 'name="goal"' not in french and "<progress max=\"500\"" in french


@pytest.mark.parametrize(
    "broken, message",
    [
        ("[campaigns.x]\ngoal = 1\n", "missing key 'texts' ([campaigns.x.texts.<lang>]"),
        ('[campaigns.x.texts.en]\ntitle = "t"\n', "missing text 'declaration' in texts.en"),
        ('[campaigns.x]\nfields = ["shoe_size"]\n', "unknown field 'shoe_size' in 'fields'"),
        ('[campaigns.x]\ngoal = -5\n[campaigns.x.texts.en]\ntitle="t"\ndeclaration="d"\nconsent="c"\n', "goal"),
        ('[campaigns.x.texts.xx]\ntitle="t"\n', "language 'xx'"),
        ("not toml [", "campaigns.toml"),
    ],
)
def test_malformed_campaign_files_say_what_is_wrong(tmp_path, broken, message):
    path = tmp_path / "campaigns.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CampaignError, match=re.escape(message)):
        load_file(path, LANGUAGES)


def test_countries_are_the_iso_3166_list():
    assert len(CODES) == 249
    assert is_country("FR") and is_country("SN") and not is_country("EU") and not is_country("ZZ")


@pytest.mark.parametrize("value, expected", [("fr-CA", "fr"), ("AR", "ar"), ("pt_BR", "pt"), ("xx", None),
                                             ("", None), ("en-" + "x" * 100, None), ("../../etc", None)])
def test_language_values_are_whitelisted(value, expected):
    assert normalise(value) == expected


def open_letter(tmp_path):
    """An app with the TOML campaign above, and a site of it."""
    path = tmp_path / "campaigns.toml"
    path.write_text(TOML, encoding="utf-8")
    app = create_app({"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'p.db'}", "PLEDGE_SECRET_KEY": "k",
                      "PLEDGE_CAMPAIGNS_FILE": str(path), "PLEDGE_MAIL_IN_PROCESS": False})
    return app, state(app).store.add_site("S", ["https://s.example"], "o@s.example", "open-letter")


def test_texts_that_fall_back_to_another_language_say_which(tmp_path):
    app, site = open_letter(tmp_path)
    french = app.test_client().get(f"/w/{site.key}?lang=fr").get_data(as_text=True)
    assert '<h1>Lettre ouverte' in french  # French text: the page's language
    assert '<p lang="en">Soil is a classroom.</p>' in french  # English fallback: tagged
    assert '<span lang="en">I sign this letter.</span>' in french
    english = app.test_client().get(f"/w/{site.key}?lang=en").get_data(as_text=True)
    assert 'lang="en">Soil' not in english


def test_a_campaign_file_may_speak_any_of_the_sixteen_languages(tmp_path):
    """Texts in Persian and Chinese: each shown in its language, the missing ones in the default, tagged."""
    path = tmp_path / "campaigns.toml"
    path.write_text(TOML + """
[campaigns.open-letter.texts.fa]
title = "نامهٔ سرگشاده برای باغ‌های مدرسه"

[campaigns.open-letter.texts.zh]
title = "关于学校菜园的公开信"
consent = "我签署这封信。"
""", encoding="utf-8")
    app = create_app({"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'p.db'}", "PLEDGE_SECRET_KEY": "k",
                      "PLEDGE_CAMPAIGNS_FILE": str(path), "PLEDGE_MAIL_IN_PROCESS": False})
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "open-letter")
    persian = app.test_client().get(f"/w/{site.key}?lang=fa").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl"' in persian and "<h1>نامهٔ سرگشاده" in persian
    assert '<span lang="en">I sign this letter.</span>' in persian  # not in Persian: English, tagged
    chinese = app.test_client().get(f"/w/{site.key}?lang=zh-CN").get_data(as_text=True)
    assert "<h1>关于学校菜园的公开信</h1>" in chinese  # zh-CN is zh
    assert "我签署这封信。" in chinese and "I sign this letter." not in chinese


# --- The campaigns file is checked against a schema: every problem, with its campaign, key and line ---

#: The texts every campaign needs in its default language, as the file's last lines.
ENGLISH = """
[campaigns.school-gardens.texts.en]
title = "Open letter for school gardens"
declaration = "We ask for a garden in every school."
consent = "I sign this letter."
"""


def problems(tmp_path, text: str) -> list[str]:
    """The problems ``load_file`` reports for ``text``, one per line, the file named as an operator
    would see it in the docs."""
    path = tmp_path / "campaigns.toml"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(CampaignError) as caught:
        load_file(path, LANGUAGES)
    return str(caught.value).replace(str(path), "campaigns.toml").splitlines()


def test_a_misspelt_key_is_reported_with_its_line_and_what_was_meant(tmp_path):
    text = """[campaigns.school-gardens]
goal = 500
default_lang = "en"
requried = ["name", "email", "consent"]
fields = ["name", "email", "consent"]
""" + ENGLISH
    assert problems(tmp_path, text) == [
        "campaigns.toml, line 4: campaign 'school-gardens': unknown key 'requried' (did you mean 'required'?)"
    ]


@pytest.mark.parametrize(
    "other, bad, expected",
    [
        ('org_types = ["school"]', 'fields = "name"', "'fields' must be a list of field names, not a string"),
        ('org_types = ["school"]', 'required = "name"', "'required' must be a list of field names, not a string"),
        ('fields = ["name", "email", "org_type", "consent"]', 'org_types = "company"',
         "'org_types' must be a list of strings, not a string"),
    ],
)
def test_a_string_where_a_list_belongs_is_not_split_into_letters(tmp_path, other, bad, expected):
    text = f"""[campaigns.school-gardens]
goal = 500
default_lang = "en"
{other}
{bad}
""" + ENGLISH
    assert problems(tmp_path, text) == [f"campaigns.toml, line 5: campaign 'school-gardens': {expected}"]


def test_a_misspelt_campaigns_table_is_reported_as_such(tmp_path):
    text = ENGLISH.replace("[campaigns.", "[campaign.")
    text = '[campaign.school-gardens]\nfields = ["name", "email", "consent"]\n' + text
    assert problems(tmp_path, text) == [
        "campaigns.toml, line 1: unknown table [campaign.school-gardens] (did you mean [campaigns.school-gardens]?)"
    ]


@pytest.mark.parametrize("goal, shown", [('"500"', "'500'"), ("true", "true"), ("2.5", "2.5"), ("0", "0"),
                                         ("-5", "-5"), ("[500]", "a list holding 500")])
def test_goal_must_be_a_positive_whole_number(tmp_path, goal, shown):
    text = f'[campaigns.school-gardens]\ngoal = {goal}\nfields = ["name", "email", "consent"]\n' + ENGLISH
    assert problems(tmp_path, text) == [
        f"campaigns.toml, line 2: campaign 'school-gardens': 'goal' must be a positive whole number or \"auto\", "
        f"not {shown}"
    ]


def test_a_campaign_without_texts_is_told_what_to_add(tmp_path):
    assert problems(tmp_path, '[campaigns.x]\ngoal = 1\nfields = ["name", "email", "consent"]\n') == [
        "campaigns.toml: campaign 'x': missing key 'texts' ([campaigns.x.texts.<lang>] with title, declaration "
        "and consent)"
    ]


def test_a_title_missing_in_the_default_language_is_reported_at_its_table(tmp_path):
    text = """[campaigns.x]
default_lang = "fr"
fields = ["name", "email", "consent"]

[campaigns.x.texts.en]
title = "Open letter"
[campaigns.x.texts.fr]
declaration = "Nous demandons un jardin."
consent = "Je signe."
"""
    assert problems(tmp_path, text) == [
        "campaigns.toml, line 7: campaign 'x': missing text 'title' in texts.fr, the default language "
        "(it needs title, declaration, consent)"
    ]


@pytest.mark.parametrize(
    "line, expected",
    [
        # A misspelt title is one problem, not two: no "missing text 'title'" besides.
        ('titel = "Open letter"', "unknown key 'titel' in texts.en (did you mean 'title'?)"),
        ('help.gaol = "What you will do."', "unknown key 'help.gaol' in texts.en (did you mean 'help.goal'?)"),
        ('"label".emial = "Your e-mail"', "unknown key 'label.emial' in texts.en (did you mean 'label.email'?)"),
        ('org_type.compnay = "Company"',
         "unknown key 'org_type.compnay' in texts.en (did you mean 'org_type.company'?)"),
        ('slogan = "Soil"', "unknown key 'slogan' in texts.en"),  # nothing close: no guess
    ],
)
def test_an_unknown_text_key_is_reported_with_what_was_meant(tmp_path, line, expected):
    text = """[campaigns.school-gardens]
org_types = ["company", "school"]

[campaigns.school-gardens.texts.en]
declaration = "We ask for a garden in every school."
consent = "I sign this letter."
""" + line + "\n"
    if "titel" not in line:
        text += 'title = "Open letter"\n'
    assert problems(tmp_path, text) == [f"campaigns.toml, line 7: campaign 'school-gardens': {expected}"]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    text = """[campaigns.school-gardens]
goal = "500"
requried = ["name"]
fields = ["name", "emial", "consent"]
consent_version = 2026-11-01

[campaigns.school-gardens.texts.en]
title = "Open letter"
declaration = "We ask for a garden in every school."
consent = 1

[campaigns.school-gardens.texts.xx]
title = "?"

[campaigns.other]
default_lang = "fr"
fields = ["name", "email", "consent"]
required = ["name", "goal"]

[campaigns.other.texts.en]
title = "Other"
"""
    assert problems(tmp_path, text) == [
        "campaigns.toml, line 2: campaign 'school-gardens': 'goal' must be a positive whole number or \"auto\", not '500'",
        "campaigns.toml, line 3: campaign 'school-gardens': unknown key 'requried' (did you mean 'required'?)",
        "campaigns.toml, line 4: campaign 'school-gardens': unknown field 'emial' in 'fields' (did you mean 'email'?)",
        "campaigns.toml, line 5: campaign 'school-gardens': 'consent_version' must be a string, not the date/time "
        "2026-11-01 (quote it to make it a string)",
        "campaigns.toml, line 10: campaign 'school-gardens': 'consent' in texts.en must be a string, not 1",
        "campaigns.toml, line 12: campaign 'school-gardens': language 'xx' is not one of en, fr, es, pt, de, it, "
        "ar, sw, zh, ru, hi, id, ja, tr, fa, pl",
        "campaigns.toml, line 18: campaign 'other': required field 'goal' is not in 'fields'",
        "campaigns.toml, line 16: campaign 'other': 'default_lang' is 'fr', which has no "
        "[campaigns.other.texts.fr] table (texts: en)",
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_each_problem_carries_the_line_of_its_key(tmp_path, newline):
    # What a line scanner could mistake for headers and keys: text inside multi-line strings and
    # lists, quoted and dotted keys, a line separator (U+2028) that str.splitlines() would count.
    text = """# Campaigns of the school-gardens network
[ campaigns . "school-gardens" ]   # a quoted slug
goal = 500
fields = [
  "name", "email", # "],
  "consent", "]",
]
summary = "Soil\u2028is a classroom."

[campaigns.school-gardens.texts.en]
title = "Open letter"
declaration = \"\"\"We ask for a garden in every school.
[campaigns.fake]
goal = "not a key"
\"\"\"
consent = '''I sign ''this'' letter.'''
"help.goal" = 5
help . gaol = "x"

[campaigns.school-gardens.texts.en.label]
emial = "Your e-mail"

[campaigns.inline]
fields = ["name", "email", "consent"]
texts = { en = { title = "T", declaration = "D", consent = 3 } }
""".replace("\n", newline)
    assert problems(tmp_path, text) == [
        # A list's items are reported at its key.
        "campaigns.toml, line 4: campaign 'school-gardens': unknown field ']' in 'fields' (one of: name, email, "
        "organization, website, org_type, country, goal, actions, timetable, resources, consent, contact_consent, "
            "checkin_consent, news_consent)",
        "campaigns.toml, line 8: campaign 'school-gardens': unknown key 'summary'",
        "campaigns.toml, line 17: campaign 'school-gardens': 'help.goal' in texts.en must be a string, not 5",
        "campaigns.toml, line 18: campaign 'school-gardens': unknown key 'help.gaol' in texts.en "
        "(did you mean 'help.goal'?)",
        "campaigns.toml, line 21: campaign 'school-gardens': unknown key 'label.emial' in texts.en "
        "(did you mean 'label.email'?)",
        # Inside an inline table the scanner finds no line: none is better than a wrong one.
        "campaigns.toml: campaign 'inline': 'consent' in texts.en must be a string, not 3",
    ]


def test_a_valid_file_with_dotted_and_quoted_keys_loads_as_before(tmp_path):
    path = tmp_path / "campaigns.toml"
    path.write_text("""[campaigns.school-gardens]
consent_version = 3
fields = ["organization", "org_type", "name"]
org_types = ["school", "city"]

[campaigns.school-gardens.texts.en]
title = "Open letter"
declaration = "We ask."
consent = "I sign."
help.organization = "Your school."
"org_type.school" = "School"
[campaigns.school-gardens.texts.en.org_type]
city = "City"
""", encoding="utf-8")
    campaign = load_file(path, LANGUAGES)["school-gardens"]
    assert campaign.consent_version == "3" and campaign.goal is None and campaign.default_lang == "en"
    assert campaign.fields == ("name", "email", "organization", "org_type", "consent")
    assert campaign.required == {"name", "email", "consent"} and campaign.org_types == ("school", "city")
    assert campaign.texts["en"]["help.organization"] == "Your school."
    assert campaign.texts["en"]["org_type.school"] == "School" and campaign.texts["en"]["org_type.city"] == "City"


def test_the_command_line_prints_every_problem_without_a_traceback(tmp_path):
    import os

    path = tmp_path / "campaigns.toml"
    path.write_text('[campaigns.x]\nrequried = ["name"]\nfields = "name"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_CAMPAIGNS_FILE": str(path), "PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'p.db'}",
                "PLEDGE_SECRET_KEY": "k"})
    result = subprocess.run([sys.executable, "-c", "from widget.console import main; main()", "site", "list"],
                            env=env, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"{path}, line 2: campaign 'x': unknown key 'requried' (did you mean 'required'?)" in result.stderr
    assert f"{path}, line 3: campaign 'x': 'fields' must be a list of field names, not a string" in result.stderr
    assert f"{path}: campaign 'x': missing key 'texts'" in result.stderr


def test_every_key_of_the_schema_is_documented():
    from widget.campaigns import CAMPAIGN_KEYS, TEXT_KEYS

    docs = (Path(__file__).resolve().parent.parent / "docs" / "campaigns.md").read_text(encoding="utf-8")
    assert [key for key in [*CAMPAIGN_KEYS, *TEXT_KEYS] if f"`{key}`" not in docs] == []


def test_a_campaign_offers_only_the_languages_it_has_texts_in(tmp_path):
    app, site = open_letter(tmp_path)
    client = app.test_client()
    page = client.get(f"/w/{site.key}").get_data(as_text=True)
    offered = re.findall(r'<li>.*?lang="([a-z]+)"', page)
    assert offered == ["en", "fr"]
    # A German host page or browser gets one of the campaign's languages, not a German page around an
    # English declaration; a language the campaign lacks cannot be forced either.
    german = client.get(f"/w/{site.key}?hl=de", headers={"Accept-Language": "de, fr;q=0.5"}).get_data(as_text=True)
    assert '<html lang="fr"' in german
    assert '<html lang="en"' in client.get(f"/w/{site.key}?lang=ar").get_data(as_text=True)
