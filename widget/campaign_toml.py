"""``campaign export``: a campaign written back as the ``[campaigns.<slug>]`` table of a campaigns file,
which :func:`widget.campaigns.load_file` reads back into the same campaign (the built-in one's texts as
each catalogue translates them; the closing time in force, an extension included)."""
from __future__ import annotations

import json
import re
from typing import Callable, Iterator

from .campaigns import FIELD_NAMES, Campaign, text_names, toml_key
from .i18n import LANGUAGES
from .moments import iso_moment

#: Control characters a TOML string must escape (tab and new line may stand in a multi-line one).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: multi-line (\"\"\"...\"\"\") when it has line breaks, so that a
    declaration stays readable in the file."""
    if "\n" not in text:
        return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04X}", json.dumps(text, ensure_ascii=False))
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"""\n' + _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04X}", body) + '"""'


def _value(value: object) -> str:
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def campaign_texts(campaign: Campaign, speaking: Callable[[str], object]) -> dict[str, dict[str, str]]:
    """``{lang: {key: text}}`` of a campaign. The built-in one is translated by each catalogue
    (``speaking(lang)`` is a context manager that makes ``lang`` current); a text equal to the default
    language's is left out, since it falls back to it anyway."""
    if campaign.translate is None:
        return {lang: dict(values) for lang, values in campaign.texts.items()}
    msgids = campaign.texts[campaign.default_lang]
    texts: dict[str, dict[str, str]] = {campaign.default_lang: dict(msgids)}
    for lang in LANGUAGES:
        if lang == campaign.default_lang:
            continue
        with speaking(lang):  # type: ignore[attr-defined]
            translated = {key: campaign.translate(msgid) for key, msgid in msgids.items()}
        texts[lang] = {key: text for key, text in translated.items() if text != msgids[key]}
    return texts


def export_campaign(campaign: Campaign, texts: dict[str, dict[str, str]]) -> str:
    """The TOML of one campaign (``texts`` as :func:`campaign_texts` gives them)."""
    return "".join(_lines(campaign, texts))


def _lines(campaign: Campaign, texts: dict[str, dict[str, str]]) -> Iterator[str]:
    slug = toml_key(campaign.slug)
    yield f"[campaigns.{slug}]\n"
    keys: dict[str, object] = {}
    if campaign.auto_goal or campaign.goal is not None:
        keys["goal"] = "auto" if campaign.auto_goal else campaign.goal
    keys["default_lang"] = campaign.default_lang
    keys["consent_version"] = campaign.consent_version
    keys["fields"] = list(campaign.fields)
    keys["required"] = [name for name in FIELD_NAMES if name in campaign.required]
    if campaign.org_types:
        keys["org_types"] = list(campaign.org_types)
    if campaign.checkins:
        keys["checkins"] = list(campaign.checkins)
        if campaign.checkins_repeat:
            keys["checkins_repeat"] = campaign.checkins_repeat
            keys["checkins_max"] = campaign.checkins_max
        if campaign.checkins_until:
            keys["checkins_until"] = campaign.checkins_until
    if campaign.show_progress:
        keys["show_progress"] = True
    for name, value in keys.items():
        yield f"{name} = {_value(value)}\n"
    # Unquoted: TOML's own date-times, which the file's loader reads as well as strings.
    for name, moment in (("opens", campaign.opens), ("closes", campaign.closes)):
        if moment is not None:
            yield f"{name} = {iso_moment(moment)}\n"
    # The default language first: the loader takes the first table as the default when none is named.
    for lang in sorted(texts, key=lambda code: (code != campaign.default_lang, LANGUAGES.index(code)
                                                if code in LANGUAGES else len(LANGUAGES))):
        values = {key: text for key, text in texts[lang].items() if text}
        if not values:
            continue
        yield f"\n[campaigns.{slug}.texts.{toml_key(lang)}]\n"
        order = {key: n for n, key in enumerate(text_names(campaign.org_types))}
        for key, text in sorted(values.items(), key=lambda item: order.get(item[0], len(order))):
            yield f"{toml_key(key)} = {toml_string(text)}\n"
