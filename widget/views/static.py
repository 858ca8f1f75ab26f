"""Our static files (the widget's script, the host pages' styles) and the loader: compressed once per
process (gzip, brotli), with strong ETags; static URLs carry a version (``?v=``), so a versioned address
may be kept for a year."""
from __future__ import annotations

import mimetypes

from flask import abort, request
from werkzeug.wrappers import Response

from ..assets import Asset, static_asset
from ..caching import asset_page, public_control
from ..appstate import state
from .blueprint import blueprint

#: A prepared file does not change while the process lives; the page cache may keep it this long.
ASSET_SECONDS = 3600
IMMUTABLE = "public, max-age=31536000, immutable"


def send_asset(key: tuple, asset: Asset, mimetype: str, cache_control: str, *headers: tuple[str, str]) -> Response:
    """``asset`` in the best coding the client takes, with its tag (304 when the client has it), from
    the page cache (where the fast path finds it next time)."""
    pages = state().pages
    page = pages.get(key)
    if page is None:
        if mimetype.startswith("text/"):
            mimetype += "; charset=utf-8"
        page = asset_page(asset, [("Content-Type", mimetype), ("Cache-Control", cache_control), *headers], ASSET_SECONDS)
        pages.put(key, page)
    return page.response()


@blueprint.get("/pledge-static/<path:filename>", endpoint="static")
def static_file(filename: str) -> Response:
    asset = static_asset(filename)
    if asset is None:
        abort(404)
    versioned = request.args.get("v") == asset.version  # this address, these bytes, for ever
    return send_asset(("static", filename, versioned), asset, mimetypes.guess_type(filename)[0] or "application/octet-stream",
                      IMMUTABLE if versioned else public_control(300))


@blueprint.url_defaults
def _versioned_static(endpoint: str, values: dict) -> None:
    if endpoint == "pledge.static" and "v" not in values:
        asset = static_asset(values.get("filename", ""))
        if asset is not None:
            values["v"] = asset.version
