"""Our static files (the widget's script, the host pages' styles), compressed once per process, with
strong ETags; their URLs carry a version (``?v=``), so a versioned address may be kept for a year."""
from __future__ import annotations

import mimetypes

from flask import abort, current_app, request
from werkzeug.wrappers import Response

from ..assets import Asset, best_coding, static_asset
from ..caching import conditional, public
from . import blueprint


def send_asset(asset: Asset, mimetype: str) -> Response:
    """``asset`` in the best coding the client takes, with its tag (304 when the client has it)."""
    coding = best_coding(request.accept_encodings, asset)
    response = current_app.response_class(asset.body(coding), mimetype=mimetype)
    if coding:
        response.headers["Content-Encoding"] = coding
    response.headers["Vary"] = "Accept-Encoding"
    return conditional(response, asset.etag_for(coding))


@blueprint.get("/pledge-static/<path:filename>", endpoint="static")
def static_file(filename: str) -> Response:
    asset = static_asset(filename)
    if asset is None:
        abort(404)
    response = send_asset(asset, mimetypes.guess_type(filename)[0] or "application/octet-stream")
    if request.args.get("v") == asset.version:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # this address, these bytes
    else:
        public(response, 300)
    return response


@blueprint.url_defaults
def _versioned_static(endpoint: str, values: dict) -> None:
    if endpoint == "pledge.static" and "v" not in values:
        asset = static_asset(values.get("filename", ""))
        if asset is not None:
            values["v"] = asset.version
