"""Every signed token of the service: one itsdangerous salt and one maximum age per purpose.

Payloads are readable by anyone holding the token, so they carry opaque ids, never an e-mail
address. A signature is not single use: the store consumes confirm tokens (a sign-on is confirmed
once), which is what makes a confirmation link single use.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

SALTS = {
    "form": "pledge-widget/form",
    "confirm": "pledge-widget/confirm",
    "withdraw": "pledge-widget/withdraw",
    "leave-list": "pledge-widget/leave-list",
    "host-login": "pledge-widget/host-login",
    "admin-login": "pledge-widget/admin-login",
    "unsubscribe": "pledge-widget/unsubscribe",
    "host-from-signon": "pledge-widget/host-from-signon",
    "stop-mail": "pledge-widget/stop-mail",
    "progress": "pledge-widget/progress",
}


class TokenInvalid(Exception):
    """The token was tampered with, made for another purpose, or is not a token at all."""


class TokenExpired(Exception):
    """The token is genuine but older than its maximum age; ``payload`` is still trustworthy."""

    def __init__(self, payload: Any, issued_at: float | None):
        super().__init__("token expired")
        self.payload = payload
        self.issued_at = issued_at


@dataclass
class Tokens:
    """Signs and checks tokens. ``keys`` are newest first: the first signs, all of them verify."""

    keys: list[str]
    max_ages: dict[str, int]

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        # itsdangerous signs with the *last* key of the list and tries all of them.
        return URLSafeTimedSerializer(list(reversed(self.keys)), salt=SALTS[purpose])

    def dumps(self, purpose: str, payload: Any, at: int | None = None) -> str:
        """Sign ``payload`` for one purpose, dated now or ``at`` (seconds since the epoch: then the same
        payload makes the same token in every process)."""
        if at is None:
            return self._serializer(purpose).dumps(payload)
        signer = type("SignedAt", (TimestampSigner,), {"get_timestamp": lambda self: int(at)})
        return URLSafeTimedSerializer(list(reversed(self.keys)), salt=SALTS[purpose], signer=signer).dumps(payload)

    def loads(self, purpose: str, token: str) -> tuple[Any, float]:
        """Return ``(payload, issued_at)`` or raise :class:`TokenInvalid` / :class:`TokenExpired`."""
        serializer = self._serializer(purpose)
        try:
            payload, issued = serializer.loads(token, max_age=self.max_ages[purpose], return_timestamp=True)
        except SignatureExpired as exc:
            issued_at = exc.date_signed.timestamp() if exc.date_signed else None
            try:
                payload = serializer.load_payload(exc.payload)
            except BadSignature:
                raise TokenInvalid() from None
            raise TokenExpired(payload, issued_at) from None
        except (BadSignature, UnicodeError, ValueError, TypeError):
            raise TokenInvalid() from None
        return payload, issued.timestamp()

    def payload_even_expired(self, purpose: str, token: str) -> Any:
        """The payload of a genuine token however old (:class:`TokenInvalid` otherwise): for links whose only
        power is to stop mail, which people click on old mails and which harm nobody."""
        try:
            return self.loads(purpose, token)[0]
        except TokenExpired as exc:
            return exc.payload
