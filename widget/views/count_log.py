"""The count log, public: a campaign's entries in pages (``/api/v1/campaigns/<campaign>/log?after=N``) and its
last signed checkpoint (``/log/checkpoint``); JSON, readable from any origin, cacheable (the format:
docs/count-log.md)."""
from __future__ import annotations

import re

from typing import Callable

from flask import current_app, jsonify, request
from werkzeug.wrappers import Response

from ..appstate import state
from ..caching import keep, public
from ..store.countlog import LOG_PAGE
from ..urls import links_base, public_url
from .blueprint import blueprint
from .json_errors import json_error

#: ``after``: an entry's number (0: from the start).
AFTER = re.compile(r"[0-9]{1,15}")
#: A full page never changes: browsers and proxies may keep it an hour (the last page: PLEDGE_CACHE_SECONDS).
FULL_PAGE_MAX_AGE = 3600


def _kept(key: tuple, render: Callable[[], tuple[Response, int | None] | None], missing: str = "") -> Response:
    """A public answer kept by this process (and browsers and proxies) for the ``max_age`` its render says
    (None: ``PLEDGE_CACHE_SECONDS``), as the other public reads are; CORS ``*``. A render of None: a 404 saying
    ``missing``, not kept."""
    pledge = state()
    page = pledge.pages.get(key)
    if page is None:
        rendered = render()
        if rendered is None:
            return json_error(404, missing)
        response, max_age = rendered
        response.headers["Access-Control-Allow-Origin"] = "*"
        seconds = current_app.config["PLEDGE_CACHE_SECONDS"]
        page = keep(public(response, max_age), max_age if seconds and max_age is not None else seconds)
        pledge.pages.put(key, page)
    return page.response()


@blueprint.get("/api/v1/campaigns/<campaign>/log", merge_slashes=False)
def count_log(campaign: str) -> Response:
    after_text = request.args.get("after", "0")
    if not AFTER.fullmatch(after_text):
        return json_error(400, "after must be an entry number (0 or more).")
    after = int(after_text)
    if campaign not in state().campaigns:
        return json_error(404, f"No campaign {campaign!r}.")

    def render() -> tuple[Response, int | None]:
        entries = state().store.count_log_page(campaign, after, LOG_PAGE)
        full = len(entries) == LOG_PAGE  # a full page never changes: kept longer
        following = public_url("pledge.count_log", campaign=campaign, after=str(entries[-1].seq)) if full else None
        body = {"campaign": campaign, "entries": [entry.as_json() for entry in entries], "next": following}
        return jsonify(body), FULL_PAGE_MAX_AGE if full else None

    # The base of its absolute `next` link too: one host's copy is never another's.
    return _kept(("count-log", links_base(), campaign, after), render)


@blueprint.get("/api/v1/campaigns/<campaign>/log/checkpoint", merge_slashes=False)
def count_log_checkpoint(campaign: str) -> Response:
    if campaign not in state().campaigns:
        return json_error(404, f"No campaign {campaign!r}.")

    def render() -> tuple[Response, None] | None:
        checkpoint = state().store.latest_checkpoint(campaign)
        return None if checkpoint is None else (jsonify(checkpoint.as_json()), None)

    return _kept(("count-log-checkpoint", campaign), render, f"No checkpoint of {campaign!r}'s log was signed yet.")
