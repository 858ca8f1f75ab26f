"""The desk's door: sign in (e-mailed link, then a TOTP code), enrol an authenticator, sign out, sessions.

Every address typed on the sign-in page gets the same page in about the same time, whether or not it is
an admin, and only admins get mail. The link's GET only shows a button (a mail scanner uses nothing up).
"""
from __future__ import annotations


from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from .. import audit
from ..abuse import no_sooner_than
from ..forms import SignInForm
from ..appstate import state
from ..text import clean_text
from ..tokens import TokenExpired, TokenInvalid
from ..views.common import current_language
from ..qr import qr_svg
from . import signin, totp
from .blueprint import bp
from . import access
from .access import (IDLE_SECONDS, NEXT_KEY, admin_page, admin_required, browser_session, clear_session_cookie,
                     current_admin, set_session_cookie)

#: The sign-in page answers no sooner than this (seconds), admin or not: its timing tells nothing.
ANSWER_SECONDS = 0.5


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[clean_text],
        description=_l("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        validators=[DataRequired(message=_l("Please enter the code.")),
                    Length(max=40, message=_l("Please use at most %(max)d characters."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false",
                   "autocapitalize": "none"},
    )


class EnrolForm(CodeForm):
    code = StringField(
        _l("Code from the app"),
        filters=[clean_text],
        description=_l("The 6-digit code your authenticator app shows now."),
        validators=[DataRequired(message=_l("Please enter the code.")),
                    Length(max=40, message=_l("Please use at most %(max)d characters."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


def _home() -> str:
    """Where a signed-in admin goes: the page that asked for the sign-in, else the desk's overview."""
    target = session.pop(NEXT_KEY, None)
    if target:
        return target
    views = current_app.view_functions
    return url_for("admin.overview") if "admin.overview" in views else url_for("admin.sessions")


def _sign_in_page(template: str, status: int = 200, **context) -> Response:
    return admin_page(template, status, admin_menu=False, **context)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    row = browser_session()
    if row is not None and row.verified_at is not None and request.method == "GET":
        return redirect(_home(), code=303)
    form = SignInForm()
    if request.method == "POST":
        if not form.validate():
            return _sign_in_page("admin/login.html", 400, form=form)
        # The same page, no sooner than ANSWER_SECONDS, for everyone.
        with no_sooner_than(ANSWER_SECONDS):
            signin.send_link(form.email.data, current_language(), access.clock())
            answer = _sign_in_page("admin/login_sent.html")
        return answer
    return _sign_in_page("admin/login.html", form=form, done=request.args.get("done"))


@bp.route("/login/<token>", methods=["GET", "POST"], merge_slashes=False)
def login_link(token: str) -> Response:
    try:
        login_id, _issued = state().tokens.loads("admin-login", token)
    except (TokenInvalid, TokenExpired):
        return _sign_in_page("admin/login_invalid.html", 400)
    if request.method == "GET":
        return _sign_in_page("admin/login_confirm.html", token=token)
    opened = (signin.open_session(login_id, request.user_agent.string, access.clock())
              if isinstance(login_id, str) else None)
    if opened is None:
        return _sign_in_page("admin/login_invalid.html", 400)
    session_id, email = opened
    old = browser_session()
    if old is not None:  # this browser's previous session (a re-authentication) gives way to the new one
        state().store.end_admin_session(old.id_hash, access.clock())
    enrolled = state().store.get_admin_totp(email)
    target = "admin.totp" if enrolled is not None and enrolled.confirmed_at is not None else "admin.enrol"
    response = redirect(url_for(target), code=303)
    set_session_cookie(response, session_id)
    return response


@bp.route("/totp", methods=["GET", "POST"], endpoint="totp")
def totp_page() -> Response:
    row = browser_session()
    if row is None:
        return redirect(url_for("admin.login"), code=303)
    enrolled = state().store.get_admin_totp(row.email)
    if enrolled is None or enrolled.confirmed_at is None:
        return redirect(url_for("admin.enrol"), code=303)
    form = CodeForm()
    if request.method == "POST":
        if not form.validate():
            return _sign_in_page("admin/totp.html", 400, form=form)
        result = signin.check_code(row.email, form.code.data, row.id_hash, access.clock())
        if result.outcome == "limited":
            form.code.errors = [_("Too many wrong codes. Please wait a few minutes, then try again.")]
            return _sign_in_page("admin/totp.html", 429, form=form)
        if result.outcome != "ok":
            form.code.errors = [
                _("This code is not right, or was used already. Please enter the code the app shows now.")]
            return _sign_in_page("admin/totp.html", 400, form=form)
        if result.recovery:
            session["pledge_admin_recovery_left"] = result.left
        return redirect(_home(), code=303)
    return _sign_in_page("admin/totp.html", form=form)


@bp.route("/totp/enrol", methods=["GET", "POST"])
def enrol() -> Response:
    row = browser_session()
    if row is None:
        return redirect(url_for("admin.login"), code=303)
    now = access.clock()
    secret = signin.enrolment_secret(row.email, now)
    if secret is None:  # enrolled already: codes are asked for, never shown again
        return redirect(url_for("admin.totp"), code=303)
    form = EnrolForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            result, codes = signin.confirm_enrolment(row.email, form.code.data, row.id_hash, now)
            if result.outcome == "ok":
                return _sign_in_page("admin/totp_codes.html", codes=codes, next_url=_home())
            if result.outcome == "limited":
                form.code.errors = [_("Too many wrong codes. Please wait a few minutes, then try again.")]
                status = 429
            else:
                form.code.errors = [_("This code is not right. Please enter the code the app shows now.")]
                status = 400
        else:
            status = 400
    uri = totp.provisioning_uri(secret, row.email, signin.issuer())
    qr = qr_svg(uri, _("QR code to scan with your authenticator app"))
    return _sign_in_page("admin/totp_enrol.html", status, form=form, secret=secret, uri=uri, qr=qr)


@bp.route("/reauth", methods=["GET", "POST"])
def reauth() -> Response:
    """A destructive action wants a fresh sign-in: a new link to the admin's own address, then a code."""
    row = browser_session()
    if row is None or row.verified_at is None:
        return redirect(url_for("admin.login"), code=303)
    if request.method == "POST":
        signin.send_link(row.email, current_language(), access.clock())
        return _sign_in_page("admin/login_sent.html", reauth=True)
    return _sign_in_page("admin/reauth.html", email=row.email)


@bp.post("/logout")
def logout() -> Response:
    row = browser_session()
    if row is not None:
        state().store.end_admin_session(row.id_hash, access.clock())
        audit.record(state().store, row.email, "admin.sign_out", row.email, None, None)
    session.pop(NEXT_KEY, None)
    g.pledge_admin_session = None
    response = redirect(url_for("admin.login", done="signed-out"), code=303)
    clear_session_cookie(response)
    return response


@bp.get("/sessions")
@admin_required
def sessions() -> Response:
    row = browser_session()
    live = state().store.admin_sessions(current_admin(), access.clock() - IDLE_SECONDS)
    return admin_page("admin/sessions.html", sessions=live, current=row.id_hash, done=request.args.get("done"),
                      recovery_left=session.pop("pledge_admin_recovery_left", None))


@bp.post("/sessions/revoke")
@admin_required
def revoke_session() -> Response:
    """End one of the admin's own sessions (``session``: its listed handle) or all the others (``all``)."""
    row = browser_session()
    email = current_admin()
    store = state().store
    now = access.clock()
    if request.form.get("all"):
        signin.end_sessions(email, email, now, keep_hash=row.id_hash)
        return redirect(url_for("admin.sessions", done="revoked"), code=303)
    handle = request.form.get("session", "")
    if handle == row.id_hash or not store.end_admin_session(handle, now, email=email):
        # Not one of this admin's other live sessions: nothing changes (this one ends by signing out).
        return admin_page("admin/error.html", 400, code=400)
    audit.record(store, email, "admin.session_revoke", email, None, {"session": handle[:12]})
    return redirect(url_for("admin.sessions", done="revoked"), code=303)
