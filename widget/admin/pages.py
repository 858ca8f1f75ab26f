"""What the desk shows and does: the overview, sites, held sign-ons, the public list, paper sign-ons, mail.

Thin views: they read the request, call :mod:`widget.actions` (the same functions as the CLI, which record
the audit entries) and redirect (303) to the page they came from, saying what was done. Actions that
destroy or hide something (disable, discard, reject, hide) demand a fresh sign-in. Bad input changes
nothing and is answered with the page and a localised message (400). CSRF, ``no-store`` and
``frame-ancestors 'none'`` are the blueprint's (see :mod:`widget.admin.access`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence
from urllib.parse import urlencode

from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.wrappers import Response

from .. import actions
from ..appstate import state
from ..listing import ListingError
from ..store.bounces import RETRY_AFTER, SOFT_BOUNCES
from ..store.listing import Cursor, Filters
from ..text import clean_text, unsafe_character
from ..views.common import pledge_day_of
from ..views.common import signatures
from .blueprint import bp
from ..whole_numbers import whole_number
from .access import admin_page, admin_required, current_admin
from .overview import CHART_DAYS, switched_off_webhooks
from .overview import overview as overview_figures

#: Rows per page of every long list of the desk.
PAGE_SIZE = 50
#: The addresses that bounced shown on the mail page, the latest first.
BOUNCES_SHOWN = 200
#: The longest reason for hiding an entry (it is kept in the audit log and shown to the operator).
MAX_REASON = 500

#: Why a sign-on was held, in the operator's words (the limits' config keys stay in the CLI's wording).
HELD_REASONS = {
    "email_per_day": _l("Too many sign-ons from this address today"),
    "site_per_hour": _l("Too many sign-ons through this site this hour"),
    "ip_per_day": _l("Too many sign-ons from this network address today"),
    "blocked": _l("On a block list"),
}
SITE_STATUSES = {
    "pending": _l("Waiting for approval"),
    "active": _l("Active"),
    "disabled": _l("Disabled"),
}


@dataclass
class Page:
    """One page of a long list: its rows, its number (from 1), and whether others come before or after."""

    rows: list[Any]
    number: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def paginate(rows: Sequence[Any]) -> Page:
    """The page of ``rows`` asked for by ``?page=`` (a page out of range shows the last one)."""
    total = len(rows)
    pages = max(1, -(-total // PAGE_SIZE))
    number = whole_number(request.args.get("page"), low=1, high=pages, clamp=True) or 1
    return Page(list(rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]), number, total)


def page_url(number: int) -> str:
    """This page's address with another ``page`` (and its filters kept)."""
    args = {k: v for k, v in request.args.items() if k not in ("page", "done", "n", "skipped")}
    args["page"] = str(number)
    return f"{request.path}?{urlencode(args)}"


def back(endpoint: str, done: str, n: int = 0, skipped: int = 0, **filters: str | None) -> Response:
    """After an action: to its page (with the filters it was on), saying what was done. A 303, so that
    reloading the page does not send the form again."""
    args = {k: v for k, v in filters.items() if v}
    args.update(done=done, n=str(n))
    if skipped:
        args["skipped"] = str(skipped)
    return redirect(url_for(endpoint, **args), code=303)


def chosen_ids(field: str = "id") -> list[str]:
    """The id of the row whose own button was pressed (``one``), else those ticked (blank ones left out)."""
    one = request.form.get("one", "").strip()
    if one:
        return [one]
    return [value.strip() for value in request.form.getlist(field) if value.strip()]


