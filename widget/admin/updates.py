"""The desk's campaign news (``/admin/updates``): write an update's subject and body per language, preview
it, send a test to yourself, then send it to the signatories who agreed to news (see :mod:`widget.news`).
Sending wants a fresh sign-in; a second update within the week wants the override ticked. Every step is in
the audit log; bad input changes nothing and is answered with the page and a localised message (400)."""
from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import i18n, news
from ..appstate import state
from ..text import clean_text
from ..whole_numbers import whole_number
from .access import admin_required, current_admin
from .blueprint import bp
from .pages import back, desk_page


def _campaign(slug: str | None) -> Any:
    campaigns = state().campaigns
    if slug in campaigns:
        return campaigns[slug]
    return next(iter(campaigns.values()))


def _languages(campaign: Any) -> list[str]:
    """The campaign's languages, its main one first."""
    return [campaign.default_lang] + [lang for lang in campaign.available_languages if lang != campaign.default_lang]


def _write_page(campaign: Any, texts: dict[str, dict[str, str]], errors: dict[str, Any], status: int = 200) -> Response:
    return desk_page("admin/updates.html", status, chosen=campaign, campaigns=state().campaigns,
                     text_languages=_languages(campaign), texts=texts, errors=errors,
                     direction=i18n.direction, updates=state().store.list_news(),
                     recipients=state().store.count_news_recipients(campaign.slug))


@bp.get("/updates", endpoint="updates")
@admin_required
def updates() -> Response:
    """The form of a new update of the campaign chosen (``?campaign=``), and the updates written so far."""
    return _write_page(_campaign(request.args.get("campaign")), {}, {})


@bp.post("/updates")
@admin_required
def updates_write() -> Response:
    campaign = _campaign(request.form.get("campaign"))
    texts = {lang: {"subject": clean_text(request.form.get(f"subject-{lang}", "")),
                    "body": clean_text(request.form.get(f"body-{lang}", "")).replace("\r\n", "\n")}
             for lang in _languages(campaign)}
    errors = news.problems(campaign, texts)
    if errors:
        return _write_page(campaign, texts, errors, 400)
    update_id = news.write(campaign, texts, current_admin())
    return back("admin.update", "news_written", 1, update_id=str(update_id))


def _update_or_404(update_id: str) -> Any:
    # A string in the route, not <int:>: any address under /admin/updates/ gets the desk's 404 page.
    number = whole_number(update_id, high=2**62)
    update = state().store.get_news(number) if number is not None else None
    if update is None or update.campaign not in state().campaigns:
        abort(404)
    return update


def _update_page(update: Any, status: int = 200, refused: str = "") -> Response:
    campaign = state().campaign(update.campaign)
    missing = [lang for lang in campaign.available_languages if lang not in update.texts]
    return desk_page("admin/update.html", status, update=update, chosen=campaign,
                     direction=i18n.direction, missing=missing, refused=refused,
                     recently=news.recently_sent(update.campaign) if update.state == "draft" else None,
                     recipients=state().store.count_news_recipients(update.campaign))


@bp.get("/updates/<update_id>", endpoint="update")
@admin_required
def update(update_id: str) -> Response:
    """An update's preview in each of its languages, and its test and send buttons (a draft's)."""
    return _update_page(_update_or_404(update_id))


@bp.post("/updates/<update_id>/test")
@admin_required
def update_test(update_id: str) -> Response:
    item = _update_or_404(update_id)
    lang = request.form.get("lang", "")
    news.send_test(item, lang if lang in item.texts else state().campaign(item.campaign).default_lang, current_admin())
    return back("admin.update", "news_test", 1, update_id=str(update_id))


@bp.post("/updates/<update_id>/send")
@admin_required(fresh=True)
def update_send(update_id: str) -> Response:
    item = _update_or_404(update_id)
    if item.state != "draft":
        return _update_page(item, 400, _("This update was sent already."))
    override = request.form.get("override") == "y"
    if not news.start(item, current_admin(), override):
        refused = (_("An update of this campaign went out less than a week ago: tick the box to send this one "
                     "anyway.") if news.recently_sent(item.campaign) else _("This update was sent already."))
        return _update_page(state().store.get_news(item.id), 400, refused)
    return back("admin.update", "news_sending", state().store.count_news_recipients(item.campaign),
                update_id=str(update_id))
