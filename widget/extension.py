"""The Flask extension object and the per-app state it keeps at ``app.extensions["pledge"]``."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_babel import Babel

from . import config, i18n
from .builtin_campaign import CAMPAIGN as BUILTIN_CAMPAIGN
from .campaigns import Campaign, load_file
from .mail.sender import OutboxSender
from .mail.transport import make_transport
from .resources import translations_dir
from .store import open_store
from .tokens import Tokens


@dataclass
class PledgeState:
    """Everything the extension keeps for one app (the extension object itself keeps nothing)."""

    store: Any
    tokens: Tokens
    campaigns: dict[str, Campaign]
    sender: OutboxSender
    send_in_process: bool
    poll_seconds: float
    _sender_pid: int | None = None
    _sender_lock: threading.Lock = field(default_factory=threading.Lock)

    def campaign(self, slug: str) -> Campaign:
        return self.campaigns[slug]

    def ensure_sender(self) -> None:
        """Start the in-process sender once per process, on first use: never before gunicorn forks."""
        if not self.send_in_process or self._sender_pid == os.getpid():
            return
        with self._sender_lock:
            if self._sender_pid != os.getpid():
                self.sender.start_thread(self.poll_seconds)
                self._sender_pid = os.getpid()

    def mail_queued(self) -> None:
        """A sign-on queued a mail: wake the in-process sender so it goes out now, not at the next poll."""
        self.ensure_sender()
        self.sender.wake.set()


def state(app: Flask | None = None) -> PledgeState:
    """The extension's state for ``app`` (default: the current app)."""
    app = app or current_app
    try:
        return app.extensions["pledge"]
    except KeyError:
        raise RuntimeError("flask-pledge-widget is not set up on this app: call PledgeWidget(app)") from None


class PledgeWidget:
    """The flask-pledge-widget extension: ``PledgeWidget(app)`` or ``PledgeWidget().init_app(app)``."""

    def __init__(self, app: Flask | None = None, *, generate_secret: bool = False):
        self.generate_secret = generate_secret
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and check the PLEDGE_* config, open the store, and register the blueprint and CLI."""
        config.apply_defaults(app)
        cfg = app.config
        campaigns = {BUILTIN_CAMPAIGN.slug: BUILTIN_CAMPAIGN}
        if cfg["PLEDGE_CAMPAIGNS_FILE"]:
            campaigns.update(load_file(cfg["PLEDGE_CAMPAIGNS_FILE"], i18n.LANGUAGES))
        if cfg["PLEDGE_DEFAULT_CAMPAIGN"] not in campaigns:
            raise ValueError(f"PLEDGE_DEFAULT_CAMPAIGN {cfg['PLEDGE_DEFAULT_CAMPAIGN']!r} is not a known campaign")
        store = open_store(cfg["PLEDGE_DATABASE"], busy_timeout=cfg["PLEDGE_SQLITE_BUSY_TIMEOUT"])
        store.migrate()
        store.close()  # this may run before gunicorn forks: no connection may cross the fork
        tokens = Tokens(
            keys=config.secret_keys(app, generate=self.generate_secret),
            max_ages={
                "form": cfg["PLEDGE_FORM_MAX_AGE"],
                "confirm": cfg["PLEDGE_CONFIRM_MAX_AGE"],
                "withdraw": 365 * 24 * 3600,
                "host-login": 3600,
            },
        )
        transport = make_transport(cfg["PLEDGE_SMTP_URL"], cfg["PLEDGE_MAIL_FROM"])
        app.extensions["pledge"] = PledgeState(
            store=store,
            tokens=tokens,
            campaigns=campaigns,
            sender=OutboxSender(store, transport),
            send_in_process=cfg["PLEDGE_MAIL_IN_PROCESS"],
            poll_seconds=cfg["PLEDGE_MAIL_POLL_SECONDS"],
        )
        self._init_babel(app)
        from .cli import pledge
        from .views import blueprint

        app.register_blueprint(blueprint, url_prefix=cfg["PLEDGE_URL_PREFIX"] or None)
        csrf = app.extensions.get("csrf")
        if csrf is not None:
            # The host app's CSRFProtect would demand a session token no cross-site iframe can send;
            # our forms carry their own signed tokens instead.
            csrf.exempt(blueprint)
        app.cli.add_command(pledge)

    @staticmethod
    def _init_babel(app: Flask) -> None:
        # Our catalogues sit beside the host app's own (Flask-Babel merges every directory listed).
        directories = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
        ours = str(translations_dir())
        if ours not in directories.split(";"):
            app.config["BABEL_TRANSLATION_DIRECTORIES"] = f"{directories};{ours}"
        if "babel" not in app.extensions:
            Babel(app, locale_selector=i18n.request_language)
