"""The audit log at /admin/audit: filter by actor, action and dates; the same filter as CSV."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import audit
from ..appstate import state
from .blueprint import bp
from ..whole_numbers import whole_number
from .access import admin_page, admin_required

#: Entries on one page of the log.
PAGE_SIZE = 50

bp.add_app_template_filter(audit.as_text, "audit_json")


def _day(value: str, field: str, errors: dict[str, str]) -> float | None:
    """The UTC midnight starting the day ``value`` (YYYY-MM-DD, as a date input sends it), or None."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        errors[field] = _("Please enter a date such as 2026-11-25.")
        return None


def _filters() -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """``(store filter, the form's values, errors by field)`` from the query string."""
    args = request.args
    values = {name: args.get(name, "").strip()[:254] for name in ("actor", "action", "from", "to")}
    errors: dict[str, str] = {}
    since = _day(values["from"], "from", errors)
    until = _day(values["to"], "to", errors)
    if until is not None:
        until += timedelta(days=1).total_seconds()  # "to" includes its whole day
    return {"actor": values["actor"] or None, "action": values["action"] or None, "since": since,
            "until": until}, values, errors


@bp.get("/audit", endpoint="audit")
@admin_required
def audit_log() -> Response:
    store = state().store
    where, values, errors = _filters()
    if errors:
        return admin_page("admin/audit.html", 400, entries=[], values=values, errors=errors,
                          actions=audit.actions(store), older=None)
    before_id = whole_number(request.args.get("before"))
    entries = audit.entries(store, limit=PAGE_SIZE + 1, before_id=before_id, **where)
    older = entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None
    return admin_page("admin/audit.html", entries=entries[:PAGE_SIZE], values=values, errors=errors,
                      actions=audit.actions(store), older=older)


@bp.get("/audit.csv", endpoint="audit_csv")
@admin_required
def audit_csv() -> Response:
    """Every entry of the filter (no pages), newest first, as CSV."""
    where, values, errors = _filters()
    if errors:
        return admin_page("admin/audit.html", 400, entries=[], values=values, errors=errors,
                          actions=audit.actions(state().store), older=None)
    stream = io.StringIO()
    audit.write_csv(audit.entries(state().store, limit=None, **where), stream)
    response = current_app.response_class(stream.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
