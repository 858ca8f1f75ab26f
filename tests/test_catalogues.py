"""The shipped catalogues are complete, correct and compiled: every visitor reads their own language."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.checkers import num_plurals, python_format
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.messages.catalog import TranslationError

from widget.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


def load_po(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def messages(catalog):
    return [m for m in catalog if m.id]


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory):
    """messages.pot extracted now from the code, to catch strings nobody extracted."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", str(TRANSLATIONS / "babel.cfg"),
         "-k", "_l", "-k", "N_", "--no-location", "-o", str(out), "."],
        cwd=ROOT, check=True,
    )
    with out.open("rb") as f:
        return read_po(f)


def test_template_is_up_to_date(fresh_template):
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        committed = read_po(f)
    missing = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(fresh_template)} - {
        m.id if isinstance(m.id, str) else m.id[0] for m in messages(committed)
    }
    assert not missing, f"run pybabel extract (README, Translations): new strings {sorted(missing)[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_is_complete_and_correct(lang, fresh_template):
    catalog = load_po(lang)
    ids = {m.id for m in messages(catalog)}
    absent = [m.id for m in messages(fresh_template) if m.id not in ids]
    assert not absent, f"{lang}: not in the catalogue (pybabel update): {absent[:3]}"
    problems = []
    for message in messages(catalog):
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
            continue
        for checker in (num_plurals, python_format):
            try:
                checker(catalog, message)
            except TranslationError as exc:
                problems.append(f"{exc}: {message.id!r}")
    assert not problems, f"{lang}: " + "; ".join(problems[:10])


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogue_is_a_real_translation(lang):
    """Not English copied over: only a few short words may stay the same (e.g. "Organisation")."""
    same = [m.id for m in messages(load_po(lang)) if isinstance(m.id, str) and m.string == m.id]
    assert len(same) <= 5, f"{lang}: {len(same)} messages are identical to the English: {same[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_its_source(lang):
    """The .mo files that ship in the package are compiled from the current .po files."""
    mo_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), f"run pybabel compile -d translations ({lang})"
    with mo_path.open("rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    source = {_key(m.id): _key(m.string) for m in messages(load_po(lang)) if not m.fuzzy and any(_key(m.string))}
    assert compiled == source, f"{lang}: messages.mo is stale, run pybabel compile -d translations"


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def test_every_catalogue_is_offered_and_every_language_has_one():
    """A catalogue without its line in LANGUAGES would never be used; a line without a catalogue would
    offer visitors a language that shows English (docs/translating.md, "Add a language")."""
    folders = {p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / "messages.po").exists()}
    assert folders == set(LANGUAGES)
