"""The largest request body our routes read (``PLEDGE_MAX_REQUEST_BYTES``), however the body is sent.

A ``Content-Length`` over the limit is refused before anything is read. A body sent in chunks says no
length: it is read here, at most one byte more than the limit, and refused past it; a body within the
limit is kept for the form parser. Without this, a chunked body of any size was read whole into memory;
and Flask's ``MAX_CONTENT_LENGTH`` alone does not refuse a chunked form: Werkzeug stops reading at the
limit and parses what it read, a form cut short.
"""
from __future__ import annotations

from flask import abort, current_app, request


def limit_body() -> None:
    """Refuse (413) a body over ``PLEDGE_MAX_REQUEST_BYTES`` (or the app's smaller ``MAX_CONTENT_LENGTH``);
    to run before anything reads the body."""
    limit = min(current_app.config["PLEDGE_MAX_REQUEST_BYTES"], request.max_content_length or float("inf"))
    if request.content_length is not None:
        if request.content_length > limit:
            abort(413)
    elif "Transfer-Encoding" in request.headers:
        # One byte more than the limit tells a body over it from one that just fills it.
        request.max_content_length = int(limit) + 1
        if len(request.get_data(cache=True)) > limit:  # the form is then parsed from this copy
            abort(413)
