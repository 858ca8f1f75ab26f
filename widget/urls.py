"""Absolute addresses of the service, for e-mails and snippets (they leave the request they were made in).

They are built on ``PLEDGE_PUBLIC_URL`` when it is set, else on the request's scheme and host, which
:mod:`widget.trusted_hosts` has checked before any view ran: a forged ``Host`` never reaches a link.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from flask import Flask, current_app, has_app_context, has_request_context, request, url_for


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for e-mails and snippets: PLEDGE_PUBLIC_URL when set, else the request's."""
    base = current_app.config.get("PLEDGE_PUBLIC_URL")
    if base:
        path = url_for(endpoint, **values)
        script_root = request.script_root if request else ""
        return base.rstrip("/") + path[len(script_root) :]
    return url_for(endpoint, _external=True, **values)


def public_base_url() -> str:
    """Where this service is reached, prefix included, for snippets: PLEDGE_PUBLIC_URL, else the request's."""
    configured = current_app.config.get("PLEDGE_PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    return request.url_root.rstrip("/") + current_app.config["PLEDGE_URL_PREFIX"]


def links_base() -> str:
    """What the absolute links of an answer are built on, for the key of a kept copy (a copy must never
    carry another visitor's host): nothing that varies with PLEDGE_PUBLIC_URL set, else the request's root."""
    return "" if current_app.config.get("PLEDGE_PUBLIC_URL") else request.host_url


@contextmanager
def link_context(app: Flask | None = None) -> Iterator[None]:
    """Around work that builds links for mails away from a request (the mail sender's thread, the CLI): the app
    context of ``app`` if not in it already, and a throwaway request on ``PLEDGE_PUBLIC_URL`` if outside one."""
    if app is not None and not (has_app_context() and current_app._get_current_object() is app):
        with app.app_context(), link_context():
            yield
        return
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=current_app.config["PLEDGE_PUBLIC_URL"] or "http://localhost"):
        yield
