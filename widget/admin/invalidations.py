"""The desk's invalidations at ``/admin/invalidations``: a filter (a domain, a site or a network address, and a
time window, prefilled by the overview's alerts), a preview of what it takes (the CLI's ``--dry-run``), the
invalidation itself (fresh sign-in), and the batches with a button to restore each. The same functions as
``pledge-widget signons invalidate|restore``, audited; CSRF and ``no-store`` are the blueprint's."""
from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from .. import invalidation
from ..appstate import state
from ..moments import iso_moment
from .access import admin_required, current_admin
from .blueprint import bp
from .pages import back, desk_page

#: The filter's fields, as the form and the alerts' links name them.
FIELDS = ("domain", "site", "ip", "since", "until", "reason")


def _values() -> dict[str, str]:
    values = request.form if request.method == "POST" else request.args
    return {name: values.get(name, "").strip()[:500] for name in FIELDS}


def _page(status: int = 200, error: str | None = None, preview: Any = None) -> Response:
    return desk_page("admin/invalidations.html", status, values=_values(), error=error, preview=preview,
                     batches=invalidation.batches(), describe=invalidation.describe, iso=iso_moment,
                     sites={s.key: s for s in state().store.list_sites()}, preview_text=preview_text)


def _filter() -> tuple[Any, str | None]:
    """The form's filter, or None and the message saying what is wrong."""
    values = _values()
    if not (values["domain"] or values["site"] or values["ip"]):
        return None, _("Please give a domain, a site or a network address: an invalidation never takes every sign-on.")
    try:
        return invalidation.make_filter(values["domain"], values["site"], values["ip"], values["since"],
                                        values["until"]), None
    except invalidation.BadFilter:
        return None, _("This filter cannot be used: please check the domain, the site, the network address and the times.")


@bp.get("/invalidations")
@admin_required
def invalidations() -> Response:
    """The filter form and the batches, the newest first."""
    return _page()


@bp.post("/invalidations/preview")
@admin_required
def invalidations_preview() -> Response:
    where, error = _filter()
    if where is None:
        return _page(400, error)
    return _page(preview=invalidation.invalidate(where, "preview", current_admin(), dry_run=True))


@bp.post("/invalidations")
@admin_required(fresh=True)
def invalidations_apply() -> Response:
    where, error = _filter()
    if where is None:
        return _page(400, error)
    if not _values()["reason"]:
        return _page(400, _("Please say why: the reason is kept for the record."))
    try:
        result = invalidation.invalidate(where, _values()["reason"], current_admin())
    except invalidation.BadFilter:
        return _page(400, _("Please say why: the reason is kept for the record."))
    if result.by_status.get("confirmed"):
        state().mail_queued()  # their signon.invalidated webhooks go out now
    return back("admin.invalidations", "invalidated", result.size)


@bp.post("/invalidations/restore")
@admin_required
def invalidations_restore() -> Response:
    result = invalidation.restore(request.form.get("batch", ""), current_admin())
    if result is not None and result.by_status.get("confirmed"):
        state().mail_queued()
    return back("admin.invalidations", "restored", result.size if result is not None else 0)


def preview_text(result: Any) -> str:
    """What a preview found, in the admin's words."""
    return ngettext("%(num)s sign-on matches, %(confirmed)s of them confirmed.",
                    "%(num)s sign-ons match, %(confirmed)s of them confirmed.", result.size,
                    confirmed=result.by_status.get("confirmed", 0))
