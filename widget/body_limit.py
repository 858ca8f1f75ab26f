"""The largest request body our routes read (``PLEDGE_MAX_REQUEST_BYTES``), however the body is sent.

A ``Content-Length`` over the limit is refused before anything is read. A body sent in chunks says no
length: it is read here, at most the limit and one byte more, and refused past it; a body within the
limit is kept for the form parser. Without this, a chunked body of any size was read whole into memory.
"""
from __future__ import annotations

from flask import abort, current_app, request


def limit_body() -> None:
    """Refuse (413) a body over ``PLEDGE_MAX_REQUEST_BYTES``; to run before the view reads anything."""
    limit = current_app.config["PLEDGE_MAX_REQUEST_BYTES"]
    # Flask's own limit, for this request: whatever reads the stream later stops there too (413).
    if request.max_content_length is None or request.max_content_length > limit:
        request.max_content_length = limit
    if request.content_length is not None:
        if request.content_length > limit:
            abort(413)
    elif "Transfer-Encoding" in request.headers:
        request.get_data(cache=True)  # raises 413 past the limit; the form is then parsed from this copy
