"""The desk's moderation of progress updates: what signatories wrote through their check-in links waits
here until an admin approves it (then the campaign's public progress page shows it) or rejects it."""
from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from .. import actions
from ..appstate import state
from ..whole_numbers import whole_number
from .access import admin_required, current_admin
from .blueprint import bp
from .pages import back, desk_page, paginate


@bp.get("/progress", endpoint="progress_updates")
@admin_required
def progress_updates() -> Response:
    """The updates waiting for moderation, oldest first (the newest approved ones below, for reference)."""
    store = state().store
    waiting = paginate(list(reversed(store.updates(None, "pending", limit=1000))))
    return desk_page("admin/progress.html", waiting=waiting, approved=store.updates(None, "approved", limit=20),
                     campaigns=state().campaigns)


@bp.post("/progress/<moderation>")
@admin_required
def progress_moderate(moderation: str) -> Response:
    if moderation not in ("approved", "rejected"):
        return progress_updates()
    update_id = whole_number(request.form.get("id"), high=2**62)
    done = update_id is not None and actions.moderate_update(update_id, moderation, current_admin())
    said = {"approved": "approved", "rejected": "update_rejected"}[moderation]  # see pages.done_message
    return back("admin.progress_updates", said if done else "", 1 if done else 0)
