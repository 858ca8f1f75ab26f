"""The standalone service: ``create_app()`` builds the app that ``pledge-widget`` and gunicorn serve."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from flask import Flask, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

from . import config as settings
from .config import data_dir
from .earlier_data import refusal, stranded
from .extension import PledgeWidget
from .views.common import security_headers
from .views.errors import error_answer, not_found


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The standalone service: every ``PLEDGE_*`` environment variable, then ``config``, wins over defaults."""
    values = settings.read_environment()
    values.update(config or {})
    # No app-wide /static/: our files are served once, by the blueprint's /pledge-static/ (with its headers).
    app = Flask(__name__, instance_path=data_dir(values.get("PLEDGE_DATA_DIR")), instance_relative_config=True,
                static_folder=None)
    app.config.update(values)
    # Before anything opens a database or generates a key in a data folder that is still empty.
    left_behind = stranded(values, app.instance_path)
    if left_behind is not None:
        raise RuntimeError(refusal(*left_behind, app.instance_path))
    PledgeWidget(app, standalone=True)
    # The whole app is ours: Flask's own limit on request bodies is ours too (every route, every framing).
    if app.config["MAX_CONTENT_LENGTH"] is None:
        app.config["MAX_CONTENT_LENGTH"] = app.config["PLEDGE_MAX_REQUEST_BYTES"]
    # The host pages' cookie: HttpOnly (Flask's default), SameSite=Lax, and Secure whenever the request
    # came over HTTPS (directly or, with PLEDGE_PROXY_FIX, through the proxy).
    app.session_interface = SecureOverHTTPSSessionInterface()
    app.add_url_rule("/robots.txt", "robots_txt", robots_txt)
    # The service owns its site's root: an address none of our routes knows (a link cut short by a mail
    # program) gets our "page not found" in the visitor's language, not Werkzeug's English one.
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, error_answer)
    # Every answer of the app carries our security headers: robots.txt and routing errors belong to no blueprint.
    app.after_request(security_headers)
    # The host dashboard (a first-party page) keeps its sign-in in Flask's session.
    if not app.config.get("SESSION_COOKIE_SAMESITE"):  # Flask's default is None (no attribute at all)
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if "PERMANENT_SESSION_LIFETIME" not in values:  # the host pages' sign-in lasts as long as its session
        app.permanent_session_lifetime = timedelta(days=app.config["PLEDGE_HOST_SESSION_DAYS"])
    if not app.secret_key:
        app.secret_key = app.extensions["pledge"].tokens.keys[0]
    return app


class SecureOverHTTPSSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag set by the request rather than by config:
    one service answers both over HTTPS (production) and plain HTTP (a newcomer's laptop)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Leave public reads alone: they are the same for everyone and any shared cache may keep them, so
        a signed-in host's refreshed session cookie (or ``Vary: Cookie``) must never ride on one."""
        if response.cache_control.public:
            return
        super().save_session(app, session, response)


def robots_txt() -> Any:
    """The standalone service owns its site's root: the front page (and later public lists) may be
    indexed; pages reached by a private link are not crawled. Widget pages stay crawlable so that
    crawlers see their ``noindex``: they are part of their host's page, not results of their own."""
    prefix = current_app.config["PLEDGE_URL_PREFIX"]
    lines = ["User-agent: *", *(f"Disallow: {prefix}/{path}/" for path in ("confirm", "withdraw", "host", "api"))]
    return current_app.response_class("\n".join(lines) + "\n", mimetype="text/plain")