def done_message() -> str | None:
    """The sentence saying what the last action did, from the redirect's query string (localised)."""
    done, n = request.args.get("done"), whole_number(request.args.get("n"), high=10**9) or 0
    skipped = whole_number(request.args.get("skipped"), high=10**9) or 0
    messages = {
        "approved": lambda: ngettext("%(num)s approved.", "%(num)s approved.", n),
        "disabled": lambda: ngettext("%(num)s site disabled.", "%(num)s sites disabled.", n),
        "released": lambda: ngettext("%(num)s sign-on released: its confirmation e-mail is on its way.",
                                     "%(num)s sign-ons released: their confirmation e-mails are on their way.", n),
        "discarded": lambda: ngettext("%(num)s sign-on discarded.", "%(num)s sign-ons discarded.", n),
        "rejected": lambda: ngettext("%(num)s paper sign-on rejected.", "%(num)s paper sign-ons rejected.", n),
        "hidden": lambda: _("The entry is hidden from the public list."),
        "shown": lambda: _("The entry is back on the public list."),
        "listed": lambda: _("The entry is on the public list."),
        "update_rejected": lambda: _("The update will not be shown."),
        "news_written": lambda: _("The update is saved: check it, send yourself a test, then send it."),
        "news_test": lambda: _("A test is on its way to your address."),
        "news_sending": lambda: ngettext("The update is going out to %(num)s signatory.",
                                         "The update is going out to %(num)s signatories.", n),
        "retried": lambda: ngettext("%(num)s e-mail queued again.", "%(num)s e-mails queued again.", n),
        "blocked": lambda: _("Blocked: the next sign-ons from there are held.") if n else _("This was blocked already."),
        "unblocked": lambda: _("The block is lifted.") if n else _("There is no such block: it was lifted meanwhile."),
        "invalidated": lambda: ngettext("%(num)s sign-on invalidated: it left every count.",
                                        "%(num)s sign-ons invalidated: they left every count.", n),
        "restored": lambda: ngettext("%(num)s sign-on restored.", "%(num)s sign-ons restored.", n),
    }
    if done not in messages:
        return None
    text = messages[done]()
    if skipped:
        text += " " + ngettext("%(num)s was left alone: it had changed meanwhile.",
                               "%(num)s were left alone: they had changed meanwhile.", skipped)
    return text


def desk_page(template: str, status: int = 200, **context: Any) -> Response:
    """A page of the desk, with the message of the last action and the pager's helpers."""
    return admin_page(template, status, done=done_message(), page_url=page_url, admin=current_admin(),
                      held_reasons=HELD_REASONS, site_statuses=SITE_STATUSES, **context)


# -- the overview ---------------------------------------------------------------------------------------


@bp.get("/")
@admin_required
def overview() -> Response:
    """Each campaign's progress and pace, sites and hosts, and how the mail queue fares."""
    figures = overview_figures(
        lambda campaign: _("Confirmed signatures per day of %(campaign)s, the last %(days)s days",
                           campaign=campaign.text("title"), days=CHART_DAYS),
        lambda day, n: f"{pledge_day_of(day)}: " + signatures(n),
    )
    return desk_page("admin/overview.html", figures=figures)


# -- sites ----------------------------------------------------------------------------------------------


def _site_matches(site: Any, q: str) -> bool:
    q = q.casefold()
    return any(q in text.casefold() for text in (site.name, site.key, site.owner_email, *site.origins))


@bp.get("/sites")
@admin_required
def sites() -> Response:
    """Every site, searched by name, key, origin or owner, those waiting for approval first."""
    q = clean_text(request.args.get("q", ""))[:200]
    status = request.args.get("status", "")
    store = state().store
    found = [s for s in store.list_sites()
             if (not q or _site_matches(s, q)) and (status not in SITE_STATUSES or s.status == status)]
    order = {"pending": 0, "active": 1, "disabled": 2}
    found.sort(key=lambda s: (order.get(s.status, 3), -s.created_at))
    counts = {(campaign, key): n for campaign, key, n in store.all_counts()}
    page = paginate(found)
    rows = [{"site": s, "count": counts.get((s.campaign, s.key), 0),
             "campaign": state().campaigns.get(s.campaign)} for s in page.rows]
    return desk_page("admin/sites.html", page=page, rows=rows, q=q, status_filter=status,
                     manual=current_app.config["PLEDGE_HOST_APPROVAL"] == "manual")


