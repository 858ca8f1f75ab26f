"""flask-pledge-widget: an embeddable pledge / sign-on widget for Flask.

``PledgeWidget(app)`` adds it to an existing app; ``create_app()`` builds the standalone service.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from .extension import PledgeWidget, state

__all__ = ["PledgeWidget", "create_app", "state"]
__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The standalone service: every ``PLEDGE_*`` environment variable, then ``config``, wins over defaults."""
    from . import config as settings
    from .resources import translations_dir

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.read_environment())
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations_dir())
    if config:
        app.config.update(config)
    PledgeWidget(app, generate_secret=True)
    # The host dashboard (a first-party page) keeps its sign-in in Flask's session.
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    if not app.secret_key:
        app.secret_key = app.extensions["pledge"].tokens.keys[0]
    return app
