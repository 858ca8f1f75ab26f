"""The desk's block lists at ``/admin/blocks``: what is blocked and why, a form to block a domain, an address or
a network address (prefilled by the overview's alerts: ``?kind=domain&value=example.org``), and a button to lift
each block. The same functions as ``pledge-widget block``, audited; CSRF and ``no-store`` are the blueprint's."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from .. import blocking
from ..whole_numbers import whole_number
from .access import admin_required, current_admin
from .blueprint import bp
from .pages import back, desk_page

#: What can be blocked, in the operator's words.
BLOCK_KINDS = {
    "domain": _l("Domain"),
    "email": _l("E-mail address"),
    "ip": _l("Network address"),
}


def _page(status: int = 200, error: str | None = None) -> Response:
    values = request.form if request.method == "POST" else request.args
    kind = values.get("kind", "")
    return desk_page("admin/blocks.html", status, blocks=blocking.blocks(), kinds=BLOCK_KINDS, error=error,
                     kind=kind if kind in BLOCK_KINDS else "domain", value=values.get("value", "")[:300],
                     reason=values.get("reason", "")[:blocking.MAX_REASON])


@bp.get("/blocks")
@admin_required
def blocks() -> Response:
    """Every block, the newest first, and the form that adds one."""
    return _page()


@bp.post("/blocks")
@admin_required
def blocks_add() -> Response:
    kind = request.form.get("kind", "")
    if kind not in BLOCK_KINDS:
        return _page(400, _("Please choose what to block."))
    if not request.form.get("reason", "").strip():
        return _page(400, _("Please say why: the reason is kept for the record."))
    try:
        _found, added = blocking.add(kind, request.form.get("value", ""), request.form.get("reason", ""),
                                     current_admin())
    except blocking.BadBlock:
        return _page(400, _("This cannot be blocked: please check the domain, address or network address."))
    return back("admin.blocks", "blocked", int(added))


@bp.post("/blocks/remove")
@admin_required
def blocks_remove() -> Response:
    block_id = whole_number(request.form.get("id"), high=2**62)
    removed = blocking.remove(block_id, current_admin()) if block_id is not None else None
    return back("admin.blocks", "unblocked", int(removed is not None))
