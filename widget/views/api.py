"""The public JSON API: a site's counts, readable from any origin."""
from __future__ import annotations

from flask import jsonify
from werkzeug.wrappers import Response

from ..extension import state
from . import blueprint
from .widget import SITE_KEY


@blueprint.get("/api/v1/sites/<site_key>/count", merge_slashes=False)
def site_count(site_key: str) -> Response:
    pledge = state()
    site = pledge.store.get_site(site_key) if SITE_KEY.match(site_key) else None
    if site is None:
        response = jsonify({"error": "not_found", "message": f"No site with the key {site_key!r}."})
        response.status_code = 404
    else:
        campaign = pledge.campaign(site.campaign)
        counts = pledge.store.counts(campaign.slug, site.key)
        response = jsonify({"campaign": campaign.slug, "site": counts.site, "total": counts.total, "goal": campaign.goal})
        # A few seconds of caching spares the database when thousands of pages ask at once.
        response.headers["Cache-Control"] = "public, max-age=10"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
