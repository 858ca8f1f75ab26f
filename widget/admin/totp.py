"""The second factor: TOTP codes (RFC 6238, as authenticator apps make them) and one-time recovery codes."""
from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp

#: Seconds per TOTP code (the apps' default).
STEP = 30
#: How many recovery codes an admin gets at enrolment.
RECOVERY_CODES = 10
#: Letters of the recovery codes: no 0/o, 1/l/i to misread from paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    """A new random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (from the QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is (this one, or one step either side for a slow clock or a slow
    typist), or None. The caller makes each step work once."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def looks_like_totp(code: str) -> bool:
    """Six digits: a code from the app; anything else is tried as a recovery code."""
    code = "".join(code.split())
    return len(code) == 6 and code.isdigit()


def new_recovery_codes() -> list[str]:
    """Ten codes such as ``k7mq-xw3p-d9``: 10 random letters each (about 50 bits), easy to copy."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    """How a recovery code is stored: salted scrypt. The codes are random (not chosen by a person), so a
    light cost is enough, and checking ten of them at a sign-in stays quick."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(_normalise(code).encode(), salt=salt, n=2**12, r=8, p=1, dklen=32)
    return f"scrypt$12${salt.hex()}${digest.hex()}"


def recovery_code_matches(code: str, stored: str) -> bool:
    """Whether ``code`` (any case, with or without dashes) is the one stored as ``stored``."""
    try:
        _scheme, log_n, salt, digest = stored.split("$")
        computed = hashlib.scrypt(_normalise(code).encode(), salt=bytes.fromhex(salt), n=2 ** int(log_n), r=8, p=1,
                                  dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)
