"""The blueprint: thin views that call the store, the tokens and the mail composer."""
from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint(
    "pledge",
    __name__,
    template_folder="../templates",
)

from . import (  # noqa: E402,F401  (routes register on import)
    api, badges, common, confirm, errors, front, host, host_notify, host_paper, host_poster, host_sites, host_snippet,
    host_webhooks, opendata, share, signatories, static, widget, withdraw,
)
