"""The operator's desk at ``/admin/`` (under ``PLEDGE_URL_PREFIX``): one blueprint, ``admin``.

Who gets in is :mod:`widget.admin.access` (``admin_required``, ``current_admin``, ``admin_page``) and
:mod:`widget.admin.auth` (sign-in by e-mailed link, then a TOTP code); what the desk shows and does is
:mod:`widget.admin.pages`. Every view of this blueprint:

* answers 404 while ``PLEDGE_ADMINS`` is unset (no desk at all);
* is private: ``Cache-Control: no-store``, ``frame-ancestors 'none'``, noindex, no referrer;
* checks Flask-WTF's CSRF token (form field ``csrf_token``; templates: ``{{ pledge_csrf_token() }}``)
  on every POST before the view runs: a POST without it is a 400 and changes nothing.

Page templates extend ``admin/base.html`` (blocks ``title`` and ``main``) and are rendered with
:func:`widget.admin.access.admin_page`. The navigation links the endpoints ``admin.overview``, ``admin.sites``,
``admin.campaigns``, ``admin.held``, ``admin.blocks``, ``admin.invalidations``, ``admin.list``, ``admin.progress_updates``,
``admin.updates``, ``admin.paper``, ``admin.mail``, ``admin.audit``, ``admin.sessions``
(one that is not registered is left out) and signs out by POST to ``admin.logout``.
"""
from __future__ import annotations

from . import (  # noqa: F401  (hooks and routes register on import)
    access, auth, audit_views, blocks, campaigns, invalidations, pages, progress, updates,
)
from .blueprint import bp

__all__ = ["bp"]
