"""The desk's campaigns: the list (status, dates, totals) with the life-cycle actions, and the editor of the
campaigns written in the desk, one language's texts at a time, with a live preview of the widget.

Thin views over :mod:`widget.campaign_actions` (the same code as ``pledge-widget campaign``, which records
the audit entries). Closing wants a fresh sign-in. A campaign from ``PLEDGE_CAMPAIGNS_FILE`` (or the built-in
one) is read-only here (its texts change in the file); its life is the operator's, here as on the command
line. The editor checks a campaign by the campaigns file's rules (:func:`widget.campaigns.check_spec`) and
says each problem by its field, in the admin's language; bad input changes nothing.
"""
from __future__ import annotations

import time
import unicodedata
from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from .. import campaign_actions, i18n
from ..appstate import state
from ..campaign_actions import CampaignActionError
from ..campaign_toml import campaign_texts, export_campaign
from ..campaigns import (ALWAYS_REQUIRED, CONSENT_TEXTS, FIELD_NAMES, OPT_IN_FIELDS, REQUIRED_TEXTS, TEXT_KEYS,
                         Problem, is_slug)
from ..forms import LABELS
from ..moments import MomentError, iso_moment, parse_moment
from ..store.sql import TOTAL
from ..views.common import content_security_policy, day_and_time
from ..views.widget import widget_preview
from .access import admin_page, admin_required, current_admin
from .blueprint import bp

STATUSES = {
    "upcoming": _l("Not open yet"),
    "open": _l("Open"),
    "paused": _l("Paused"),
    "closed": _l("Closed"),
}
SOURCES = {
    "builtin": _l("Built in"),
    "file": _l("Campaigns file"),
    "desk": _l("Written here"),
}
DONE = {
    "campaign.pause": _l("The campaign is paused: its widgets say signing resumes soon."),
    "campaign.resume": _l("The campaign is open again."),
    "campaign.close": _l("The campaign is closed: its widgets show the final count."),
    "campaign.extend": _l("The campaign’s closing time is set."),
    "saved": _l("The campaign is saved: its widgets show it now."),
    "unchanged": _l("Nothing changed: the campaign was already so."),
}
#: The actions' refusals, in the admin's words (CampaignActionError.code).
REFUSED = {
    "closed": _l("This campaign is closed: set a new closing time to open it again."),
    "past": _l("Please choose a moment to come."),
    "before_opens": _l("Please choose a moment after the campaign opens."),
    "moment": _l("Please give a date and a time."),
    "unknown": _l("There is no such campaign."),
}
#: The editor's words for each problem the campaigns file's checks find (Problem.code).
PROBLEMS = {
    "slug": _l("Use letters, digits, “-” and “_” only (at most 64)."),
    "slug_taken": _l("There is a campaign with this name already: choose another."),
    "goal": _l("Give a whole number above zero, or “auto”, or leave it empty."),
    "opens": _l("Please give a date and a time."),
    "closes": _l("Please give a date and a time."),
    "closes_before_opens": _l("The closing must come after the opening."),
    "required_not_shown": _l("A required field must be shown too."),
    "org_types_needed": _l("The type of organisation needs at least one type: add them here, or do not show that field."),
    "default_lang": _l("This language has no texts yet: write its title, declaration and consent first."),
    "missing_text": _l("This text is needed in the campaign’s main language."),
    "empty_text": _l("This text is needed in the campaign’s main language."),
    "checkins": _l("Give ISO 8601 durations such as P6M P1Y, separated by spaces."),
    "checkins_repeat": _l("Give one ISO 8601 duration such as P1Y, or leave it empty."),
    "checkins_max": _l("Give a whole number above zero, or leave it empty."),
}
#: How the editor names each text (an unknown key, added to the schema later, shows the schema's meaning).
TEXT_LABELS = {
    "title": _l("Title"),
    "summary": _l("Summary (one sentence under the title)"),
    "declaration": _l("The text signed (a blank line between paragraphs)"),
    "consent": _l("The consent box"),
    "contact_consent": _l("The optional box “the site may contact me” (%(site)s stands for the site’s name)"),
}
FIELD_LABELS = {**LABELS, "consent": _l("Consent"), "contact_consent": _l("Contact consent"),
                "checkin_consent": _l("Check-in consent"), "news_consent": _l("News consent")}
#: Texts written on several lines.
LONG_TEXTS = frozenset({"declaration", *CONSENT_TEXTS})
#: Field names of the texts outside the main ones: a hint and a label per field, a name per organisation type.
FIELD_TEXTS = ("help", "label")
EDITOR_CSP = content_security_policy(frame_src="'self'")


def _clean(value: str) -> str:
    """A text as typed: browsers send a textarea's new lines as CRLF; paragraphs are split on "\\n\\n"."""
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


