"""The visitor's pages: thin views that call the store, the tokens and the mail composer (blueprint ``pledge``)."""
from __future__ import annotations

from . import (  # noqa: F401  (routes register on import)
    api, badges, common, confirm, count_log, errors, front, health_report, oembed, opendata, progress,
    progress_public, share, signatories, static, widget, withdraw,
)
from .blueprint import blueprint

__all__ = ["blueprint"]
