"""Delivering e-mail: over SMTP when ``PLEDGE_SMTP_URL`` is set, else printed to stderr.

A sender delivers a round of mails through one :class:`Session` of its transport: over SMTP, one
connection for the whole round, opened on the first mail and opened again if it breaks.
"""
from __future__ import annotations

import email.policy
import io
import smtplib
import ssl
import sys
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable, Protocol, TextIO
from urllib.parse import unquote, urlsplit

from email_validator import EmailNotValidError, validate_email

from ..store import Mail

#: Seconds to wait for each answer of the SMTP server. RFC 5321 gives a server up to 10 minutes to
#: answer the end of DATA; a minute covers slow relays and content filters without hanging a round.
DEFAULT_TIMEOUT = 60.0

NEEDS_SMTPUTF8 = "the recipient's address needs SMTPUTF8, which the SMTP server does not offer"


class DeliveryError(Exception):
    """A delivery that failed, with a reason an operator can read (``str(exc)``)."""


class PermanentFailure(DeliveryError):
    """The server refused this e-mail for good (bad recipient): retrying will not help."""


class TemporaryFailure(DeliveryError):
    """The server turned this e-mail down for now (a 4xx answer): try it again later."""


class ServerUnavailable(DeliveryError):
    """No connection to the SMTP server at all: no mail can go out now, so the round stops."""


class Session(Protocol):
    def send(self, mail: Mail) -> None:
        """Deliver ``mail``, or raise :class:`PermanentFailure` (retrying cannot help),
        :class:`ServerUnavailable` (nothing can be sent now) or any other exception (retry this mail later)."""

    def close(self) -> None:
        """End the round (close the connection, if one is open)."""


class Transport(Protocol):
    def session(self) -> Session:
        """A session for one round of deliveries."""


def smtp_address(address: str) -> tuple[str, bool]:
    """The form of ``address`` to give an SMTP server, and whether it needs SMTPUTF8.

    An internationalised domain has an ASCII form (``école.fr`` is ``xn--cole-9oa.fr``) that every
    server takes; only a local part that is not ASCII (``élise@``) needs a server offering SMTPUTF8.
    """
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return address, True
    if domain.isascii():
        return address, False
    try:
        ascii_domain = validate_email(address, check_deliverability=False).ascii_domain
    except EmailNotValidError:
        return address, True  # no ASCII form: only a server with SMTPUTF8 may take it as it is
    return f"{local}@{ascii_domain}", False


def build_message(mail: Mail, sender: str, to: str | None = None) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second (``to``: the To header, default ``mail.to``)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to or mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():  # List-Unsubscribe and the like
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def message_bytes(message: EmailMessage, smtputf8: bool) -> bytes:
    """The message as sent. With SMTPUTF8, headers travel as UTF-8. Without it, non-ASCII headers become
    RFC 2047 encoded words, folded by the compat32 folder: the modern one drops the space between two
    words that end up in two encoded words (an Arabic subject read "4 فيالألف"), the old one keeps
    each space inside an encoded word."""
    policy = message.policy.clone(utf8=True) if smtputf8 else email.policy.compat32
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=policy.clone(linesep="\r\n")).flatten(message)
    return buffer.getvalue()


