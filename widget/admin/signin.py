"""Signing an admin in: an e-mailed single-use link, then a TOTP code (or a recovery code).

The views (:mod:`widget.admin.auth`) and the command line call these; each step that matters is audited.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app

from .. import audit
from ..addresses import normalise_stored
from ..appstate import state
from ..mail import compose
from ..urls import public_url
from . import totp
from .access import hash_session_id, is_admin

#: How long a sign-in link works (seconds).
LOGIN_MAX_AGE = 15 * 60
#: Sign-in links one admin address may be sent per hour.
LINKS_PER_HOUR = 5
#: Wrong codes an admin may enter per ``FAILURE_WINDOW`` seconds, all browsers and processes together.
MAX_FAILURES = 5
FAILURE_WINDOW = 5 * 60


def send_link(email: str, lang: str, now: float) -> bool:
    """Mail a sign-in link if ``email`` is an admin and had fewer than LINKS_PER_HOUR this hour; whether
    one was queued. The caller answers the same either way (nobody learns who the admins are)."""
    if not is_admin(email):
        return False
    pledge = state()
    email = normalise_stored(email)
    if pledge.store.recent_admin_logins(email, now - 3600) >= LINKS_PER_HOUR:
        return False
    login_id = pledge.store.create_admin_login(email, now)
    token = pledge.tokens.dumps("admin-login", login_id)
    pledge.store.enqueue_mail(compose.admin_login(email, lang, public_url("admin.login_link", token=token)))
    pledge.mail_queued()
    return True


def open_session(login_id: str, agent: str, now: float) -> tuple[str, str] | None:
    """Use a sign-in link: ``(session id for the cookie, address)`` of a new session still waiting for its
    code, or None when the link was used, is too old, or its address is no longer an admin."""
    store = state().store
    email = store.use_admin_login(login_id, now, LOGIN_MAX_AGE)
    if email is None or not is_admin(email):
        return None
    session_id = secrets.token_urlsafe(32)
    store.start_admin_session(hash_session_id(session_id), email, agent, now)
    return session_id, email


@dataclass(frozen=True)
class CodeResult:
    """What a code did: ``ok``, ``wrong`` (or reused), or ``limited`` (too many wrong ones lately; not
    even checked). ``recovery``: it was a recovery code; ``left``: recovery codes still unused."""

    outcome: str
    recovery: bool = False
    left: int | None = None


def _attempt(email: str, now: float) -> int | None:
    """Count this code as a failure before checking it (see ``start_admin_attempt``); None: limited."""
    return state().store.start_admin_attempt(email, now, now - FAILURE_WINDOW, MAX_FAILURES)


def _failed(email: str, reason: str) -> CodeResult:
    # The attempt's row stays: it is the failure the limit counts.
    audit.record(state().store, email, "admin.code_failed", email, None, {"reason": reason})
    return CodeResult("wrong")


def check_code(email: str, code: str, session_hash: str, now: float) -> CodeResult:
    """Check an enrolled admin's code (TOTP, or a recovery code) and, if right, finish the session's sign-in."""
    store = state().store
    attempt = _attempt(email, now)
    if attempt is None:
        return CodeResult("limited")
    secret = store.get_admin_totp(email)
    if secret is None or secret.confirmed_at is None:
        store.end_admin_attempt(attempt)
        return CodeResult("wrong")
    result: CodeResult
    if totp.looks_like_totp(code):
        step = totp.matching_step(secret.secret, code, now)
        if step is None:
            return _failed(email, "wrong")
        if not store.use_admin_totp_step(email, step):  # this code (or a later one) was used already
            return _failed(email, "reused")
        result = CodeResult("ok")
    else:
        codes = store.admin_recovery_codes(email)
        # Every stored code is checked (no early exit): the time says nothing about which one matched.
        matches = [code_id for code_id, stored in codes if totp.recovery_code_matches(code, stored)]
        if not matches or not store.use_admin_recovery_code(matches[0], now):
            return _failed(email, "wrong")
        result = CodeResult("ok", recovery=True, left=len(codes) - 1)
    store.end_admin_attempt(attempt)
    store.verify_admin_session(session_hash, now)
    audit.record(store, email, "admin.sign_in", email, None, {"recovery_code": result.recovery})
    return result


def enrolment_secret(email: str, now: float) -> str | None:
    """The secret being enrolled (made now, or the one shown before); None once enrolment is done."""
    row = state().store.start_admin_totp(email, totp.new_secret(), now)
    return None if row.confirmed_at is not None else row.secret


def confirm_enrolment(email: str, code: str, session_hash: str, now: float) -> tuple[CodeResult, list[str]]:
    """The first code from the app: if right, the secret counts, the session is signed in, and the ten
    recovery codes are returned (shown once, stored hashed)."""
    store = state().store
    attempt = _attempt(email, now)
    if attempt is None:
        return CodeResult("limited"), []
    secret = store.get_admin_totp(email)
    if secret is None or secret.confirmed_at is not None:
        store.end_admin_attempt(attempt)
        return CodeResult("wrong"), []
    step = totp.matching_step(secret.secret, code, now)
    if step is None:
        return _failed(email, "wrong"), []
    codes = totp.new_recovery_codes()
    confirmed = store.confirm_admin_totp(email, step, [totp.hash_recovery_code(c) for c in codes], now)
    store.end_admin_attempt(attempt)
    if not confirmed:
        return CodeResult("wrong"), []
    store.verify_admin_session(session_hash, now)
    audit.record(store, email, "admin.enrol", email, None, {"recovery_codes": len(codes)})
    audit.record(store, email, "admin.sign_in", email, None, {"recovery_code": False})
    return CodeResult("ok"), codes


def reset_totp(email: str, actor: str, now: float) -> bool:
    """Forget an admin's authenticator and recovery codes (a lost phone) and end the admin's sessions; the
    next sign-in enrols again. Audited. False if the address had none."""
    store = state().store
    email = normalise_stored(email)
    done = store.reset_admin_totp(email, now)
    if done:
        audit.record(store, actor, "admin.reset_totp", email, {"enrolled": True}, {"enrolled": False})
    return done


def end_sessions(email: str, actor: str, now: float, keep_hash: str = "") -> int:
    """End every desk session of ``email`` but ``keep_hash`` (the browser asking, from the desk), e.g. after a
    lost laptop; audited. Returns how many ended. The desk's "sign out everywhere else" and the CLI's
    ``admin sign-out EMAIL`` both come here."""
    store = state().store
    email = normalise_stored(email)
    ended = store.end_other_admin_sessions(email, keep_hash, now)
    audit.record(store, actor, "admin.session_revoke", email, None, {"sessions": ended, "others": bool(keep_hash)})
    return ended


def issuer() -> str:
    """How the authenticator app names the account's service."""
    return current_app.config["PLEDGE_SERVICE_NAME"] or "Pledge widget"
