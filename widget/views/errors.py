"""Error pages in the visitor's language for what goes wrong inside our blueprint; JSON for the API."""
from __future__ import annotations

from flask import Blueprint, make_response
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.wrappers import Response

from ..appstate import state
from .blueprint import blueprint
from .json_errors import api_error, is_api_request
from .common import current_language, render_page

MESSAGES = {
    400: (_l("This request could not be understood"), _l("Please go back, reload the page and try again.")),
    405: (_l("This request could not be understood"), _l("Please go back, reload the page and try again.")),
    413: (_l("Too much text"), _l("Please shorten your answers and try again.")),
    429: (
        _l("Too many requests"),
        _l("You have sent too many requests in a short time. Please wait a few minutes and try again."),
    ),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Please try again in a few minutes.")),
}
MESSAGES[503] = MESSAGES[500]  # the database is out of reach for a moment: the same words, and Retry-After


def error_page(code: int) -> tuple[str, int]:
    """The error page for an HTTP status code we have words for."""
    heading, message = MESSAGES[code]
    return render_page("error.html", current_language(), code, heading=heading, message=message, campaign=None)


def error_answer(error: HTTPException) -> Response:
    """The answer to an HTTP error: our page in the visitor's language, JSON under ``/api/``. The standalone
    app also answers its routing errors (a 405 for a wrong method) with it."""
    if isinstance(getattr(error, "original_exception", None), state().store.Unavailable):
        error = ServiceUnavailable(retry_after=30)  # a database restart or fail-over: worth retrying soon
    if is_api_request():
        response = api_error(error)
    else:
        response = make_response(error_page(getattr(error, "code", None) or 500))
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    if getattr(error, "valid_methods", None):  # a 405 says which methods the address takes (RFC 9110)
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def not_found(error: Exception) -> tuple[str, int] | Response:
    """The 404 page in the visitor's language (JSON for the API); the standalone app uses it for every address."""
    if is_api_request():
        return api_error(error)
    body, status = render_page("not_found.html", current_language(), 404, campaign=None)
    return body, status


def serve_error_pages(bp: Blueprint) -> None:
    """Answer a blueprint's errors with our pages, in the visitor's language (JSON for the API)."""
    for code in MESSAGES:
        bp.register_error_handler(code, error_answer)
    bp.register_error_handler(404, not_found)


serve_error_pages(blueprint)