def refusal(exc: smtplib.SMTPException) -> DeliveryError:
    """The server's answer to one mail as a :class:`PermanentFailure` (5xx) or :class:`TemporaryFailure`."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        stage = "RCPT TO"
    elif isinstance(exc, smtplib.SMTPResponseException):
        answers = [(exc.smtp_code, exc.smtp_error)]
        stage = {smtplib.SMTPSenderRefused: "MAIL FROM", smtplib.SMTPDataError: "DATA"}.get(type(exc), "")
    else:
        return TemporaryFailure(f"{exc.__class__.__name__}: {exc}")
    text = "; ".join(f"{code} {_text(message)}" for code, message in answers)
    reason = f"{text} (answer to {stage})" if stage else text
    if answers and all(500 <= code < 600 for code, _ in answers):
        return PermanentFailure(reason)
    return TemporaryFailure(reason)


def _text(message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(message.split())  # a multi-line answer on one line


class ConsoleTransport:
    """Prints each e-mail, links included, for a newcomer running the service without SMTP."""

    def __init__(self, sender: str, stream: TextIO | None = None):
        self.sender = sender
        self.stream = stream

    def session(self) -> ConsoleTransport:
        return self

    def send(self, mail: Mail) -> None:
        stream = self.stream or sys.stderr
        bar = "-" * 72
        stream.write(f"{bar}\nE-mail to {mail.to} from {self.sender}\nSubject: {mail.subject}\n\n{mail.text}\n{bar}\n")
        stream.flush()

    def close(self) -> None:
        pass


class SMTPTransport:
    """``smtp://[user:pass@]host:port``, ``smtp+starttls://...`` or ``smtps://...``.

    ``envelope``: the envelope sender (``MAIL FROM``) of a mail, where bounces go (see
    :mod:`widget.mail.bounces`; default: ``sender``); ``signer``: what signs each message (DKIM).
    """

    def __init__(self, url: str, sender: str, timeout: float = DEFAULT_TIMEOUT,
                 envelope: Callable[[Mail], str] | None = None, signer: Callable[[bytes], bytes] | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError(f"PLEDGE_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, got {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = float(timeout)
        self.envelope = envelope
        self.signer = signer

    def session(self) -> SMTPSession:
        return SMTPSession(self)

    def send(self, mail: Mail) -> None:
        """Deliver one mail over a connection of its own."""
        session = self.session()
        try:
            session.send(mail)
        finally:
            session.close()

    def connect(self) -> smtplib.SMTP:
        """A connection that has greeted the server (and started TLS and logged in, if configured)."""
        context = ssl.create_default_context()
        try:
            if self.scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(self._unreachable(exc)) from exc
        try:
            client.ehlo_or_helo_if_needed()
            if self.scheme == "smtp+starttls":
                client.starttls(context=context)
                client.ehlo_or_helo_if_needed()  # the extensions offered before TLS no longer count
            if self.username:
                client.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            client.close()
            raise ServerUnavailable(self._unreachable(exc)) from exc
        if smtp_address(self.sender)[1] and not client.has_extn("smtputf8"):
            client.close()
            # Not the recipient's fault: the mail waits until the operator changes PLEDGE_MAIL_FROM.
            raise ServerUnavailable("PLEDGE_MAIL_FROM needs SMTPUTF8, which the SMTP server does not offer")
        return client

    def _unreachable(self, exc: BaseException) -> str:
        return f"no connection to the SMTP server {self.host}:{self.port}: {exc.__class__.__name__}: {exc}"


class SMTPSession:
    """One round of deliveries over one SMTP connection, opened on the first mail and again after a break."""

    def __init__(self, transport: SMTPTransport):
        self.transport = transport
        self.client: smtplib.SMTP | None = None

    def send(self, mail: Mail) -> None:
        client = self._connection()
        to, needs_smtputf8 = smtp_address(mail.to)
        if needs_smtputf8 and not client.has_extn("smtputf8"):
            raise PermanentFailure(NEEDS_SMTPUTF8)
        transport = self.transport
        sender = smtp_address(transport.sender)[0]
        data = message_bytes(build_message(mail, sender, to), needs_smtputf8)
        if transport.signer is not None:
            data = transport.signer(data)
        envelope = smtp_address(transport.envelope(mail))[0] if transport.envelope is not None else sender
        try:
            client.sendmail(envelope, [to], data, mail_options=["SMTPUTF8", "BODY=8BITMIME"] if needs_smtputf8 else [])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            # smtplib reset the transaction after the refusal (or closed the connection on a 421):
            # the connection serves the next mail if it is still open.
            if client.sock is None:
                self.client = None
            raise refusal(exc) from exc
        except BaseException:
            # Timed out or cut in the middle of this mail: the connection's state is unknown, so the
            # next mail gets a new one.
            self._drop()
            raise

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    def _connection(self) -> smtplib.SMTP:
        if self.client is None or self.client.sock is None:
            self.client = self.transport.connect()
        return self.client

    def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()


def make_transport(smtp_url: str | None, sender: str, timeout: float = DEFAULT_TIMEOUT,
                   envelope: Callable[[Mail], str] | None = None,
                   signer: Callable[[bytes], bytes] | None = None) -> Transport:
    """The transport configured by ``PLEDGE_SMTP_URL`` (``timeout``: ``PLEDGE_SMTP_TIMEOUT``; ``envelope``
    and ``signer``: see :class:`SMTPTransport`)."""
    if smtp_url:
        return SMTPTransport(smtp_url, sender, timeout, envelope, signer)
    return ConsoleTransport(sender)
