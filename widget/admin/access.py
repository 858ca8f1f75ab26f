"""Who may use the desk, checked on every request: ``admin_required`` and ``current_admin``.

An admin is signed in by a server-side session (see :mod:`widget.store.admin`): its random id lives only
in the ``pledge_admin`` cookie (HttpOnly, SameSite=Strict, path ``/admin``, Secure over https) and is
stored hashed, so a copy of the database signs nobody in. A session counts only while:

* its address is in ``PLEDGE_ADMINS`` *now* (read on every request: removing an address ends its access
  at once, whatever sessions it holds);
* it was used within the last ``IDLE_SECONDS``;
* the TOTP step was done (a clicked link alone opens nothing but the code form).
"""
from __future__ import annotations

import functools
import hashlib
import time
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers import Response
from wtforms.validators import ValidationError

from ..addresses import address_list, normalise_stored
from ..appstate import state
from ..body_limit import limit_body
from ..views.common import DEFAULT_CSP, current_language, private_page, render_page
from .blueprint import bp

#: The cookie that holds the admin's session id (never the address).
COOKIE = "pledge_admin"
#: A session unused for this long is over (seconds).
IDLE_SECONDS = 30 * 60
#: ``admin_required(fresh=True)``: the link and the code must have been done within this long (seconds).
FRESH_SECONDS = 10 * 60
#: The key of Flask's session holding where to come back after a sign-in (a page of the desk).
NEXT_KEY = "pledge_admin_next"

F = TypeVar("F", bound=Callable[..., Any])


def clock() -> float:
    """Now, in seconds since the epoch (one place for tests to move the desk's clock)."""
    return time.time()


def admins() -> frozenset[str]:
    """The addresses in ``PLEDGE_ADMINS`` (a comma-separated string or a list), normalised as stored."""
    return address_list(current_app.config.get("PLEDGE_ADMINS"))


def is_admin(email: str) -> bool:
    """Whether ``email`` (any spelling) is one of ``PLEDGE_ADMINS`` now."""
    return bool(email) and normalise_stored(email) in admins()


def hash_session_id(session_id: str) -> str:
    """How a session id is stored: a copy of the database holds no usable cookie."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def cookie_path() -> str:
    """The desk's path, the only one the admin cookie is sent to."""
    return (current_app.config["PLEDGE_URL_PREFIX"] or "").rstrip("/") + "/admin"


def set_session_cookie(response: Response, session_id: str) -> None:
    """Give this browser the session; the cookie lives until the browser closes (idle time ends it sooner)."""
    response.set_cookie(COOKIE, session_id, path=cookie_path(), httponly=True, samesite="Strict",
                        secure=request.is_secure)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=cookie_path(), httponly=True, samesite="Strict", secure=request.is_secure)


def browser_session() -> Any | None:
    """This browser's admin session if it still counts (live, not idle, address still an admin), with or
    without its TOTP step; else None. Read once per request."""
    if "pledge_admin_session" in g:
        return g.pledge_admin_session
    found = None
    raw = request.cookies.get(COOKIE)
    if raw:
        store = state().store
        row = store.get_admin_session(hash_session_id(raw))
        now = clock()
        if row is not None and row.ended_at is None:
            # Idle too long, or no longer in PLEDGE_ADMINS: over for good (adding the address back later
            # does not bring this session back).
            if now - row.seen_at > IDLE_SECONDS or not is_admin(row.email):
                store.end_admin_session(row.id_hash, now)
            else:
                found = row
    g.pledge_admin_session = found
    return found


