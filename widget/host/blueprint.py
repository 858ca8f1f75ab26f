"""The host pages' blueprint, ``host``, mounted at ``/host`` (under ``PLEDGE_URL_PREFIX``): our pages'
hooks, headers and error pages, as the visitor's pages have them."""
from __future__ import annotations

from flask import Blueprint

from ..views.common import before_page, page_headers
from ..views.errors import serve_error_pages

bp = Blueprint("host", __name__, template_folder="../templates")
bp.before_request(before_page)
bp.after_request(page_headers)
serve_error_pages(bp)
