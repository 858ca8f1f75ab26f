"""Delivering one e-mail: over SMTP when ``PLEDGE_SMTP_URL`` is set, else printed to stderr."""
from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol, TextIO
from urllib.parse import unquote, urlsplit

from ..store import Mail


class PermanentFailure(Exception):
    """The server refused this e-mail for good (bad recipient): retrying will not help."""


class Transport(Protocol):
    def send(self, mail: Mail) -> None:
        """Deliver ``mail`` or raise (:class:`PermanentFailure` when a retry cannot help)."""


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class ConsoleTransport:
    """Prints each e-mail, links included, for a newcomer running the service without SMTP."""

    def __init__(self, sender: str, stream: TextIO | None = None):
        self.sender = sender
        self.stream = stream

    def send(self, mail: Mail) -> None:
        stream = self.stream or sys.stderr
        bar = "-" * 72
        stream.write(f"{bar}\nE-mail to {mail.to} from {self.sender}\nSubject: {mail.subject}\n\n{mail.text}\n{bar}\n")
        stream.flush()


class SMTPTransport:
    """``smtp://[user:pass@]host:port``, ``smtp+starttls://...`` or ``smtps://...``."""

    def __init__(self, url: str, sender: str, timeout: float = 20.0):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError(f"PLEDGE_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, got {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    def send(self, mail: Mail) -> None:
        message = build_message(mail, self.sender)
        context = ssl.create_default_context()
        if self.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.scheme == "smtp+starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            try:
                client.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                if codes and all(500 <= code < 600 for code in codes):
                    raise PermanentFailure(str(exc)) from exc
                raise


def make_transport(smtp_url: str | None, sender: str) -> Transport:
    """The transport configured by ``PLEDGE_SMTP_URL``."""
    if smtp_url:
        return SMTPTransport(smtp_url, sender)
    return ConsoleTransport(sender)
