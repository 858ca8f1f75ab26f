"""Logs never hold a link's token, and show e-mail addresses only masked."""
from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"/(confirm|withdraw)/[^\s\"?/]+")
EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
#: Loggers that see request lines or addresses: the dev server's, gunicorn's and ours.
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "widget")


def redact(text: str) -> str:
    """``/confirm/eyJ...`` → ``/confirm/[token]``; ``amina@coop.example`` → ``a***@coop.example``."""
    return EMAIL.sub(r"\1***@\2", TOKEN_PATH.sub(r"/\1/[token]", text))


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with :func:`redact` before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Attach the filter to every logger that may see a token or an address (once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
