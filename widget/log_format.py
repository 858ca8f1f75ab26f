"""``PLEDGE_LOG_FORMAT=json``: one JSON object a log line, for log collectors.

Each line holds ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` and
``route_class`` (of the request being answered, else null; see :mod:`widget.tracking`), and ``exception``
when there is one. The message and the exception are cleaned as every record of ours is (see
:mod:`widget.logs`): no token of a mailed link, addresses masked; here for every logger's records.

The formatter goes on the handlers that write our records: those of the root logger (one writing to
standard error is added when there is none), of gunicorn's error and access logs, of the development
server's and of the Flask app's logger. Whoever configured them (gunicorn, the host app) keeps their
destinations and levels.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

from .logs import redact
from .tracking import current

FORMATS = ("text", "json")
#: Loggers whose handlers write our records (with the root logger's, and the Flask app's).
HANDLED = ("gunicorn.error", "gunicorn.access", "werkzeug", "widget")


class JSONFormatter(logging.Formatter):
    """A log record as one line of JSON (non-ASCII escaped, so no character can end the line early)."""

    def format(self, record: logging.LogRecord) -> str:
        request = current()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": request[0] if request else None,
            "route_class": request[1] if request else None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(record.stack_info)
        return json.dumps(entry)


def check(value: str) -> str:
    """``PLEDGE_LOG_FORMAT`` as given, or a ValueError naming what it may be."""
    if value not in FORMATS:
        raise ValueError(f"PLEDGE_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {value!r}")
    return value


def use_json(app_logger: logging.Logger) -> None:
    """Write every record of ours, gunicorn's and the app's as JSON lines (see the module's docstring)."""
    formatter = JSONFormatter()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        root.addHandler(handler)
    for logger in (root, app_logger, *map(logging.getLogger, HANDLED)):
        for handler in logger.handlers:
            if not isinstance(handler.formatter, JSONFormatter):
                handler.setFormatter(formatter)
