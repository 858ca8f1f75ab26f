"""Progress in public: ``/c/<campaign>/progress`` and its JSON, cached like the other public reads; no name
and no address, only organisations, countries, types and approved updates."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import abort, current_app, jsonify, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from .. import checkins, i18n
from ..appstate import state
from ..countries import name as country_name
from ..chart import bar_chart, daily_series
from ..world_map import levels, world_map
from .blueprint import blueprint
from .common import current_language, number, pledge_day_of, render_page, signatures
from .json_errors import json_error
from .signatories import _kept, known_campaign


@blueprint.get("/c/<campaign>/progress", merge_slashes=False)
def progress_page(campaign: str) -> Response:
    found = known_campaign(campaign)
    if found is None:
        abort(404)
    lang = current_language(found)
    by_query = i18n.pick(request.args.get("lang"), request.args.get("hl"), allowed=found.available_languages)

    def render() -> Response:
        figures = checkins.summary(found.slug)
        today = datetime.now(timezone.utc).date()
        series = daily_series([(row["day"], row["reported"]) for row in figures["over_time"]],
                              checkins.PROGRESS_DAYS, today)
        with i18n.speaking(lang):  # the chart's words and the campaign's names of types in the page's language
            chart = bar_chart(series, _("Organisations reporting for the first time, per day"),
                              lambda day, n: f"{pledge_day_of(day)}: {number(n)}", "progress-chart")
            rows = {"status_rows": [(str(checkins.STATUS_LABELS[status]), n) for status, n in figures["by_status"].items()],
                    "country_rows": [(country_name(code, lang), n) for code, n in figures["by_country"].items()],
                    "type_rows": [(found.text(f"org_type.{code}", code), n) for code, n in figures["by_type"].items()]}
            rows.update(_map(found.slug, figures["by_country"], lang))
        body, status = render_page("progress_public.html", lang, campaign=found, figures=figures, chart=chart,
                                   days=[(date.fromisoformat(row["day"]), row["reported"])
                                         for row in figures["over_time"]],
                                   **rows)
        return current_app.make_response((body, status))

    key = ("progress", found.slug, lang, by_query or "")
    return _kept(key, render, vary="" if by_query else "Accept-Language")


def _map(slug: str, reported: dict[str, int], lang: str) -> dict[str, Any]:
    """The world map of signatories and reports by country, its key, and the same figures as table rows
    (in the current language)."""
    signed = {code: n for code, n in state().store.campaign_breakdown(slug)["by_country"].items() if code}
    figures = {code: (signed.get(code, 0), reported.get(code, 0)) for code in {*signed, *reported}}

    def label(code: str, signatories: int, reports: int) -> str:
        return f"{country_name(code, lang)}: {signatures(signatories)}; " + ngettext(
            "%(num)s organisation has reported progress", "%(num)s organisations have reported progress", reports)

    peak = max((n for n, _reports in figures.values()), default=0)
    return {
        "world_map": world_map(figures, _("Signatories and progress reports by country"), label, "world-map-title"),
        "map_levels": levels(peak),
        "map_rows": sorted(((country_name(code, lang), n, reports) for code, (n, reports) in figures.items()),
                           key=lambda row: (-row[1], -row[2], row[0])),
    }


@blueprint.get("/api/v1/campaigns/<campaign>/progress", merge_slashes=False)
def api_progress(campaign: str) -> Response:
    found = known_campaign(campaign)
    if found is None:
        return json_error(404, f"No campaign {campaign!r}.")

    def render() -> Response:
        response = jsonify(checkins.summary(found.slug))
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    return _kept(("api-progress", found.slug), render)
