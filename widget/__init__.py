"""flask-pledge-widget: an embeddable pledge / sign-on widget for Flask.

``PledgeWidget(app)`` adds it to an existing app; ``create_app()`` builds the standalone service.

This package root is the front door, not a layer: it names the entry points and loads them when first
asked for (PEP 562), so that importing a lower layer (``import widget.store``) loads that layer alone.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from .appstate import state

__all__ = ["PledgeWidget", "create_app", "data_dir", "state"]
__version__ = "0.2.0"

#: Public names and the module that defines each.
_ENTRY_POINTS = {"PledgeWidget": "widget.extension", "create_app": "widget.app", "data_dir": "widget.config"}


def __getattr__(name: str) -> Any:
    if name in _ENTRY_POINTS:
        return getattr(import_module(_ENTRY_POINTS[name]), name)
    raise AttributeError(f"module 'widget' has no attribute {name!r}")