@bp.post("/sites/approve")
@admin_required
def sites_approve() -> Response:
    return _site_action(actions.approve_site, "approved")


@bp.post("/sites/disable")
@admin_required(fresh=True)
def sites_disable() -> Response:
    return _site_action(actions.disable_site, "disabled")


def _site_action(action: Any, done: str) -> Response:
    keys = chosen_ids("key")
    actor = current_admin()
    changed = [key for key in keys if action(key, actor) is not None]
    return back("admin.sites", done, len(changed), len(keys) - len(changed),
                q=request.form.get("q"), status=request.form.get("status"))


# -- held sign-ons --------------------------------------------------------------------------------------


@bp.get("/held")
@admin_required
def held() -> Response:
    """Sign-ons kept aside by the limits, oldest first, with the limit that held each."""
    reason = request.args.get("reason", "")
    all_held = actions.held_signons()  # read once: the filter and the tally both come from it
    held_now = [s for s in all_held if s.held_reason == reason] if reason in HELD_REASONS else (
        [] if reason else all_held)
    sites = {s.key: s for s in state().store.list_sites()}
    tally = {code: sum(1 for s in all_held if s.held_reason == code) for code in HELD_REASONS}
    # "All shown" means those the admin saw: one held after the page was drawn is left for the next look.
    upto = repr(max((s.created_at for s in held_now), default=0.0))
    return desk_page("admin/held.html", page=paginate(held_now), reason=reason, sites=sites, tally=tally,
                     total=len(all_held), upto=upto)


def _held_choice() -> tuple[list[str], str | None]:
    """The ids the form names, or with ``all`` those of every held sign-on of its filter."""
    reason = request.form.get("reason") or None
    if request.form.get("all"):
        try:
            upto = float(request.form.get("upto", ""))
        except ValueError:
            upto = float("-inf")  # a form without its bound names nothing rather than everything
        held = actions.held_signons(reason if reason in HELD_REASONS else None)
        return [s.id for s in held if s.created_at <= upto], reason
    return chosen_ids(), reason


@bp.post("/held/release")
@admin_required
def held_release() -> Response:
    ids, reason = _held_choice()
    outcome = actions.release_held(ids, current_admin())
    if outcome.done:
        state().mail_queued()  # the confirmation e-mails go out now, not at the sender's next round
    return back("admin.held", "released", len(outcome.done), len(outcome.skipped), reason=reason)


@bp.post("/held/discard")
@admin_required(fresh=True)
def held_discard() -> Response:
    ids, reason = _held_choice()
    outcome = actions.discard_held(ids, current_admin())
    return back("admin.held", "discarded", len(outcome.done), len(outcome.skipped), reason=reason)


# -- the public list ------------------------------------------------------------------------------------


def _list_page(status: int = 200, error: str | None = None, failed_id: str | None = None) -> Response:
    moderation = current_app.config["PLEDGE_LIST_MODERATION"]
    store = state().store
    q = clean_text(request.values.get("q", ""))[:100]
    listed, next_cursor = store.list_entries(Filters(q=q or None), moderation,
                                             after=Cursor.parse(request.args.get("after")), limit=PAGE_SIZE)
    hidden_number = whole_number(request.args.get("hidden_page"), low=1, high=10**9, clamp=True) or 1
    hidden, hidden_total = store.hidden_entries(limit=PAGE_SIZE, offset=(hidden_number - 1) * PAGE_SIZE)
    waiting = paginate(store.waiting_entries(moderation))
    return desk_page("admin/list.html", status, moderation=moderation, waiting=waiting, listed=listed,
                     next_cursor=next_cursor, hidden=hidden, hidden_total=hidden_total, q=q,
                     hidden_page=Page(hidden, hidden_number, hidden_total), error=error, failed_id=failed_id,
                     campaigns=state().campaigns)


