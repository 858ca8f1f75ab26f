"""Campaigns: what is signed, which fields are asked, the goal, and the texts in each language.

The built-in ``4p1000`` campaign keeps its texts in the gettext catalogues (see
:mod:`widget.builtin_campaign`); campaigns from ``PLEDGE_CAMPAIGNS_FILE`` carry their texts per
language in the TOML file itself.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from flask_babel import get_locale
from markupsafe import Markup

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Every field the sign-on form knows, in display order (the contract's field names).
FIELD_NAMES = (
    "name",
    "email",
    "organization",
    "org_type",
    "country",
    "goal",
    "actions",
    "timetable",
    "resources",
    "consent",
)
#: Fields every campaign must ask: without them there is nobody to confirm, nor a consent.
ALWAYS_REQUIRED = frozenset({"email", "consent"})
#: Text keys every campaign provides in its default language.
REQUIRED_TEXTS = ("title", "declaration", "consent")


class CampaignError(ValueError):
    """A campaigns file is malformed; the message says where."""


@dataclass(frozen=True)
class Campaign:
    """One pledge, petition or sign-on letter."""

    slug: str
    goal: int | None
    default_lang: str
    languages: tuple[str, ...]
    fields: tuple[str, ...]
    required: frozenset[str]
    org_types: tuple[str, ...]
    consent_version: str
    #: ``{lang: {key: text}}``; for the built-in campaign, ``{"en": {key: msgid}}``.
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Turns a msgid into the current language (gettext) for campaigns whose texts live in catalogues.
    translate: Callable[[str], str] | None = None

    def text(self, key: str, default: str = "") -> str:
        """The text ``key`` in the current request's language, else in the campaign's default language."""
        if self.translate is not None:
            msgid = self.texts[self.default_lang].get(key)
            return self.translate(msgid) if msgid else default
        for candidate in self._languages_to_try():
            value = self.texts.get(candidate, {}).get(key)
            if value:
                return value
        return default

    def lang_attr(self, key: str) -> Markup:
        """`` lang="xx"`` for an element showing text ``key`` when that text fell back to another
        language than the page's (screen readers then read it with the right voice); else nothing."""
        if self.translate is not None:
            return Markup("")
        current, *_ = self._languages_to_try()
        for candidate in self._languages_to_try():
            if self.texts.get(candidate, {}).get(key):
                return Markup("") if candidate == current else Markup(' lang="%s"') % candidate
        return Markup("")

    def _languages_to_try(self) -> tuple[str, str]:
        return str(get_locale() or self.default_lang).split("_")[0], self.default_lang

    def paragraphs(self, key: str) -> list[str]:
        """A long text split into its paragraphs (blank-line separated)."""
        return [p.strip() for p in self.text(key).split("\n\n") if p.strip()]

    def is_required(self, name: str) -> bool:
        return name in self.required


def load_file(path: str | Path, known_languages: tuple[str, ...]) -> dict[str, Campaign]:
    """Read a TOML campaigns file into ``{slug: Campaign}``; raise :class:`CampaignError` when malformed."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CampaignError(f"{path}: {exc}") from None
    campaigns = data.get("campaigns")
    if not isinstance(campaigns, dict) or not campaigns:
        raise CampaignError(f"{path}: no [campaigns.<slug>] table")
    return {slug: _campaign_from_toml(slug, spec, known_languages) for slug, spec in campaigns.items()}


def _campaign_from_toml(slug: str, spec: Any, known_languages: tuple[str, ...]) -> Campaign:
    where = f"campaign {slug!r}"
    if not isinstance(spec, dict):
        raise CampaignError(f"{where}: must be a table")
    if not slug.replace("-", "").replace("_", "").isalnum() or len(slug) > 64:
        raise CampaignError(f"{where}: a slug is letters, digits, '-' and '_'")
    fields = tuple(spec.get("fields", FIELD_NAMES))
    unknown = set(fields) - set(FIELD_NAMES)
    if unknown:
        raise CampaignError(f"{where}: unknown fields {sorted(unknown)}; known: {list(FIELD_NAMES)}")
    fields = tuple(name for name in FIELD_NAMES if name in fields or name in ALWAYS_REQUIRED)
    required = frozenset(spec.get("required", ["name", "email", "consent"])) | ALWAYS_REQUIRED
    if not required <= set(fields):
        raise CampaignError(f"{where}: required fields {sorted(required - set(fields))} are not in fields")
    texts = spec.get("texts")
    if not isinstance(texts, dict) or not texts:
        raise CampaignError(f"{where}: no [campaigns.{slug}.texts.<lang>] table")
    default_lang = spec.get("default_lang", next(iter(texts)))
    for lang in texts:
        if lang not in known_languages:
            raise CampaignError(f"{where}: language {lang!r} is not one of {list(known_languages)}")
    missing = [key for key in REQUIRED_TEXTS if not texts.get(default_lang, {}).get(key)]
    if missing:
        raise CampaignError(f"{where}: texts.{default_lang} lacks {missing}")
    goal = spec.get("goal")
    if goal is not None and (not isinstance(goal, int) or goal <= 0):
        raise CampaignError(f"{where}: goal must be a positive whole number")
    org_types = tuple(spec.get("org_types", ()))
    if "org_type" in fields and not org_types:
        raise CampaignError(f"{where}: the org_type field needs a list of org_types")
    flat = {lang: _flatten(values) for lang, values in texts.items()}
    return Campaign(
        slug=slug,
        goal=goal,
        default_lang=default_lang,
        languages=tuple(texts),
        fields=fields,
        required=required,
        org_types=org_types,
        consent_version=str(spec.get("consent_version", "1")),
        texts=flat,
    )


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    # TOML's dotted keys (org_type.company = "...") arrive as nested tables.
    out: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out
