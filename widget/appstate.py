"""The per-app state the extension keeps at ``app.extensions["pledge"]``, and its accessor.

It sits low in the house: workflows, pages and commands all reach the store, the tokens and the campaigns
through :func:`state`, and this module imports none of them (the types below are for readers and checkers
only), so that importing it pulls in nothing above it.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from .trusted_hosts import LOOPBACK

if TYPE_CHECKING:  # names for annotations only: no import at run time
    from flask_babel import Domain

    from .caching import PageCache
    from .campaign_registry import CampaignRegistry
    from .campaigns import Campaign
    from .mail.sender import OutboxSender
    from .store import Limits
    from .tokens import Tokens


@dataclass
class PledgeState:
    """Everything the extension keeps for one app (the extension object itself keeps nothing)."""

    store: Any
    tokens: Tokens
    #: ``{slug: Campaign}``: the file's and the desk's, each with its life, kept in step with the database.
    campaigns: CampaignRegistry
    sender: OutboxSender
    send_in_process: bool
    poll_seconds: float
    limits: Limits
    #: Public pages (widget, count) rendered lately, sent again for a few seconds (see widget.caching).
    pages: PageCache
    #: Our own gettext domain (our catalogues only), whatever the host app's Flask-Babel reads.
    domain: Domain
    #: The command line people type: ``pledge-widget`` for the standalone service, else ``flask pledge``.
    command: str = "flask pledge"
    #: The Host names answered (see widget.trusted_hosts); None: any, every link is on PLEDGE_PUBLIC_URL.
    trusted_hosts: tuple[str, ...] | None = LOOPBACK
    #: Untrusted hosts already named in the log by this process (each once).
    refused_hosts: set[str] = field(default_factory=set)
    #: When this process last recorded each (site, origin) as seen, so that widget views cost no write.
    seen: dict[tuple[str, str], float] = field(default_factory=dict)
    #: Those views not written yet ``(site_key, origin, when)``, and when this process last wrote some.
    seen_unwritten: list[tuple[str, str, float]] = field(default_factory=list)
    seen_written_at: float = 0.0
    _sender_pid: int | None = None
    _sender_lock: threading.Lock = field(default_factory=threading.Lock)

    def campaign(self, slug: str) -> Campaign:
        return self.campaigns[slug]

    def ensure_sender(self) -> None:
        """Start the in-process sender once per process, on first use: never before gunicorn forks."""
        if not self.send_in_process or self._sender_pid == os.getpid():
            return
        with self._sender_lock:
            if self._sender_pid != os.getpid():
                self.sender.start_thread(self.poll_seconds)
                self._sender_pid = os.getpid()

    def mail_queued(self) -> None:
        """A sign-on queued a mail: wake the in-process sender so it goes out now, not at the next poll."""
        self.ensure_sender()
        self.sender.wake.set()


def state(app: Flask | None = None) -> PledgeState:
    """The extension's state for ``app`` (default: the current app)."""
    app = app or current_app
    try:
        return app.extensions["pledge"]
    except KeyError:
        raise RuntimeError("flask-pledge-widget is not set up on this app: call PledgeWidget(app)") from None
