"""Logs never hold a link's token, and show e-mail addresses only masked.

Every record of the loggers that may see a request line, a link or an address (ours and their children,
the development server's, gunicorn's and the Flask app's) is cleaned when it is made, by a log record
factory: its message (arguments included), its exception text and its stack. A filter on a logger would
not do: it never sees the records of the logger's children (``widget.mail``...), and the handlers belong
to whoever configured logging (gunicorn, pytest, the host app), so every one of them must get clean records.

The token paths are read from the app's URL map (every rule with a ``token`` argument), so that a new
token route is redacted from the day it exists.
"""
from __future__ import annotations

import logging
import re
from typing import Any

#: Loggers whose records (and their children's) are cleaned: ours, the dev server's, gunicorn's (access and
#: error logs); :func:`install` adds the Flask app's (its "Exception on /confirm/... [POST]").
LOGGERS = ("widget", "werkzeug", "gunicorn")
#: URL rule arguments that carry a secret.
TOKEN_ARGUMENTS = frozenset({"token"})
#: Characters that end a path segment in a log line (a request line, a referrer, a message).
_SEGMENT = r"[^/\s\"'?#<>]+"
#: An itsdangerous token wherever it is (a referrer, a query, an error): payload.timestamp.signature.
TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_.-])\.?[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{5,8}\.[A-Za-z0-9_-]{27,}")
TOKEN_QUERY = re.compile(r"([?&;]token=)[^&\s\"'#]+")
#: A mailbox in any script (``élise@mairie.example``, ``用户@例子.example``), written as is or
#: percent-encoded in a query: every character an unquoted local part may hold but the few that end one in
#: a log line, then the domain. Kept: its first character and the domain (``a***@coop.example``).
_LOCAL = r"[^\s@<>()\[\]{}\\,;:\"/?&=|%]"
# It starts where a run of such characters starts (the look-behind): a long run without "@" costs one pass.
EMAIL = re.compile(rf"(?<!{_LOCAL})(?<!%)({_LOCAL}|%(?!40))(?:{_LOCAL}|%(?!40))*(?:@|%40)([^\s@<>()\[\]\\,;:\"'/?#&=|%]+)")


class Redactor:
    """The token paths learnt from the apps' URL maps, and the log record factory that applies them."""

    def __init__(self) -> None:
        self.token_paths: dict[str, re.Pattern[str]] = {}
        self.logger_names: set[str] = set(LOGGERS)

    def learn(self, app: Any) -> None:
        """Redact the token of every rule of ``app`` that has one, and clean its logger's records."""
        for rule in app.url_map.iter_rules():
            pattern = token_path_pattern(rule.rule)
            if pattern is not None:
                self.token_paths.setdefault(pattern, re.compile(pattern))
        self.logger_names.add(app.logger.name)

    def redact(self, text: str) -> str:
        for pattern in self.token_paths.values():
            text = pattern.sub(r"\g<before>[token]", text)
        text = TOKEN_QUERY.sub(r"\1[token]", TOKEN_SHAPE.sub("[token]", text))
        return EMAIL.sub(r"\1***@\2", text)

    def covers(self, name: str) -> bool:
        return any(name == covered or name.startswith(covered + ".") for covered in self.logger_names)

    def clean(self, record: logging.LogRecord) -> None:
        """Rewrite the record's message, exception text and stack, where they hold a token or an address."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format: logging itself reports it when the record is written
            return
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            cleaned = self.redact(text)
            if cleaned != text:
                # Formatters print exc_text as it is; a handler that formats exc_info itself gets nothing.
                record.exc_text, record.exc_info = cleaned, None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)


#: The one redactor of this process: logging is configured per process, whatever the number of apps.
REDACTOR = Redactor()


def token_path_pattern(rule: str) -> str | None:
    """A regular expression matching ``rule`` up to its token, the part before it named ``before``; None
    for a rule without a token. ``/confirm/<token>`` → ``(?P<before>/confirm/)[^/...]+``."""
    parts = re.split(r"<(?:[^<>:]+:)?([^<>:]+)>", rule)
    before = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            before += re.escape(part)
        elif part in TOKEN_ARGUMENTS:
            return f"(?P<before>{before}){_SEGMENT}"
        else:
            before += _SEGMENT
    return None


def redact(text: str) -> str:
    """``/confirm/eyJ...`` → ``/confirm/[token]``; ``amina@coop.example`` → ``a***@coop.example``."""
    return REDACTOR.redact(text)


def _factory_of(previous: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if REDACTOR.covers(record.name):
            REDACTOR.clean(record)
        return record

    make_record.pledge_redacts = True  # type: ignore[attr-defined]
    return make_record


def install(app: Any = None) -> None:
    """Clean every record of :data:`LOGGERS` and of ``app``'s logger, and redact ``app``'s token paths."""
    if app is not None:
        REDACTOR.learn(app)
    current = logging.getLogRecordFactory()
    if not getattr(current, "pledge_redacts", False):
        logging.setLogRecordFactory(_factory_of(current))
