"""Campaigns: the built-in 4p1000 and campaigns from a TOML file."""
from __future__ import annotations

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
        ("[campaigns.x]\ngoal = 1\n", "no [campaigns.x.texts"),
        ('[campaigns.x.texts.en]\ntitle = "t"\n', "lacks ['declaration', 'consent']"),
        ('[campaigns.x]\nfields = ["shoe_size"]\n', "unknown fields"),
        ('[campaigns.x]\ngoal = -5\n[campaigns.x.texts.en]\ntitle="t"\ndeclaration="d"\nconsent="c"\n', "goal"),
        ('[campaigns.x.texts.xx]\ntitle="t"\n', "language 'xx'"),
        ("not toml [", "campaigns.toml"),
    ],
)
def test_malformed_campaign_files_say_what_is_wrong(tmp_path, broken, message):
    path = tmp_path / "campaigns.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CampaignError, match=message.replace("[", r"\[")):
        load_file(path, LANGUAGES)


def test_countries_are_the_iso_3166_list():
    assert len(CODES) == 249
    assert is_country("FR") and is_country("SN") and not is_country("EU") and not is_country("ZZ")


@pytest.mark.parametrize("value, expected", [("fr-CA", "fr"), ("AR", "ar"), ("pt_BR", "pt"), ("xx", None),
                                             ("", None), ("en-" + "x" * 100, None), ("../../etc", None)])
def test_language_values_are_whitelisted(value, expected):
    assert normalise(value) == expected


def test_texts_that_fall_back_to_another_language_say_which(tmp_path):
    path = tmp_path / "campaigns.toml"
    path.write_text(TOML, encoding="utf-8")
    app = create_app({"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'p.db'}", "PLEDGE_SECRET_KEY": "k",
                      "PLEDGE_CAMPAIGNS_FILE": str(path), "PLEDGE_MAIL_IN_PROCESS": False})
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "open-letter")
    french = app.test_client().get(f"/w/{site.key}?lang=fr").get_data(as_text=True)
    assert '<h1>Lettre ouverte' in french  # French text: the page's language
    assert '<p lang="en">Soil is a classroom.</p>' in french  # English fallback: tagged
    assert '<span lang="en">I sign this letter.</span>' in french
    english = app.test_client().get(f"/w/{site.key}?lang=en").get_data(as_text=True)
    assert 'lang="en">Soil' not in english
