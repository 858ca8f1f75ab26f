"""The snippet builder: a host picks the widget's options, sees the widget as its pages will show it, and
copies the two lines to paste. A GET form: it works without JavaScript ("Update"); with it, the code and
the preview follow each change (widget/static/builder.js asks this same page again)."""
from __future__ import annotations

import math
from typing import Any, Iterable
from urllib.parse import urlsplit

from flask import request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from .. import i18n
from ..badge import badge_snippets
from ..campaigns import Campaign
from ..snippet import (DEFAULT_ACCENT, MIN_CONTRAST, contrast_ratio, frame_snippet, hex_colour, link_snippet,
                       loader_query, snippet)
from ..origins import ANY_ORIGIN
from ..store import Site
from ..utm import UTM_MAX, utm_value
from ..urls import public_base_url
from .blueprint import bp
from ..views.common import content_security_policy, current_language
from ..views.front import loader_integrity
from .access import host_page, own_site
from ..whole_numbers import whole_number

#: The modes the builder offers (data-mode), the first being the widget's default.
MODES = (
    ("form", _l("The whole form")),
    ("button", _l("A “Sign” button that opens the form")),
    ("counter", _l("The count and its progress bar, with a link to the form")),
    ("list", _l("The latest signatories, with a link to the whole list")),
)
#: data-scope of the list mode, the first being the widget's default.
SCOPES = (
    ("site", _l("Those who signed through this site")),
    ("campaign", _l("Everyone who signed the campaign")),
)
#: data-theme, the first being the widget's default.
THEMES = (
    ("light", _l("Light")),
    ("dark", _l("Dark")),
    ("auto", _l("Follow the visitor’s setting")),
)
#: Which loader the script snippet loads, the first being the default.
LOADERS = (
    ("latest", _l("The latest loader: it gets every fix")),
    ("pinned", _l("This version of the loader, checked by the browser: best for pages left for years")),
)
MAX_MIN_COUNT = 10_000_000
#: The source codes the builder writes into the script and frame snippets (widget.utm.UTM_FIELDS), with the
#: labels of their fields.
UTM_LABELS = (("utm_source", _l("Source")), ("utm_medium", _l("Medium")), ("utm_campaign", _l("Campaign")))

#: Where a host's site is built (``platform``), the first being the default, and for each: the snippet it
#: takes (``script``, ``frame`` or ``link``), whether the builder frames pasted code at addresses of its own
#: (then only the origin line ``*`` lets the widget show), and where to paste it. Product names are names in
#: every language, so they are not messages to translate.
PLATFORMS = (
    ("html", _l("Plain HTML, or another tool"), "script", False,
     _l("Paste the script snippet where the widget should appear. If the page or its editor allows no script, "
        "paste the frame snippet.")),
    ("wordpress", "WordPress", "script", False,
     _l("Install the “Pledge widget” plugin and add its block, or its shortcode [pledge_widget key=\"%(key)s\"]. "
        "Without the plugin, an administrator may paste the script snippet in a “Custom HTML” block; other "
        "authors and WordPress.com sites paste the plain link.")),
    ("drupal", "Drupal", "script", False,
     _l("Paste the script snippet in a block or a body whose text format is “Full HTML”. The “Basic HTML” and "
        "“Restricted HTML” formats remove scripts and frames: use the plain link there.")),
    ("joomla", "Joomla", "script", False,
     _l("Paste the script snippet in a “Custom” module, or in an article with the editor set to “None”. If "
        "Joomla’s text filters remove it, paste the frame snippet.")),
    ("wix", "Wix", "frame", True,
     _l("Add “Embed Code”, then “Embed HTML”, choose “Code” and paste the frame snippet.")),
    ("squarespace", "Squarespace", "script", False,
     _l("Add a “Code” block and paste the script snippet. On a plan that allows no script, paste the frame snippet.")),
    ("google_sites", "Google Sites", "frame", True,
     _l("Choose Insert, then “Embed”, then “Embed code”, and paste the frame snippet.")),
)
#: What each kind of snippet is called in the instructions.
SNIPPET_NAMES = {"script": _l("The script snippet"), "frame": _l("The frame snippet"), "link": _l("The plain link")}

#: What the choice of the widget's language means (under the builder's field and the new-site form's).
WIDGET_LANGUAGE_HELP = _l("Recommended: each visitor gets the language of the page the widget is on, else their "
                          "browser’s. Choose one only if the widget must always speak it, whatever the page and the visitor.")


def widget_language_choices(languages: Iterable[str]) -> dict[str | None, list[tuple]]:
    """The choices of a widget's language (the builder's, and the new-site form's ``lang``): following the
    page and the visitor first, the default, since a snippet's data-lang shows one language to every
    visitor of every page; then each language as an explicit choice, named in itself."""
    return {None: [("", _("Follow the page and the visitor (recommended)"))],
            _("Always show in"): [(code, i18n.autonym(code), {"lang": code}) for code in languages]}


# The builder page frames its own preview, and asks itself for the new code as options change (every page's
# policy has connect-src 'self').
BUILDER_CSP = content_security_policy(frame_src="'self'")


def _ratio(value: float) -> str:
    """A contrast ratio for people: 4.47, never rounded up to the minimum it fails (4.499 is not 4.5)."""
    return format_decimal(math.floor(value * 100) / 100, format="0.##")


