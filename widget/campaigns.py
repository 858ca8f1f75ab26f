"""Campaigns: what is signed, which fields are asked, the goal, when signing opens and closes, and the
texts in each language.

The built-in ``4p1000`` campaign keeps its texts in the gettext catalogues (see
:mod:`widget.builtin_campaign`); campaigns from ``PLEDGE_CAMPAIGNS_FILE`` carry their texts per
language in the TOML file itself; campaigns written in the operator's desk are the same tables, kept in
the database and checked by the same rules (:func:`check_spec`).
"""
from __future__ import annotations

import difflib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from flask_babel import get_locale
from markupsafe import Markup

from .durations import is_duration
from .i18n import LANGUAGES
from .moments import MomentError, parse_moment, utc

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Every field the sign-on form knows, in display order (the contract's field names).
FIELD_NAMES = (
    "name",
    "email",
    "organization",
    "website",
    "org_type",
    "country",
    "goal",
    "actions",
    "timetable",
    "resources",
    "consent",
    "contact_consent",
    "checkin_consent",
    "news_consent",
)
#: Fields a campaign shows only when its ``fields`` names them (a campaign without ``fields`` shows the others).
OPT_IN_FIELDS = frozenset({"website"})
#: The fields of a campaign whose ``fields`` does not say.
DEFAULT_FIELDS = tuple(name for name in FIELD_NAMES if name not in OPT_IN_FIELDS)
#: Fields every campaign must ask: without them there is nobody to confirm, nor a consent.
ALWAYS_REQUIRED = frozenset({"email", "consent"})
#: Fields a campaign file requires when its ``required`` does not say.
DEFAULT_REQUIRED = ("name", "email", "consent")
#: Text keys every campaign provides in its default language.
REQUIRED_TEXTS = ("title", "declaration", "consent")
#: Texts people agree to: changing one of them in the desk makes a new ``consent_version`` (the sign-ons
#: made before keep the version they agreed to).
CONSENT_TEXTS = ("consent", "contact_consent", "checkin_consent", "news_consent")
#: The optional, unticked boxes whose consent is kept as the version of their wording (or NULL).
OPTIONAL_CONSENTS = ("contact_consent", "checkin_consent", "news_consent")
#: A campaign's statuses: before ``opens``, signing, paused by the operator, and after ``closes`` (or
#: closed by the operator).
STATUSES = ("upcoming", "open", "paused", "closed")
#: The widget counts down the days to ``closes`` during this last stretch.
COUNTDOWN_SECONDS = 7 * 86400


class CampaignError(ValueError):
    """A campaigns file is malformed; the message lists every problem, one per line, each with the
    campaign, the key and the line of the file it is about."""


def auto_goal(total: int) -> int:
    """``goal = "auto"``: the first round step above ``total`` (100, 250, 500, 1,000, 2,500, 5,000,
    10,000, 25,000...): never a goal already reached."""
    scale = 100
    while True:
        for step in (1, 2.5, 5):
            if int(scale * step) > total:
                return int(scale * step)
        scale *= 10


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
    #: When signing opens and closes (seconds since the epoch); None: open from the start, never closes.
    #: ``closes`` is the one in force: the operator's ``campaign extend`` replaces the written one.
    opens: float | None = None
    closes: float | None = None
    #: ``goal = "auto"``: the goal shown is the next round step above the count (:func:`auto_goal`).
    auto_goal: bool = False
    #: Where it is written: ``builtin``, ``file`` (PLEDGE_CAMPAIGNS_FILE) or ``desk`` (the database).
    source: str = "file"
    #: The operator's hand on its life (kept in the database for every campaign): paused since, closed at.
    paused_at: float | None = None
    closed_at: float | None = None
    #: Check-ins (see :func:`widget.durations.checkin_times`): ISO 8601 durations after the confirmation; a
    #: duration that repeats after the last; ``"timetable"``: repeat until the end of the year the
    #: signatory's timetable names; how many in all otherwise.
    checkins: tuple[str, ...] = ()
    checkins_repeat: str | None = None
    checkins_until: str | None = None
    checkins_max: int = 3
    #: The widget says how many of its organisations report progress on their commitment.
    show_progress: bool = False

    @property
    def has_checkins(self) -> bool:
        """Whether signatories who agree are asked about their commitment later."""
        return bool(self.checkins)

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

    def goal_for(self, total: int) -> int | None:
        """The goal shown beside ``total``: the written one, the next round step (``auto``), or None."""
        return auto_goal(total) if self.auto_goal else self.goal

    def status(self, now: float | None = None) -> str:
        """One of :data:`STATUSES` at ``now`` (default: this moment), from the clock and the operator's hand."""
        now = time.time() if now is None else now
        if self.ended_at(now) is not None:
            return "closed"
        if self.paused_at is not None:
            return "paused"
        if self.opens is not None and now < self.opens:
            return "upcoming"
        return "open"

    def ended_at(self, now: float | None = None) -> float | None:
        """When signing ended (closed by the operator, or ``closes`` passed), or None while it has not."""
        now = time.time() if now is None else now
        ends = [moment for moment in (self.closed_at, self.closes) if moment is not None and moment <= now]
        return min(ends) if ends else None

    def days_left(self, now: float | None = None) -> int | None:
        """Whole UTC days to ``closes`` (0: it closes today) while the campaign is open and closes within
        :data:`COUNTDOWN_SECONDS`; else None."""
        now = time.time() if now is None else now
        if self.closes is None or self.status(now) != "open" or self.closes - now > COUNTDOWN_SECONDS:
            return None
        return (utc(self.closes).date() - utc(now).date()).days

    def next_change(self, now: float | None = None) -> float | None:
        """The next moment the clock alone changes what the widget shows (it opens, it closes, the countdown
        starts or moves to the next day), or None: pages may be kept until then, not longer."""
        now = time.time() if now is None else now
        moments = [m for m in (self.opens, self.closes) if m is not None and m > now]
        if self.closes is not None and self.closes > now:
            countdown = self.closes - COUNTDOWN_SECONDS
            if countdown > now:
                moments.append(countdown)
            else:
                moments.append(datetime.combine(utc(now).date() + timedelta(days=1), datetime.min.time(),
                                                tzinfo=utc(now).tzinfo).timestamp())
        return min(moments) if moments else None

    @property
    def available_languages(self) -> tuple[str, ...]:
        """The languages a visitor is offered: those the campaign has texts in (the built-in
        campaign, whose texts are in every catalogue, has them all)."""
        return tuple(lang for lang in LANGUAGES if lang in self.languages) if self.languages else LANGUAGES


# --- The schema of a campaigns file ------------------------------------------------------------------
#
# Declared once, here, so that the checks, the error messages and docs/campaigns.md agree on what a
# campaigns file may hold; everything not in it is a typo until proven otherwise.


@dataclass(frozen=True)
class ValueType:
    """What a key's value must be: a test, and the words a message uses for it."""

    name: str
    accepts: Callable[[Any], bool]
    #: For lists whose items come from a closed set: that set, and what one item is called.
    choices: tuple[str, ...] | None = None
    noun: str = "value"
    #: Messages name a wrong string by its text ("not 'next spring'"), not as "a string".
    quote_strings: bool = False
    #: How a message names a wrong value, when not as usual.
    describe: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class Key:
    """One allowed key of a table in the campaigns file."""

    type: ValueType
    meaning: str
    required: bool = False


def _is_int(value: Any) -> bool:
    # TOML's true/false arrive as Python bools, which are ints: a goal of `true` is a typo, not 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_list_of_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


TABLE = ValueType("a table", lambda v: isinstance(v, dict))
STRING = ValueType("a string", lambda v: isinstance(v, str))
STRING_OR_INT = ValueType("a string", lambda v: isinstance(v, str) or _is_int(v))
POSITIVE_INT = ValueType("a positive whole number", lambda v: _is_int(v) and v > 0)
STRINGS = ValueType("a list of strings", _is_list_of_strings)
FIELD_LIST = ValueType("a list of field names", _is_list_of_strings, choices=FIELD_NAMES, noun="field")
GOAL = ValueType('a positive whole number or "auto"', lambda v: (_is_int(v) and v > 0) or v == "auto",
                 quote_strings=True)


def _is_moment(value: Any) -> bool:
    try:
        parse_moment(value)
    except MomentError:
        return False
    return True


DURATIONS = ValueType("a list of ISO 8601 durations, such as [\"P6M\", \"P1Y\"]",
                      lambda v: isinstance(v, list) and all(is_duration(item) for item in v))
DURATION = ValueType("an ISO 8601 duration, such as \"P1Y\"", is_duration, quote_strings=True)
BOOLEAN = ValueType("true or false", lambda v: isinstance(v, bool))
UNTIL = ValueType('"timetable"', lambda v: v == "timetable", quote_strings=True)

MOMENT = ValueType("an ISO 8601 date and time in UTC, such as 2027-03-01T09:00:00Z", _is_moment,
                   describe=lambda value: _describe_moment(value))

#: The top level of the file.
FILE_KEYS: Mapping[str, Key] = {
    "campaigns": Key(TABLE, "one [campaigns.<slug>] table per campaign", required=True),
}
#: The keys of one ``[campaigns.<slug>]`` table.
CAMPAIGN_KEYS: Mapping[str, Key] = {
    "goal": Key(GOAL, "the number of sign-ons aimed at, or \"auto\" for the next round step above the count; "
                      "shows a progress bar (default: none)"),
    "opens": Key(MOMENT, "when signing opens (default: at once)"),
    "closes": Key(MOMENT, "when signing closes; after it the widget shows the final count (default: never)"),
    "default_lang": Key(STRING, "the language whose texts stand in for missing ones "
                                "(default: the first texts table)"),
    "consent_version": Key(STRING_OR_INT, "recorded with every consent; change it when the consent text "
                                          "changes (default: \"1\")"),
    "fields": Key(FIELD_LIST, "the fields the form shows, in the contract's order (default: all but website)"),
    "required": Key(FIELD_LIST, "the fields that must be filled in; email and consent always are "
                                "(default: name, email, consent)"),
    "org_types": Key(STRINGS, "the codes of the organisation types offered; needed when fields has org_type"),
    "checkins": Key(DURATIONS, "check-ins: ISO 8601 durations after the confirmation, one mail each to the "
                               "signatories who agreed (default: none)"),
    "checkins_repeat": Key(DURATION, "a duration that repeats after the last check-in (default: none)"),
    "checkins_until": Key(UNTIL, "\"timetable\": the repeats go on until the end of the year the signatory's "
                                 "timetable names (default: checkins_max check-ins in all)"),
    "checkins_max": Key(POSITIVE_INT, "how many check-ins in all when repeating, where no timetable year bounds "
                                      "them (default: 3)"),
    "show_progress": Key(BOOLEAN, "the widget shows how many organisations report progress (default: false)"),
    "texts": Key(TABLE, "one [campaigns.<slug>.texts.<lang>] table of texts per language", required=True),
}
#: The keys of one ``[campaigns.<slug>.texts.<lang>]`` table; ``<field>`` is a field name, ``<code>`` one
#: of the campaign's org_types. Every text is a string.
TEXT_KEYS: Mapping[str, str] = {
    "title": "the campaign's name: the widget's heading, the iframe's title, the e-mails' subject",
    "summary": "one sentence under the title",
    "declaration": "what is signed; blank lines separate paragraphs",
    "consent": "the consent checkbox's label",
    "contact_consent": "the label of the optional, separate box \"the host may contact me\"; %(site)s is the host site's name",
    "checkin_consent": "the label of the optional box \"ask us later how our commitment goes\" (shown with checkins)",
    "news_consent": "the label of the optional box \"send me news of the campaign\"",
    "help.<field>": "a hint under a field",
    "label.<field>": "a field's label, instead of the widget's own",
    "org_type.<code>": "the name shown for an organisation type",
    "ask.<code>.email_subject": "the subject of the e-mail a host sends to ask an organisation of this type to sign",
    "ask.<code>.email_body": "that e-mail's text; %(url)s is the host's sign-on page (added at the end when missing)",
    "ask.<code>.letter": "the printable letter's text to such an organisation, from its salutation to before its closing",
    "ask.resolution": "the model council resolution (for public_authority); %(title)s is the campaign's title",
}


def text_names(org_types: Sequence[str]) -> tuple[str, ...]:
    """Every text key a campaign with these org_types may use, the patterns spelt out."""
    names: list[str] = []
    for key in TEXT_KEYS:
        if "<field>" in key:
            names += [key.replace("<field>", name) for name in FIELD_NAMES]
        elif "<code>" in key:
            names += [key.replace("<code>", code) for code in org_types]
        else:
            names.append(key)
    return tuple(names)


# --- Loading -----------------------------------------------------------------------------------------


def load_file(path: str | Path, known_languages: tuple[str, ...]) -> dict[str, Campaign]:
    """Read a TOML campaigns file into ``{slug: Campaign}``.

    The file is checked against the schema above first; when anything is wrong, one
    :class:`CampaignError` lists every problem, one per line, each naming the campaign, the key and its
    line in the file, so that an operator fixes them all in one go.
    """
    try:
        text = Path(path).read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise CampaignError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise CampaignError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError(f"{path}: {exc}") from None
    problems = _Checker(str(path), _Lines(text), known_languages).check(data)
    if problems:
        raise CampaignError("\n".join(problems))
    return {slug: campaign_from_spec(slug, spec, "file") for slug, spec in data["campaigns"].items()}


def campaign_from_spec(slug: str, spec: Mapping[str, Any], source: str) -> Campaign:
    """The campaign of one ``[campaigns.<slug>]`` table (from the file, or the desk's copy of one), which
    :func:`check_spec` (or the file's check) has passed: no check here."""
    texts = spec["texts"]
    chosen = set(spec.get("fields", DEFAULT_FIELDS)) | ALWAYS_REQUIRED
    goal = spec.get("goal")
    return Campaign(
        slug=slug,
        goal=None if goal == "auto" else goal,
        auto_goal=goal == "auto",
        default_lang=spec.get("default_lang", next(iter(texts))),
        languages=tuple(texts),
        # Check-ins need a schedule: without one, nobody is offered the box.
        fields=tuple(name for name in FIELD_NAMES if name in chosen and (name != "checkin_consent" or spec.get("checkins"))),
        required=frozenset(spec.get("required", DEFAULT_REQUIRED)) | ALWAYS_REQUIRED,
        org_types=tuple(spec.get("org_types", ())),
        consent_version=str(spec.get("consent_version", "1")),
        texts={lang: _flatten(values) for lang, values in texts.items()},
        opens=parse_moment(spec["opens"]) if "opens" in spec else None,
        closes=parse_moment(spec["closes"]) if "closes" in spec else None,
        source=source,
        checkins=tuple(spec.get("checkins", ())),
        checkins_repeat=spec.get("checkins_repeat"),
        checkins_until=spec.get("checkins_until"),
        checkins_max=spec.get("checkins_max", 3),
        show_progress=spec.get("show_progress", False),
    )


@dataclass(frozen=True)
class Problem:
    """One problem :func:`check_spec` found: where (the path of the key, from the campaign's table), what
    kind (``code``, for a caller that words it its own way, or None), and the file's English message."""

    path: tuple[str, ...]
    code: str | None
    message: str


def check_spec(slug: str, spec: Mapping[str, Any], known_languages: tuple[str, ...] = LANGUAGES) -> list[Problem]:
    """Check one campaign as the campaigns file is checked (the desk's campaigns follow the same rules);
    return its problems, none when it is fine."""
    checker = _Checker("campaign", _Lines(""), known_languages)
    checker.check({"campaigns": {slug: dict(spec)}})
    return checker.found



def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    # TOML's dotted keys (org_type.company = "...") arrive as nested tables.
    out: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def _leaves(values: Mapping[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """``_flatten``'s keys as paths, with the raw values: the checker needs both to report a text."""
    out: list[tuple[tuple[str, ...], Any]] = []
    for key, value in values.items():
        if isinstance(value, dict):
            out += _leaves(value, path + (key,))
        else:
            out.append((path + (key,), value))
    return out


# --- Checking ----------------------------------------------------------------------------------------


class _Checker:
    """Walks a parsed campaigns file and collects one message per problem."""

    def __init__(self, name: str, lines: _Lines, known_languages: tuple[str, ...]):
        self.name = name
        self.lines = lines
        self.known_languages = known_languages
        self.problems: list[str] = []
        self.found: list[Problem] = []

    def report(self, message: str, at: tuple[str, ...] | None = None, campaign: str | None = None,
               code: str | None = None) -> None:
        line = self.lines.line(at) if at else None
        where = f"{self.name}, line {line}" if line else self.name
        who = f"campaign {campaign!r}: " if campaign is not None else ""
        self.problems.append(f"{where}: {who}{message}")
        self.found.append(Problem(tuple((at or ())[2:]), code, f"{who}{message}"))

    def check(self, data: dict[str, Any]) -> list[str]:
        missing = self.check_keys(data, FILE_KEYS, ())
        campaigns = data.get("campaigns")
        if "campaigns" in missing or (isinstance(campaigns, dict) and not campaigns):
            self.report("no campaign: add a [campaigns.<slug>] table")
        elif isinstance(campaigns, dict):
            for slug, spec in campaigns.items():
                if isinstance(spec, dict):
                    self.check_campaign(slug, spec)
                else:
                    self.report(f"must be a table ([campaigns.{slug}]), not {_describe(spec)}",
                                ("campaigns", slug), slug)
        return self.problems

    def check_keys(self, table: Mapping[str, Any], schema: Mapping[str, Key], path: tuple[str, ...],
                   campaign: str | None = None, within: str = "",
                   written: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
        """Report unknown keys and wrong types in ``table``; return the required keys it lacks.

        ``written`` maps a key to its path under ``path`` when the two differ (texts are checked as
        the widget reads them, "help.goal", but located as TOML wrote them: a table, a dotted key or
        one quoted key). A required key is not called missing when a misspelt key was just reported
        as probably meaning it: that is one typo, so one message.
        """
        meant: set[str] = set()
        for key, value in table.items():
            at = path + (written or {}).get(key, (key,))
            spec = schema.get(key)
            if spec is None:
                meant.add(self.unknown(key, value, list(schema), at, campaign, within))
            elif not spec.type.accepts(value):
                shown = (spec.type.describe(value) if spec.type.describe
                         else repr(value) if spec.type.quote_strings and isinstance(value, str) else _describe(value))
                self.report(f"{key!r}{within} must be {spec.type.name}, not {shown}", at, campaign, code="type")
            elif spec.type.choices is not None:
                for item in value:
                    if item not in spec.type.choices:
                        hint = _did_you_mean(item, spec.type.choices) or f" (one of: {', '.join(spec.type.choices)})"
                        self.report(f"unknown {spec.type.noun} {item!r} in {key!r}{hint}", at, campaign)
        return [key for key, spec in schema.items() if spec.required and key not in table and key not in meant]

    def unknown(self, key: str, value: Any, allowed: list[str], at: tuple[str, ...], campaign: str | None,
                within: str) -> str:
        """Report the unknown key at ``at``, as a [table] when that is how the file writes it; return
        the allowed key it probably means, or ''."""
        match = _closest(key, allowed)
        if isinstance(value, dict) and at in self.lines.tables:
            # `[campaign.school-gardens]` makes a table `campaign` that no header names: report the
            # headers the operator wrote, one per line to fix.
            written = [(name,) for name, sub in value.items()
                       if isinstance(sub, dict) and at + (name,) in self.lines.tables]
            for rest in written if written and at not in self.lines.headers else [()]:
                hint = f" (did you mean {_header(at[:-1] + (match,) + rest)}?)" if match else ""
                self.report(f"unknown table {_header(at + rest)}{hint}", at + rest, campaign)
        else:
            hint = f" (did you mean {match!r}?)" if match else ""
            self.report(f"unknown key {key!r}{within}{hint}", at, campaign)
        return match

    def check_campaign(self, slug: str, spec: dict[str, Any]) -> None:
        at = ("campaigns", slug)
        if not is_slug(slug):
            self.report("a slug is letters, digits, '-' and '_' (at most 64)", at, slug, code="slug")
        for key in self.check_keys(spec, CAMPAIGN_KEYS, at, slug):
            hint = f"[campaigns.{slug}.texts.<lang>] with {', '.join(REQUIRED_TEXTS[:-1])} and {REQUIRED_TEXTS[-1]}"
            self.report(f"missing key {key!r}" + (f" ({hint})" if key == "texts" else ""), None, slug)
        # The checks between keys compare values of the right type only: a wrong one was just
        # reported, and comparing it with the others would add noise, not information.
        ok = {key: value for key, value in spec.items()
              if key in CAMPAIGN_KEYS and CAMPAIGN_KEYS[key].type.accepts(value)}
        wrong = set(spec) & set(CAMPAIGN_KEYS) - set(ok)
        fields = set(ok.get("fields", DEFAULT_FIELDS)) | ALWAYS_REQUIRED
        if not wrong & {"fields", "required"}:
            required = set(ok.get("required", DEFAULT_REQUIRED)) | ALWAYS_REQUIRED
            for name in FIELD_NAMES:
                if name in required and name not in fields:
                    self.report(f"required field {name!r} is not in 'fields'", at + ("required",), slug,
                                code="required_not_shown")
        if not wrong & {"fields", "org_types"} and "org_type" in fields and not ok.get("org_types"):
            where = next((at + (key,) for key in ("org_types", "fields") if key in spec), None)
            default = "" if "fields" in spec else " (no 'fields' means every field)"
            self.report(f"the org_type field needs 'org_types', a list of codes{default}", where or at + ("org_types",),
                        slug, code="org_types_needed")
        if "opens" in ok and "closes" in ok and parse_moment(ok["closes"]) <= parse_moment(ok["opens"]):
            self.report("'closes' must come after 'opens'", at + ("closes",), slug, code="closes_before_opens")
        if "texts" in ok and "default_lang" not in wrong:
            self.check_texts(slug, ok["texts"], ok.get("default_lang"), ok.get("org_types", []))

    def check_texts(self, slug: str, texts: dict[str, Any], default_lang: str | None, org_types: list[str]) -> None:
        at = ("campaigns", slug, "texts")
        if not texts:
            self.report(f"'texts' has no language: add [campaigns.{slug}.texts.<lang>]", at, slug)
            return
        if default_lang is None:
            default_lang = next(iter(texts))
        elif default_lang not in texts:
            self.report(f"'default_lang' is {default_lang!r}, which has no [campaigns.{slug}.texts.{default_lang}] "
                        f"table (texts: {', '.join(texts)})", at[:-1] + ("default_lang",), slug, code="default_lang")
        for lang, values in texts.items():
            if lang not in self.known_languages:
                hint = _did_you_mean(lang, self.known_languages)
                self.report(f"language {lang!r} is not one of {', '.join(self.known_languages)}{hint}",
                            at + (lang,), slug)
            if not isinstance(values, dict):
                self.report(f"'texts.{lang}' must be a table of texts, not {_describe(values)}", at + (lang,), slug)
                continue
            leaves = _leaves(values)
            flat = {".".join(path): value for path, value in leaves}
            written = {".".join(path): path for path, _ in leaves}
            schema = {name: Key(STRING, "", required=lang == default_lang and name in REQUIRED_TEXTS)
                      for name in text_names(org_types)}
            for key in self.check_keys(flat, schema, at + (lang,), slug, f" in texts.{lang}", written):
                self.report(f"missing text {key!r} in texts.{lang}, the default language "
                            f"(it needs {', '.join(REQUIRED_TEXTS)})", at + (lang,), slug, code=f"missing_text:{key}")
            for key in REQUIRED_TEXTS:
                if lang == default_lang and flat.get(key) == "":
                    self.report(f"text {key!r} in texts.{lang}, the default language, is empty",
                                at + (lang,) + written[key], slug, code="empty_text")


def is_slug(slug: str) -> bool:
    """A campaign's slug: letters, digits, '-' and '_', at most 64 (it is part of addresses)."""
    return slug.replace("-", "").replace("_", "").isalnum() and len(slug) <= 64


def _closest(word: str, allowed: Sequence[str]) -> str:
    """The allowed word ``word`` is most likely a typo of, or '' when none is close enough to suggest."""
    return next(iter(difflib.get_close_matches(word, allowed, n=1)), "")


def _did_you_mean(word: str, allowed: Sequence[str]) -> str:
    match = _closest(word, allowed)
    return f" (did you mean {match!r}?)" if match else ""


def _describe(value: Any) -> str:
    """A value as an operator would recognise it in the file ("not a string", "not -5")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        odd = next((item for item in value if not isinstance(item, str)), None)
        return "a list of strings" if odd is None else f"a list holding {_describe(odd)}"
    # Dates and times: an unquoted 2026-11-01 is one, and was most likely meant as a string.
    return f"the date/time {value.isoformat()} (quote it to make it a string)"


def _describe_moment(value: Any) -> str:
    """A value that is no date-time, as the operator wrote it; a day alone says what it lacks."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"the day {value.isoformat()} (add its time: {value.isoformat()}T00:00:00Z is its start)"
    return repr(value) if isinstance(value, str) else _describe(value)


def _header(path: tuple[str, ...]) -> str:
    return "[" + ".".join(toml_key(part) for part in path) + "]"


def toml_key(part: str) -> str:
    """One part of a TOML key: bare when it may be, else quoted."""
    return part if re.fullmatch(_BARE, part) else json.dumps(part, ensure_ascii=False)


# --- Line numbers ------------------------------------------------------------------------------------
#
# tomllib returns plain dicts, without positions, and the standard library has no TOML parser that
# keeps them. So the text is scanned a second time, line by line, for what a message needs: the line
# of each [table] header and `key =`. The scan only has to be right for files tomllib accepted; where
# it finds nothing (keys inside inline tables, say), a message goes without a line rather than with a
# wrong one.

_BARE = r"[A-Za-z0-9_-]+"
_PART = rf"""(?:{_BARE}|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DOTTED = rf"{_PART}(?:[ \t]*\.[ \t]*{_PART})*"
_HEADER_LINE = re.compile(rf"[ \t]*\[\[?[ \t]*({_DOTTED})[ \t]*\]\]?[ \t]*(?:#.*)?")
_KEY_LINE = re.compile(rf"[ \t]*({_DOTTED})[ \t]*=")


class _Lines:
    """The line of every table header and key of a TOML text, by path (``("campaigns", "x", "goal")``)."""

    def __init__(self, text: str):
        self._written: dict[tuple[str, ...], int] = {}  # a header or `key =` names the path itself
        self._implied: dict[tuple[str, ...], int] = {}  # a longer path first names it ([a.b] implies a)
        self.headers: set[tuple[str, ...]] = set()  # paths written as [headers]
        self.tables: set[tuple[str, ...]] = set()  # those, and the tables they imply
        table: tuple[str, ...] = ()
        # A value may run over several lines (a """declaration""", a long list): its lines are not
        # headers nor keys, whatever they look like.
        state: tuple[str | None, int] = (None, 0)
        # Lines end at \n only, as in TOML: str.splitlines() also splits at characters (U+2028...)
        # that a TOML string may hold, and would shift every line number after them.
        for number, line in enumerate(text.split("\n"), start=1):
            line = line.removesuffix("\r")
            if state != (None, 0):
                state = _skip_value(line, *state)
            elif header := _HEADER_LINE.fullmatch(line):
                table = _key_parts(header[1])
                self._note(table, number)
                self.headers.add(table)
                self.tables.update(table[:n] for n in range(1, len(table) + 1))
            elif key := _KEY_LINE.match(line):
                self._note(table + _key_parts(key[1]), number)
                state = _skip_value(line[key.end():], None, 0)

    def _note(self, path: tuple[str, ...], number: int) -> None:
        # The first line wins: in a valid file a header or key appears once, and a table's first
        # mention is where an operator looks for it.
        self._written.setdefault(path, number)
        for n in range(1, len(path)):
            self._implied.setdefault(path[:n], number)

    def line(self, path: tuple[str, ...]) -> int | None:
        """The line where ``path`` is written, else where it is first implied, else None."""
        return self._written.get(path) or self._implied.get(path)


def _key_parts(dotted: str) -> tuple[str, ...]:
    # Quoted parts may hold escapes and dots ("help.goal"): let tomllib itself read each one.
    return tuple(part if re.fullmatch(_BARE, part) else tomllib.loads(f"k = {part}")["k"]
                 for part in re.findall(_PART, dotted))


def _skip_value(text: str, quotes: str | None, depth: int) -> tuple[str | None, int]:
    """Read (part of) a value; return whether it ends inside a multi-line string (its quotes) and how
    many brackets and braces are still open, i.e. whether the next line still belongs to it."""
    i = 0
    while i < len(text):
        if quotes:  # inside a multi-line string: look for its end only
            end = _end_of_string(text, i, quotes)
            if end < 0:
                return quotes, depth
            i, quotes = end, None
        elif text.startswith(('"""', "'''"), i):
            quotes = text[i:i + 3]
            i += 3
        elif text[i] in "\"'":  # one-line strings may hold brackets and #: step over them
            end = _end_of_string(text, i + 1, text[i])
            i = end if end >= 0 else len(text)
        elif text[i] == "#":
            break
        else:
            depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(text[i], 0)
            i += 1
    return quotes, depth


def _end_of_string(text: str, start: int, quotes: str) -> int:
    """The index just past the closing ``quotes`` at or after ``start``, or -1 when the line has none."""
    i = start
    while i < len(text):
        if text[i] == "\\" and quotes[0] == '"':  # only basic strings have escapes
            i += 2
        elif text.startswith(quotes, i):
            # """a "quote"""": up to two quotes just before the closing three belong to the string.
            extra = 0
            while len(quotes) == 3 and extra < 2 and text.startswith(quotes[0], i + 3 + extra):
                extra += 1
            return i + len(quotes) + extra
        else:
            i += 1
    return -1
