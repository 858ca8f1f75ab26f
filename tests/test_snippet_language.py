"""The default snippet follows the host page and the visitor (issue 18, item 20): a webmaster who reads the
host pages in French and adds a site without touching the language gets a snippet without ``data-lang``, so a
Persian, Chinese or Brazilian visitor sees the widget in their language. Fixing a language is an explicit
choice, labelled as such, and then the snippet carries it."""
from __future__ import annotations

import json
import re

from test_cli import add_site as add_by_command
from test_host_self_service import add_site
from test_snippet_builder import builder, host, snippet_of  # noqa: F401  (a fixture)

from widget import state
from widget.store import DEMO_SITE_KEY

SELECT = re.compile(r'<select[^>]*name="(?:snippet_)?lang".*?</select>', re.S)
OPTION = re.compile(r'<option([^>]*)>([^<]*)</option>')


def default_choice(page: str) -> str:
    """The value a browser sends for the language select left as it is: the selected option, else the first."""
    options = OPTION.findall(SELECT.search(page).group(0))
    chosen = [attributes for attributes, _label in options if re.search(r"\bselected\b", attributes)] or [options[0][0]]
    return re.search(r'value="([^"]*)"', chosen[0]).group(1)


def test_the_new_site_form_follows_the_page_unless_a_language_is_chosen(app, host):
    host.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"  # a webmaster who reads the host pages in French
    form = host.get("/host/sites/new").get_data(as_text=True)
    assert '<html lang="fr"' in form
    select = SELECT.search(form).group(0)
    assert default_choice(form) == ""
    assert select.index('value=""') < select.index("<optgroup")  # following comes first, the languages after
    assert '<option lang="fa" value="fa">فارسی</option>' in select[select.index("<optgroup"):]

    added = add_site(host, name="École des Sols", origins="https://ecole.example", lang=default_choice(form))
    key = added.headers["Location"].split("/")[-2]
    assert state(app).store.get_site(key).lang is None
    site = state(app).store.get_site(key)
    page = builder(host, site)[1]
    code = snippet_of(page)
    assert "data-lang" not in code
    assert ">4 pour 1000\xa0: Déclaration d’intention" in code  # the link itself in the webmaster's language
    assert default_choice(page) == ""

    chosen = add_site(host, name="Madrasa", origins="https://madrasa.example", lang="fa")
    fixed = state(app).store.get_site(chosen.headers["Location"].split("/")[-2])
    page = builder(host, fixed)[1]
    assert 'data-lang="fa"' in snippet_of(page) and default_choice(page) == "fa"


def test_the_builder_labels_a_fixed_language_as_a_choice(app, host, site):
    page = builder(host, site, "?lang=en")[1]
    select = SELECT.search(page).group(0)
    assert '<option value="" selected>Follow the page and the visitor (recommended)</option>' in select
    assert '<optgroup label="Always show in">' in select and 'aria-describedby="snippet_lang-help"' in select
    assert "data-lang" not in snippet_of(page)


def test_the_command_line_and_the_front_page_give_snippets_without_a_language(app, runner):
    assert "data-lang" not in json.loads(add_by_command(runner, "--json").stdout)["snippet"]
    state(app).store.add_site("Demo", ["http://localhost"], "demo@localhost", "4p1000", key=DEMO_SITE_KEY)
    front = app.test_client().get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "pledge-widget" in front and "data-lang" not in front
