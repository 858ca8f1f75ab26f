"""Where the files that live outside ``widget/`` in the repository are found once installed.

In a wheel, ``embed/`` and ``translations/`` are installed as ``widget/embed`` and
``widget/translations``; in a source checkout they sit beside the package.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"flask-pledge-widget is installed without its {name}/ folder")


def embed_dir() -> Path:
    """The folder of the loader script (``loader.js``)."""
    return _find("embed")


def translations_dir() -> Path:
    """The folder of the gettext catalogues (``<lang>/LC_MESSAGES/messages.mo``)."""
    return _find("translations")