# -- the list and the life-cycle actions ---------------------------------------------------------------


def _rows(now: float) -> list[dict[str, Any]]:
    pledge = state()
    totals = {slug: n for slug, key, n in pledge.store.all_counts() if key == TOTAL}
    rows = []
    for slug, campaign in sorted(pledge.campaigns.items()):
        total = totals.get(slug, 0)
        rows.append({"campaign": campaign, "status": campaign.status(now), "total": total,
                     "goal": campaign.goal_for(total), "ended_at": campaign.ended_at(now),
                     "closes": campaign.ended_at(now) or campaign.closes})
    return rows


def _list_page(status: int = 200, error: str | None = None, failed: str | None = None) -> Response:
    done = request.args.get("done")
    return admin_page("admin/campaigns.html", status, rows=_rows(time.time()), statuses=STATUSES, sources=SOURCES,
                      done=str(DONE[done]) if done in DONE else None, error=error, failed=failed,
                      when=day_and_time, iso=iso_moment, admin=current_admin())


@bp.get("/campaigns")
@admin_required
def campaigns() -> Response:
    """Every campaign: where it is written, its status, when it opens and closes, its total and goal."""
    return _list_page()


def _life_action(action: Any, *args: Any) -> Response:
    """Run one of widget.campaign_actions on the form's ``slug``; back to the list saying what it did, or
    the list again with the refusal by the campaign's row (400)."""
    slug = request.form.get("slug", "")
    try:
        change = action(slug, *args, current_admin())
    except CampaignActionError as exc:
        return _list_page(400, str(REFUSED.get(exc.code, exc)), slug)
    done = f"campaign.{action.__name__}" if change.changed else "unchanged"
    return redirect(url_for("admin.campaigns", done=done), code=303)


@bp.post("/campaigns/pause")
@admin_required
def campaigns_pause() -> Response:
    return _life_action(campaign_actions.pause)


@bp.post("/campaigns/resume")
@admin_required
def campaigns_resume() -> Response:
    return _life_action(campaign_actions.resume)


@bp.post("/campaigns/close")
@admin_required(fresh=True)
def campaigns_close() -> Response:
    return _life_action(campaign_actions.close)


@bp.post("/campaigns/extend")
@admin_required
def campaigns_extend() -> Response:
    try:
        moment = parse_moment(request.form.get("to", ""))
    except MomentError:
        return _list_page(400, str(REFUSED["moment"]), request.form.get("slug", ""))
    return _life_action(campaign_actions.extend, moment)


@bp.get("/campaigns/<slug>/export")
@admin_required
def campaign_export(slug: str) -> Response:
    """The campaign's TOML, as ``pledge-widget campaign export`` writes it, to download."""
    campaign = state().campaigns.get(slug)
    if campaign is None:
        abort(404)
    text = export_campaign(campaign, campaign_texts(campaign, i18n.speaking))
    response = current_app.response_class(text, mimetype="application/toml")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}.toml"'
    return response


# -- the editor --------------------------------------------------------------------------------------------


def _stored(slug: str) -> tuple[dict[str, Any], float]:
    """A desk campaign's table and when it was last saved; 404 for any other (the file's are read-only)."""
    store = state().store
    spec = store.desk_campaigns().get(slug)
    if spec is None:
        abort(404)
    return spec, store.desk_campaign_times()[slug][1]


def _text_keys(org_types: list[str]) -> tuple[list[str], list[str]]:
    """The texts the editor offers, in order: the main ones (every plain key of the schema), then a hint
    and a label per field and a name per organisation type."""
    main = [key for key in TEXT_KEYS if "<" not in key]
    fields = [f"{kind}.{name}" for kind in FIELD_TEXTS for name in FIELD_NAMES if name not in LONG_TEXTS]
    return main, fields + [f"org_type.{code}" for code in org_types]


def anchor(name: str) -> str:
    """The id of a form field's input: ``text.help.goal`` → ``text-help-goal`` (ids without dots)."""
    return name.replace(".", "-")


def text_label(key: str) -> str:
    kind, _dot, name = key.partition(".")
    if key in TEXT_LABELS:
        return str(TEXT_LABELS[key])
    if kind == "help":
        return _("Hint under “%(field)s”", field=FIELD_LABELS.get(name, name))
    if kind == "label":
        return _("Label of “%(field)s”, instead of the widget’s own", field=FIELD_LABELS.get(name, name))
    if kind == "org_type":
        return _("Name of the organisation type “%(code)s”", code=name)
    return TEXT_KEYS.get(key, key)


#: The keys of a campaign's table the editor writes; any other (a key this editor does not know yet) is
#: kept as it was stored.
EDITED_KEYS = ("goal", "opens", "closes", "fields", "required", "org_types", "default_lang", "texts",
               "checkins", "checkins_repeat", "checkins_until", "checkins_max", "show_progress")
