"""DKIM: every e-mail signed by the service itself (``dkimpy``), whatever the operator's relay does.

``PLEDGE_DKIM_KEY_FILE`` (an RSA private key, PEM, PKCS#1 or PKCS#8: ``openssl genrsa -out dkim.pem 2048``),
``PLEDGE_DKIM_SELECTOR`` and ``PLEDGE_DKIM_DOMAIN`` are set together or not at all; a key that does not
parse stops the service at start with a message saying so, never at the first mail. ``pledge-widget mail
dkim-record`` prints the TXT record to publish at ``SELECTOR._domainkey.DOMAIN``.

Signatures are ``rsa-sha256`` with relaxed canonicalisation of headers and body (the body survives a relay
that rewraps lines or trailing spaces), over dkimpy's default headers (From, To, Subject, Date,
Message-ID, the List-* ones...), From signed twice so that none can be added.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

#: The DER of the rsaEncryption algorithm's object identifier (1.2.840.113549.1.1.1).
RSA_ENCRYPTION = bytes.fromhex("2a864886f70d010101")
#: The longest string of a TXT record; a longer value is written as several strings (RFC 7208 3.3, RFC 6376 3.6.2.2).
TXT_STRING = 255


class DKIMError(ValueError):
    """The DKIM settings cannot work; the message says which and why (for the operator)."""


@dataclass(frozen=True)
class DKIMSigner:
    """Signs whole messages (bytes, CRLF line ends) for ``domain`` with the key of ``selector``."""

    selector: str
    domain: str
    key: bytes  # the PEM, as dkimpy takes it
    modulus: int
    exponent: int

    def sign(self, message: bytes) -> bytes:
        """``message`` with its ``DKIM-Signature`` header in front."""
        header = dkim.sign(message, self.selector.encode(), self.domain.encode(), self.key,
                           canonicalize=(b"relaxed", b"relaxed"))
        return header + message

    @property
    def record_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    def record_value(self) -> str:
        """The TXT record's text: ``v=DKIM1; k=rsa; p=<the public key, base64>``."""
        public = _der(0x30, _der(0x30, _der(0x06, RSA_ENCRYPTION) + _der(0x05, b""))
                      + _der(0x03, b"\x00" + _der(0x30, _integer(self.modulus) + _integer(self.exponent))))
        return "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode()

    def zone_line(self) -> str:
        """The record as a line of a DNS zone file, its text cut into strings of at most 255 characters."""
        value = self.record_value()
        strings = " ".join(f'"{value[i:i + TXT_STRING]}"' for i in range(0, len(value), TXT_STRING))
        return f"{self.record_name}. IN TXT ( {strings} )"


def _der(tag: int, content: bytes) -> bytes:
    """One DER element: its tag, its length (short or long form) and its content."""
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        digits = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(digits)]) + digits
    return bytes([tag]) + length + content


def _integer(value: int) -> bytes:
    """A positive DER INTEGER (a leading zero byte where the top bit is set, which would make it negative)."""
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def load_signer(key_file: str | None, selector: str | None, domain: str | None) -> DKIMSigner | None:
    """The signer of the ``PLEDGE_DKIM_*`` settings, None when none is set; :class:`DKIMError` when only some
    are, or when the key cannot be read or parsed."""
    given = {"PLEDGE_DKIM_KEY_FILE": key_file, "PLEDGE_DKIM_SELECTOR": selector, "PLEDGE_DKIM_DOMAIN": domain}
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise DKIMError(f"DKIM signing needs PLEDGE_DKIM_KEY_FILE, PLEDGE_DKIM_SELECTOR and PLEDGE_DKIM_DOMAIN "
                        f"together: {', '.join(missing)} is not set")
    assert key_file and selector and domain
    try:
        key = Path(key_file).read_bytes()
    except OSError as exc:
        raise DKIMError(f"PLEDGE_DKIM_KEY_FILE {key_file}: cannot read it ({exc.strerror or exc})") from None
    try:
        parsed = parse_pem_private_key(key.replace(b"\r\n", b"\n"))
    except (UnparsableKeyError, ValueError, IndexError, TypeError) as exc:
        raise DKIMError(f"PLEDGE_DKIM_KEY_FILE {key_file} is not an RSA private key in PEM (PKCS#1 or PKCS#8) "
                        f"that DKIM signing can use: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
                        "Make one with: openssl genrsa -out dkim.pem 2048") from None
    if parsed["modulus"].bit_length() < 1024:
        raise DKIMError(f"PLEDGE_DKIM_KEY_FILE {key_file}: a {parsed['modulus'].bit_length()}-bit key is too short "
                        "(receivers ignore DKIM keys under 1024 bits; use 2048)")
    signer = DKIMSigner(selector.strip(), domain.strip().rstrip("."), key, parsed["modulus"], parsed["publicExponent"])
    try:  # once now, so that a selector or domain dkimpy refuses stops the start, not the first mail
        signer.sign(b"From: check@" + signer.domain.encode() + b"\r\nSubject: check\r\n\r\ncheck\r\n")
    except (dkim.DKIMException, ValueError, UnicodeError) as exc:
        raise DKIMError(f"DKIM signing with PLEDGE_DKIM_SELECTOR {selector!r} and PLEDGE_DKIM_DOMAIN {domain!r} "
                        f"fails: {exc}") from None
    return signer