def current_admin() -> str:
    """The address of the admin signed in on this request (inside an ``admin_required`` view)."""
    row = browser_session()
    if row is None or row.verified_at is None:
        raise RuntimeError("current_admin() outside an admin_required view")
    return row.email


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a page of the desk on this site (never another site: no open redirect)."""
    if not target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # urlsplit drops tabs and newlines the Location header would refuse (a 500 after signing in)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//") or "\\" in target:
        return None
    return target if parts.path.startswith(cookie_path() + "/") else None


def remember_next() -> None:
    """Come back here after signing in: this page for a GET; for a POST (which cannot be replayed), the
    page its form names in ``next``, else the overview."""
    target = request.full_path if request.method == "GET" else request.form.get("next")
    session[NEXT_KEY] = safe_next(target.rstrip("?") if target else None)


def admin_required(fresh: bool | F = False) -> Any:
    """Let only a signed-in admin (link and TOTP done, address in PLEDGE_ADMINS) through to the view.

    ``fresh=True`` (destructive actions) also demands that the sign-in was done within
    ``FRESH_SECONDS``; else the admin signs in again (link and code) and comes back to the page. Works as
    ``@admin_required``, ``@admin_required()`` and ``@admin_required(fresh=True)``.
    """
    if callable(fresh):
        return admin_required(False)(fresh)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            row = browser_session()
            if row is None:
                remember_next()
                return redirect(url_for("admin.login"), code=303)
            if row.verified_at is None:
                remember_next()
                return redirect(url_for("admin.totp"), code=303)
            now = clock()
            if fresh and now - row.verified_at > FRESH_SECONDS:
                remember_next()
                return redirect(url_for("admin.reauth"), code=303)
            if now - row.seen_at > 30:  # idle time counted to the half minute: not a write per request
                state().store.touch_admin_session(row.id_hash, now)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def admin_page(template: str, status: int = 200, **context: Any) -> Response:
    """A page of the desk: private, in the admin's language, with the host pages' look."""
    context.setdefault("campaign", None)
    return private_page(template, current_language(), status, host_styles=True, **context)


NAV = (
    ("admin.overview", _l("Overview")),
    ("admin.sites", _l("Sites")),
    ("admin.campaigns", _l("Campaigns")),
    ("admin.held", _l("Held")),
    ("admin.blocks", _l("Blocks")),
    ("admin.invalidations", _l("Invalidations")),
    ("admin.list", _l("List")),
    ("admin.progress_updates", _l("Progress")),
    ("admin.updates", _l("News")),
    ("admin.paper", _l("Paper")),
    ("admin.mail", _l("Mail")),
    ("admin.audit", _l("Audit")),
    ("admin.sessions", _l("Sessions")),
)


@bp.app_template_global("admin_nav")
def _admin_nav() -> list[dict[str, Any]] | None:
    """The desk's menu: each page that exists, and which one is this one; None for a visitor who is not
    signed in (an error page, say): no menu then."""
    row = browser_session()
    if row is None or row.verified_at is None:
        return None
    views = current_app.view_functions
    return [{"url": url_for(endpoint), "label": label, "current": request.endpoint == endpoint}
            for endpoint, label in NAV if endpoint in views]


@bp.app_template_global("admin_lang")
def _admin_lang() -> dict[str, str]:
    """``{"lang": xx}`` when the page was asked for in a language by ``?lang=``: forms keep it."""
    lang = request.args.get("lang")
    return {"lang": lang} if lang and lang.isascii() and len(lang) <= 8 else {}


@bp.before_request
def _gate() -> None:
    if not admins():
        abort(404)  # no PLEDGE_ADMINS: there is no desk
    limit_body()
    pledge = state()
    pledge.domain.as_default()
    pledge.ensure_sender()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:  # missing, expired, or not this browser's
            abort(400)


def _on_the_desk() -> bool:
    """Whether this request is for an address under the desk's prefix, even one that no view of the
    blueprint answered (a 405 for a wrong method, the 308 that adds a missing slash)."""
    prefix = cookie_path()
    return request.blueprint == "admin" or request.path == prefix or request.path.startswith(prefix + "/")


@bp.after_app_request
def _private(response: Response) -> Response:
    # Every answer of the desk, errors and CSV included: kept by nobody, framed by nobody. An app-wide
    # hook, because routing errors (405, redirects) belong to no blueprint and skip its own hooks.
    if not _on_the_desk():
        return response
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")  # the campaign editor's preview alone says SAMEORIGIN
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


@bp.errorhandler(400)
@bp.errorhandler(404)
@bp.errorhandler(413)
@bp.errorhandler(429)
def _error(error: Any) -> Response:
    if error.code == 404:
        body, status = render_page("not_found.html", current_language(), 404, campaign=None)
        return current_app.make_response((body, status))
    return admin_page("admin/error.html", error.code, code=error.code)


@bp.route("/<path:anything>", methods=["GET", "HEAD", "POST"])
def unknown_page(anything: str) -> None:
    """Any other address under /admin/ is the desk's too: its 404 is private like the rest."""
    abort(404)