#: The check-in keys the form writes as typed (a wrong one is then said by its field, by the file's rules).
CHECKIN_KEYS = ("checkins", "checkins_repeat", "checkins_until", "checkins_max")


def _checkins_from_form(form: Any) -> dict[str, Any]:
    """The check-in keys and ``show_progress`` as the form says them: the durations separated by spaces or
    commas, the number as a number when it is one (else as typed, for the check to name it); empty is unset."""
    keys: dict[str, Any] = {}
    durations = form.get("checkins", "").replace(",", " ").split()
    if durations:
        keys["checkins"] = durations
    if form.get("checkins_repeat", "").strip():
        keys["checkins_repeat"] = form["checkins_repeat"].strip()
    if form.get("checkins_until") == "timetable":
        keys["checkins_until"] = "timetable"
    most = form.get("checkins_max", "").strip()
    if most:
        keys["checkins_max"] = int(most) if most.isascii() and most.isdigit() else most
    if form.get("show_progress") == "y":
        keys["show_progress"] = True
    return keys


def _spec_from_form(stored: dict[str, Any] | None, lang: str) -> dict[str, Any]:
    """The campaign's table as the form says it, the texts of ``lang`` replaced, the others kept."""
    form = request.form
    spec: dict[str, Any] = {key: value for key, value in (stored or {}).items() if key not in EDITED_KEYS}
    goal = form.get("goal", "").strip()
    if goal:
        spec["goal"] = int(goal) if goal.isascii() and goal.isdigit() else ("auto" if goal.lower() == "auto" else goal)
    for key in ("opens", "closes"):
        if form.get(key, "").strip():
            spec[key] = form[key].strip()
    shown = set(form.getlist("fields")) | ALWAYS_REQUIRED
    spec["fields"] = [name for name in FIELD_NAMES if name in shown]
    spec["required"] = [name for name in FIELD_NAMES if name in set(form.getlist("required")) | ALWAYS_REQUIRED]
    org_types = list(dict.fromkeys(line.strip() for line in form.get("org_types", "").splitlines() if line.strip()))
    if org_types:
        spec["org_types"] = org_types
    spec["default_lang"] = form.get("default_lang", "") or lang
    spec.update(_checkins_from_form(form))
    texts = {code: dict(values) for code, values in (stored or {}).get("texts", {}).items()}
    values = {}
    for name, value in form.items():
        key = name[len("text."):]
        if name.startswith("text.") and _clean(value) and (not key.startswith("org_type.")
                                                            or key[len("org_type."):] in org_types):
            values[key] = _clean(value)
    if values:
        texts[lang] = values
    else:
        texts.pop(lang, None)
    spec["texts"] = texts
    return spec


def _field_of(problem: Problem, lang: str) -> str | None:
    """The form field a problem is about, or None (then it is shown at the top)."""
    path, code = problem.path, problem.code or ""
    if code in ("slug", "slug_taken"):
        return "slug"
    if code == "org_types_needed":
        return "org_types"
    if code.startswith("missing_text:"):
        return f"text.{code.split(':', 1)[1]}" if path[1:2] == (lang,) else None
    if path[:1] == ("texts",) and path[1:2] == (lang,) and len(path) > 2:
        return "text." + ".".join(path[2:])
    if path[:1] and path[0] in ("goal", "opens", "closes", "required", "default_lang", *CHECKIN_KEYS):
        return path[0]
    return None


def _message(problem: Problem, field: str | None) -> str:
    code = (problem.code or "").split(":")[0]
    if code == "type" and field in PROBLEMS:
        return str(PROBLEMS[field])
    return str(PROBLEMS[code]) if code in PROBLEMS else problem.message


