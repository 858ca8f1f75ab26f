"""The public JSON API: a site's counts, readable from any origin. Every answer is JSON, errors included."""
from __future__ import annotations

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from ..caching import keep, public
from ..appstate import state
from ..campaigns import Campaign
from ..moments import iso_moment
from .blueprint import blueprint
from .json_errors import is_api_request, json_error
from .widget import fresh_seconds, public_site


def life_fields(campaign: Campaign, total: int) -> dict:
    """What the count and campaign APIs say of a campaign's life: its goal beside ``total``, its status,
    and when signing closes, or closed (ISO 8601 UTC; null when no end is set)."""
    return {"goal": campaign.goal_for(total), "status": campaign.status(),
            "closes": iso_moment(campaign.ended_at() or campaign.closes)}

@blueprint.get("/api/v1/sites/<site_key>/count", merge_slashes=False)
def site_count(site_key: str) -> Response:
    # Thousands of pages ask at once: one database read per process every PLEDGE_CACHE_SECONDS.
    pledge = state()
    key = ("count", site_key)
    page = pledge.pages.get(key)
    if page is None:
        found = public_site(site_key)
        if found is None:
            return json_error(404, f"No site with the key {site_key!r}.")
        site, campaign = found
        counts = pledge.store.counts(campaign.slug, site.key)
        response = jsonify({"campaign": campaign.slug, "site": counts.site, "total": counts.total,
                            **life_fields(campaign, counts.total)})
        response.headers["Access-Control-Allow-Origin"] = "*"
        seconds = fresh_seconds(campaign)
        page = keep(public(response, seconds), seconds)
        pledge.pages.put(key, page)
    return page.response()


def own_methods() -> list[str]:
    """The methods our own route at this address answers (the catch-all below left aside), for ``Allow``."""
    adapter = current_app.create_url_adapter(request)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _args = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != f"{blueprint.name}.api_unknown":
            allowed += ["GET", "HEAD"] if method == "GET" else [method]
    return allowed + ["OPTIONS"] if allowed else []


@blueprint.after_request
def api_allow(response: Response) -> Response:
    """Flask's automatic answer to OPTIONS would also list the catch-all's methods: only ours (RFC 9110)."""
    if request.method == "OPTIONS" and is_api_request() and request.endpoint != f"{blueprint.name}.api_unknown":
        response.headers["Allow"] = ", ".join(own_methods())
    return response


@blueprint.route("/api/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def api_unknown(rest: str) -> Response:
    """An address under /api/ that is no route of ours: a JSON 404 (or 405 for a route of ours asked
    with another method, with the methods it takes in ``Allow``), not the HTML page."""
    allowed = own_methods()
    if allowed:
        response = json_error(405, MethodNotAllowed.description)
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return json_error(404, NotFound.description)