@bp.get("/list", endpoint="list")
@admin_required
def list_page() -> Response:
    """The queue of entries waiting for approval, the list itself (searchable), and the hidden entries."""
    return _list_page()


def _list_error(exc: ListingError, entry_id: str) -> str:
    """ListingError speaks to the CLI's operator in English: the desk says the same in the reader's language."""
    entry = state().store.get_entry(entry_id)
    if entry is None:
        return _("There is no such entry on the list: it may have been withdrawn meanwhile.")
    if entry.state == "left":
        return _("This signatory left the list: only they could decide otherwise.")
    if entry.state == "hidden":
        return _("This entry is hidden: show it to list it again.")
    return _("This could not be done: reload the page and try again.")


def _list_action(call: Any, done: str, *args: str) -> Response:
    entry_id = request.form.get("id", "").strip()
    try:
        call(entry_id, *args, current_admin())
    except ListingError as exc:
        return _list_page(400, _list_error(exc, entry_id), entry_id)
    return back("admin.list", done, 1, q=request.form.get("q"))


@bp.post("/list/approve")
@admin_required
def list_approve() -> Response:
    return _list_action(actions.approve_entry, "listed")


@bp.post("/list/show")
@admin_required
def list_show() -> Response:
    return _list_action(actions.show_entry, "shown")


@bp.post("/list/hide")
@admin_required(fresh=True)
def list_hide() -> Response:
    reason = clean_text(request.form.get("reason", ""))
    if not reason:
        return _list_page(400, _("Please say why this entry is hidden: the reason is kept for the record."),
                          request.form.get("id", "").strip())
    if len(reason) > MAX_REASON or unsafe_character(reason):
        return _list_page(400, _("Please use at most %(max)d characters and no control characters.", max=MAX_REASON),
                          request.form.get("id", "").strip())
    return _list_action(actions.hide_entry, "hidden", reason)


# -- paper sign-ons -------------------------------------------------------------------------------------


@bp.get("/paper")
@admin_required
def paper() -> Response:
    """Paper sign-ons that hosts entered, waiting for approval, oldest first."""
    sites = {s.key: s for s in state().store.list_sites()}
    return desk_page("admin/paper.html", page=paginate(state().store.paper_signons()), sites=sites)


@bp.post("/paper/approve")
@admin_required
def paper_approve() -> Response:
    outcome = actions.approve_paper(None if request.form.get("all") else chosen_ids(), current_admin())
    if outcome.done:
        state().mail_queued()  # the confirmations' webhooks
    return back("admin.paper", "approved", len(outcome.done), len(outcome.skipped))


@bp.post("/paper/reject")
@admin_required(fresh=True)
def paper_reject() -> Response:
    outcome = actions.reject_paper(chosen_ids(), current_admin())
    return back("admin.paper", "rejected", len(outcome.done), len(outcome.skipped))


# -- mail -----------------------------------------------------------------------------------------------


@bp.get("/mail")
@admin_required
def mail() -> Response:
    """E-mails that failed for good with the server's last answer, the addresses that bounced (the latest
    ones), and webhook endpoints switched off."""
    store = state().store
    return desk_page("admin/mail.html", page=paginate(store.failed_mail()), health=store.outbox_health(),
                     webhooks_off=switched_off_webhooks(), bounced=store.bounced_mailboxes()[:BOUNCES_SHOWN],
                     soft_bounces=SOFT_BOUNCES, retry_days=int(RETRY_AFTER // 86400))


@bp.post("/mail/retry")
@admin_required
def mail_retry() -> Response:
    ids = chosen_ids()
    if request.form.get("all"):
        outcome = actions.retry_mail(None, current_admin())
    else:
        outcome = actions.retry_mail([n for n in map(whole_number, ids) if n is not None], current_admin())
    if outcome.done:
        state().mail_queued()
    not_numbers = sum(1 for i in ids if whole_number(i) is None)  # no such e-mail: left alone
    return back("admin.mail", "retried", len(outcome.done), len(outcome.skipped) + not_numbers)
