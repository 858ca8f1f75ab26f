"""Files every host page makes its visitors download (the loader, the widget's CSS and script), prepared
once per process: compressed with gzip and brotli, hashed for strong ETags, versioned URLs and the CSP.

Millions of widget loads must not compress the same bytes millions of times.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from werkzeug.security import safe_join

try:
    import brotli
except ImportError:  # an optional speed-up: gzip alone is fine
    brotli = None

STATIC = Path(__file__).parent / "static"
#: Compressing what is already small costs more than it saves.
MIN_COMPRESS = 256


@dataclass(frozen=True)
class Asset:
    """One file's bytes, as sent for each content coding, and its fingerprints."""

    raw: bytes
    encoded: dict[str, bytes]  # "gzip", "br": only the codings that make it smaller
    etag: str  # strong: a hash of the raw bytes (a coding adds its name: each representation its own tag)
    version: str  # short hash for ?v= in URLs: a new release is a new address
    sha256: str  # base64, for a CSP hash source when the text is inlined

    def body(self, coding: str | None) -> bytes:
        return self.encoded[coding] if coding else self.raw

    def etag_for(self, coding: str | None) -> str:
        return f"{self.etag}-{coding}" if coding else self.etag


def prepare(raw: bytes) -> Asset:
    """Compress and hash ``raw`` once."""
    encoded: dict[str, bytes] = {}
    if len(raw) >= MIN_COMPRESS:
        encoded["gzip"] = gzip.compress(raw, compresslevel=9, mtime=0)  # mtime 0: the same bytes every time
        if brotli is not None:
            encoded["br"] = brotli.compress(raw, quality=11)
    digest = hashlib.sha256(raw).digest()
    return Asset(
        raw=raw,
        encoded={coding: body for coding, body in encoded.items() if len(body) < len(raw)},
        etag=digest[:12].hex(),
        version=digest[:5].hex(),
        sha256=base64.b64encode(digest).decode(),
    )


@lru_cache(maxsize=64)
def static_asset(filename: str) -> Asset | None:
    """A file of ``widget/static``, or None if there is no such file (or the name leaves the folder)."""
    joined = safe_join(str(STATIC), filename)  # None for "..", absolute paths and the like
    try:
        if joined is None or not Path(joined).is_file():
            return None
        return prepare(Path(joined).read_bytes())
    except (OSError, ValueError):  # a NUL byte, a name too long: no such file
        return None