def _editor(slug: str | None, spec: dict[str, Any], lang: str, status: int = 200,
            problems: list[Problem] | None = None, updated_at: float | None = None, error: str | None = None) -> Response:
    """The editor's page: the campaign's settings, the texts of ``lang``, the other languages, the preview."""
    errors: dict[str, str] = {}
    general: list[str] = [error] if error else []
    for problem in problems or []:
        field = _field_of(problem, lang)
        if field is None:
            general.append(_message(problem, None))
        else:
            errors.setdefault(field, _message(problem, field))
    texts = spec.get("texts", {})
    default = spec.get("default_lang") or lang
    missing = {code: [key for key in REQUIRED_TEXTS + ("summary",) if texts.get(default, {}).get(key)
                      and not texts.get(code, {}).get(key)]
               for code in i18n.LANGUAGES if code != default and code in texts}
    main, more = _text_keys(spec.get("org_types", []))
    response = admin_page(
        "admin/campaign_edit.html", status, slug=slug, spec=spec, texts_lang=lang, default_lang=default,
        edited=texts.get(lang, {}), errors=errors, general=general, updated_at=updated_at,
        main_texts=main, more_texts=more, text_label=text_label, long_texts=LONG_TEXTS,
        more_open=any(name.startswith(("text.help.", "text.label.", "text.org_type.")) for name in errors),
        durations=" ".join(spec.get("checkins", [])) if isinstance(spec.get("checkins"), list) else spec.get("checkins", ""),
        anchor=anchor, updated_at_text=repr(updated_at) if updated_at is not None else "",
        field_names=FIELD_NAMES, field_labels=FIELD_LABELS, always=ALWAYS_REQUIRED,
        never_required=[name for name in CONSENT_TEXTS if name not in ALWAYS_REQUIRED],
        without_texts=", ".join(i18n.autonym(code) for code in i18n.LANGUAGES if code not in texts),
        missing=[(i18n.autonym(code), ", ".join(text_label(key) for key in keys)) for code, keys in missing.items() if keys],
        languages=i18n.LANGUAGES, direction=i18n.direction, when=iso_input, admin=current_admin(),
        done=str(DONE["saved"]) if request.method == "GET" and request.args.get("done") == "saved" else None,
    )
    response.headers["Content-Security-Policy"] = EDITOR_CSP  # it frames its own preview
    return response


def iso_input(value: str | None) -> str:
    """A written moment as a ``datetime-local`` field shows it (UTC, to the minute); as typed if it does
    not parse (the field then says what is wrong)."""
    if not value:
        return ""
    try:
        return (iso_moment(parse_moment(value)) or "")[:16]
    except MomentError:
        return value


def _lang() -> str:
    return i18n.normalise(request.values.get("lang_edited") or request.args.get("texts")) or "en"


@bp.route("/campaigns/new", methods=["GET", "POST"])
@admin_required
def campaign_new() -> Response:
    """A new campaign, its main language's texts first (the other languages once it is saved)."""
    if request.method == "GET":
        lang = _lang()
        # A start that passes the checks once its texts are written (the type of organisation wants its
        # list of types: shown once the operator ticks it and lists them).
        shown = [name for name in FIELD_NAMES if name != "org_type" and name not in OPT_IN_FIELDS]
        return _editor(None, {"default_lang": lang, "fields": shown,
                              "required": ["name", "email", "organization", "consent"]}, lang)
    slug = request.form.get("slug", "").strip()
    lang = i18n.normalise(request.form.get("default_lang")) or "en"
    spec = _spec_from_form(None, lang)
    campaign, problems = campaign_actions.save_campaign(slug, spec, current_admin(), create=True)
    if campaign is None:
        return _editor(slug, spec, lang, 400, problems)
    return redirect(url_for("admin.campaign_edit", slug=slug, texts=lang, done="saved"), code=303)


@bp.route("/campaigns/<slug>/edit", methods=["GET", "POST"])
@admin_required
def campaign_edit(slug: str) -> Response:
    """A campaign written in the desk: its settings and the texts of one language (``?texts=xx``)."""
    stored, updated_at = _stored(slug)
    lang = _lang()
    if request.method == "GET":
        return _editor(slug, stored, lang, updated_at=updated_at)
    spec = _spec_from_form(stored, lang)
    try:
        expected = float(request.form.get("updated_at", ""))
    except ValueError:
        expected = None
    try:
        campaign, problems = campaign_actions.save_campaign(slug, spec, current_admin(), create=False,
                                                            expected=expected)
    except CampaignActionError:  # saved by someone else since this page was drawn: theirs is kept
        return _editor(slug, spec, lang, 409, updated_at=updated_at,
                       error=_("Someone saved this campaign while you were editing it: copy what you wrote, "
                               "reload the page and write it again."))
    if campaign is None:
        return _editor(slug, spec, lang, 400, problems, updated_at=updated_at)
    return redirect(url_for("admin.campaign_edit", slug=slug, texts=lang, done="saved"), code=303)


@bp.post("/campaigns/preview")
@admin_required
def campaign_preview() -> Response:
    """The widget as the editor's unsaved form would show it, in the language being edited (framed by the
    editor, and by nothing else)."""
    slug = request.form.get("slug", "").strip()
    stored = state().store.desk_campaigns().get(slug) if slug else None
    lang = _lang()
    campaign = campaign_actions.preview_campaign(slug if is_slug(slug) else "preview", _spec_from_form(stored, lang))
    if campaign is None:
        response = admin_page("admin/campaign_preview.html")
        response.headers["Content-Security-Policy"] = content_security_policy("'self'")
    else:  # the widget page's own policy, framed by 'self' (a stand-in site has no origins)
        response = widget_preview(campaign, lang, _("Your site"))
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