def read_options(site: Site, campaign: Campaign) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The snippet's options from the builder's query, the values to show in its fields, and the errors.

    Options equal to the widget's defaults are left out of the snippet; a bad value is named in
    ``errors`` and left out too, so the snippet below always works.
    """
    args = request.args
    modes, themes = [m for m, _label in MODES], [t for t, _label in THEMES]
    mode = args.get("mode") if args.get("mode") in modes else modes[0]
    # "lang" is the page's own language (?lang=ar shows the builder in Arabic): the widget's is "snippet_lang".
    if "snippet_lang" in args:
        lang = i18n.normalise(args.get("snippet_lang"), campaign.available_languages) or ""
    else:
        lang = site.lang if site.lang in campaign.available_languages else ""
    theme = args.get("theme") if args.get("theme") in themes else themes[0]
    scopes = [s for s, _label in SCOPES]
    scope = args.get("scope") if args.get("scope") in scopes else scopes[0]
    errors: dict[str, str] = {}

    min_text = args.get("min", "").strip()[:20]
    min_count = None
    if min_text:
        chosen = whole_number(min_text, high=MAX_MIN_COUNT)
        if chosen is not None:
            min_count = chosen or None  # 0: always show the count, as without the option
        else:
            errors["min"] = _("Please give a whole number of signatures between 0 and %(max)s, or leave the field empty.",
                              max=format_decimal(MAX_MIN_COUNT))

    accent = hex_colour(args.get("accent")) or DEFAULT_ACCENT
    if "accent" in args and hex_colour(args.get("accent")) is None:
        errors["accent"] = _("Please choose a colour.")
    ratio = contrast_ratio(accent)
    if ratio < MIN_CONTRAST:
        errors["accent"] = _(
            "This colour is too pale: its contrast ratio with white is %(ratio)s:1, and it needs at least "
            "%(minimum)s:1 for the text on it to stay readable. The snippet is built without it.",
            ratio=_ratio(ratio), minimum=_ratio(MIN_CONTRAST),
        )
    options = {
        "mode": None if mode == modes[0] else mode,
        "lang": lang or None,
        "theme": None if theme == themes[0] else theme,
        "min_count": min_count,
        "accent": None if "accent" in errors or accent == DEFAULT_ACCENT else accent,
        # Only the list mode reads it: the other modes' snippets stay as short as they were.
        "scope": scope if mode == "list" and scope != scopes[0] else None,
    }
    loaders = [name for name, _label in LOADERS]
    loader = args.get("loader") if args.get("loader") in loaders else loaders[0]
    platforms = [name for name, *_rest in PLATFORMS]
    platform = args.get("platform") if args.get("platform") in platforms else platforms[0]
    fields = {"mode": mode, "snippet_lang": lang, "theme": theme, "min": min_text, "accent": accent, "scope": scope,
              "loader": loader, "platform": platform}
    return options, fields, errors


def read_utm() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The source codes from the builder's query (``utm_source``...): the valid ones for the snippets, the
    values to show in their fields, and the errors. A code :func:`widget.utm.utm_value` would drop (too long,
    a control or invisible character) is named and left out, as the widget would drop it."""
    codes: dict[str, str] = {}
    fields: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, _label in UTM_LABELS:
        given = request.args.get(name, "")
        fields[name] = given[: UTM_MAX * 4]  # enough to see what was wrong; the page stays small
        if not given.strip():
            continue
        code = utm_value(given)
        if code is None:
            errors[name] = _("Please give at most %(max)s characters, with no line breaks or invisible characters.",
                             max=UTM_MAX)
        else:
            codes[name] = code
    return codes, fields, errors


@bp.get("/sites/<site_key>/snippet", endpoint="snippet")
def host_snippet(site_key: str) -> Response:
    email, site, campaign = own_site(site_key)
    options, fields, errors = read_options(site, campaign)
    utm, utm_fields, utm_errors = read_utm()
    fields.update(utm_fields)
    errors.update(utm_errors)
    # The link's text (also the iframe's title): the campaign's title in the widget's language.
    # Without a language of its own, the link is written in the host's (this page's), if the campaign has it.
    with i18n.speaking(options["lang"] or site.lang or current_language(campaign)):
        title = campaign.text("title")
    base = public_base_url()
    base_origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    page_lang = current_language()
    # The preview: the very query the loader sends from a page of this language and origin.
    preview = url_for("pledge.widget", site_key=site.key,
                      **loader_query(options), hl=page_lang, origin=request.host_url.rstrip("/"))
    badge_html, badge_markdown = badge_snippets(base, site.key, title, options["lang"])
    platform = next(p for p in PLATFORMS if p[0] == fields["platform"])
    response = host_page(
        "host/snippet.html", badge_html=badge_html, badge_markdown=badge_markdown,
        email=email, site=site, campaign=campaign, fields=fields, errors=errors,
        modes=MODES, themes=THEMES, scopes=SCOPES, loaders=LOADERS,
        snippet_languages=widget_language_choices(campaign.available_languages),
        code=snippet(base, site.key, title, **options, utm=utm,
                     integrity=loader_integrity() if fields["loader"] == "pinned" else None),
        frame_code=frame_snippet(base, site.key, title, **options, utm=utm), utm_labels=UTM_LABELS,
        link_code=link_snippet(base, site.key, title, options["lang"]),
        platforms=PLATFORMS, platform=platform, snippet_names=SNIPPET_NAMES, any_origin=ANY_ORIGIN,
        title=title, preview_url=preview,
        base_origin=base_origin, page_lang=i18n.normalise(request.args.get("lang")), min_contrast=_ratio(MIN_CONTRAST),
        max_min_count=MAX_MIN_COUNT, language_help=WIDGET_LANGUAGE_HELP,
    )
    response.headers["Content-Security-Policy"] = BUILDER_CSP
    return response
