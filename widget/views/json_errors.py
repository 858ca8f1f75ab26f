"""Errors of the JSON API as JSON: programs read a code, people a message; any origin may read them."""
from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from .blueprint import blueprint

#: Error codes of the API, for programs (the message is for the people reading their logs).
ERRORS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
          429: "too_many_requests", 500: "server_error", 501: "not_implemented"}


def is_api_request() -> bool:
    """True for a request under our /api/ (whatever prefix the blueprint is mounted under), or of oEmbed."""
    return request.blueprint == blueprint.name and request.url_rule is not None and (
        "/api/" in request.url_rule.rule or request.url_rule.endpoint == f"{blueprint.name}.oembed")


def json_error(status: int, message: str) -> Response:
    response = jsonify({"error": ERRORS.get(status, "error"), "message": message})
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def api_error(error: Exception) -> Response:
    """An HTTP error raised while answering an API request, as JSON."""
    if not isinstance(error, HTTPException):
        error = InternalServerError()
    return json_error(error.code or 500, error.description or "")
