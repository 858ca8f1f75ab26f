"""The host pages at ``/host/`` (under ``PLEDGE_URL_PREFIX``): one blueprint, ``host``.

A host (an organisation that shows widgets on its web sites) signs in by an e-mailed link (:mod:`.start`),
then manages its sites (:mod:`.sites`), copies their snippets (:mod:`.snippet`), prints posters
(:mod:`.poster`), enters paper sign-ons (:mod:`.paper`), registers webhooks (:mod:`.webhooks`) and chooses
its notifications (:mod:`.notify`). Who may see what is :mod:`.access`: every page of a site answers 404 to
anyone but its owner. These are first-party pages: Flask's session keeps the sign-in, and their forms check
Flask-WTF's CSRF token. Templates live in ``templates/host/``. The words and the list for asking
organisations to sign are :mod:`.ask`.
"""
from __future__ import annotations

from . import access, ask, notify, paper, poster, sites, snippet, start, webhooks  # noqa: F401  (routes register on import)
from .blueprint import bp

__all__ = ["bp"]
