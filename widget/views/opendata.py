"""Open data, without personal data: a campaign's totals by country and by type, and confirmed sign-ons
per day of a campaign or of a site, as JSON and CSV (``daily.json``, ``daily.csv``); readable from any
origin, cacheable; and the OpenAPI document of every ``/api/v1`` route."""
from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from flask import current_app, jsonify, url_for
from werkzeug.wrappers import Response

from ..caching import keep, public
from ..appstate import state
from ..export import csv_cell
from ..store.sql import TOTAL
from .blueprint import blueprint
from .json_errors import json_error
from .api import life_fields
from .widget import fresh_seconds, public_site

#: Daily series change once a day at most that matters: browsers and proxies may keep them 5 minutes.
DAILY_MAX_AGE = 300
OPENAPI = "openapi.yaml"


def kept_json(key: tuple, render: Callable[[], Response | tuple[Response, int | None] | None], missing: str,
              max_age: int | None = None) -> Response:
    """A public read kept by this process (and browsers and proxies) ``max_age`` seconds (None:
    ``PLEDGE_CACHE_SECONDS``), readable from any origin: what ``render`` returns, or a 404 saying ``missing``
    when it returns None. ``render`` may return ``(response, max_age)`` when its contents decide how long."""
    pledge = state()
    page = pledge.pages.get(key)
    if page is None:
        response = render()
        if response is None:
            return json_error(404, missing)
        if isinstance(response, tuple):  # e.g. a page of the count log that is full: it never changes
            response, max_age = response
        response.headers["Access-Control-Allow-Origin"] = "*"
        # Kept here as long as browsers and proxies may keep it (the daily series: 5 minutes, one count of
        # the campaign's rows per worker, not one every PLEDGE_CACHE_SECONDS); 0 keeps nothing.
        seconds = current_app.config["PLEDGE_CACHE_SECONDS"]
        page = keep(public(response, max_age), max_age if seconds and max_age is not None else seconds)
        pledge.pages.put(key, page)
    return page.response()


@blueprint.get("/api/v1/campaigns/<campaign>", merge_slashes=False)
def campaign_stats(campaign: str) -> Response:
    found = state().campaigns.get(campaign)

    def render() -> Response | None:
        if found is None:
            return None
        pledge = state()
        total = pledge.store.counts(campaign, TOTAL).total
        breakdown = pledge.store.campaign_breakdown(campaign)
        return jsonify({"campaign": campaign, "total": total, **life_fields(found, total),
                        "by_country": breakdown["by_country"], "by_org_type": breakdown["by_org_type"]})
    return kept_json(("stats", campaign), render, f"No campaign {campaign!r}.",
                   None if found is None else fresh_seconds(found))


def daily_response(rows: list[tuple[str, int]], fmt: str) -> Response:
    if fmt == "json":
        return jsonify([{"date": day, "confirmed": n} for day, n in rows])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("date", "confirmed"))
    writer.writerows((csv_cell(day), n) for day, n in rows)  # as every CSV of ours, though only dates and counts
    return current_app.response_class(out.getvalue(), mimetype="text/csv")


@blueprint.get("/api/v1/campaigns/<campaign>/daily.<any(json, csv):fmt>", merge_slashes=False)
def campaign_daily(campaign: str, fmt: str) -> Response:
    def render() -> Response | None:
        pledge = state()
        if campaign not in pledge.campaigns:
            return None
        return daily_response(pledge.store.daily_confirmed(campaign), fmt)
    return kept_json(("daily", "campaign", campaign, fmt), render, f"No campaign {campaign!r}.", DAILY_MAX_AGE)


@blueprint.get("/api/v1/sites/<site_key>/daily.<any(json, csv):fmt>", merge_slashes=False)
def site_daily(site_key: str, fmt: str) -> Response:
    def render() -> Response | None:
        found = public_site(site_key)
        if found is None:
            return None
        site, campaign = found
        return daily_response(state().store.daily_confirmed(campaign.slug, site.key), fmt)
    return kept_json(("daily", "site", site_key, fmt), render, f"No site with the key {site_key!r}.", DAILY_MAX_AGE)


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """docs/openapi.yaml, read once: installed as ``widget/docs/openapi.yaml`` (see setup.cfg), beside the
    package in a source checkout."""
    import yaml

    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "docs" / OPENAPI, package.parent / "docs" / OPENAPI):
        if candidate.is_file():
            return yaml.safe_load(candidate.read_text(encoding="utf-8"))
    raise FileNotFoundError(f"flask-pledge-widget is installed without its docs/{OPENAPI}")


@blueprint.get("/api/v1/openapi.json")
def openapi() -> Response:
    def render() -> Response:
        document = dict(openapi_document())
        # The paths are written from /api/v1: the server is wherever the blueprint is mounted.
        base = url_for("pledge.openapi").removesuffix("/api/v1/openapi.json")
        document["servers"] = [{"url": base or "/"}]
        return current_app.response_class(json.dumps(document, ensure_ascii=False), mimetype="application/json")
    return kept_json(("openapi",), render, "")
