"""The count log, public: a campaign's entries in pages (``/api/v1/campaigns/<campaign>/log?after=N``) and its
last signed checkpoint (``/log/checkpoint``); JSON, readable from any origin, cacheable (the format:
docs/count-log.md)."""
from __future__ import annotations

import re

from flask import jsonify, request
from werkzeug.wrappers import Response

from ..appstate import state
from ..store.countlog import LOG_PAGE
from ..urls import links_base, public_url
from .blueprint import blueprint
from .json_errors import json_error
from .opendata import kept_json

#: ``after``: an entry's number (0: from the start).
AFTER = re.compile(r"[0-9]{1,15}")
#: A full page never changes: browsers and proxies may keep it an hour (the last page: PLEDGE_CACHE_SECONDS).
FULL_PAGE_MAX_AGE = 3600


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
    return kept_json(("count-log", links_base(), campaign, after), render, "")


@blueprint.get("/api/v1/campaigns/<campaign>/log/checkpoint", merge_slashes=False)
def count_log_checkpoint(campaign: str) -> Response:
    if campaign not in state().campaigns:
        return json_error(404, f"No campaign {campaign!r}.")

    def render() -> Response | None:
        checkpoint = state().store.latest_checkpoint(campaign)
        return None if checkpoint is None else jsonify(checkpoint.as_json())

    return kept_json(("count-log-checkpoint", campaign), render, f"No checkpoint of {campaign!r}'s log was signed yet.")
