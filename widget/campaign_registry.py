"""Every campaign the service knows, as one mapping ``{slug: Campaign}``: the built-in one and those of
``PLEDGE_CAMPAIGNS_FILE`` (read at start, fixed while the process lives), those written in the desk (in the
database), each with the operator's hand on its life (in the database too, for every campaign).

Several workers and nodes share the database: each keeps its own copy, and reads one row (the campaigns'
revision number) at most every ``PLEDGE_CAMPAIGN_REFRESH_SECONDS`` to learn whether anything changed, then
reads the campaigns again and forgets the pages it kept rendered. A sign-on does not rely on this copy: it
reads the campaign's life in its own transaction (:meth:`CampaignRegistry.now`, and the store's check).
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Any, Callable, Iterator, Mapping

from .campaigns import Campaign, campaign_from_spec, check_spec
from .store.campaigns import Life

log = logging.getLogger("widget")


def with_life(campaign: Campaign, life: Life | None) -> Campaign:
    """``campaign`` with the operator's hand on it, and a desk campaign's written times as now stored."""
    if life is None:
        return campaign
    opens, closes = (life.desk_opens, life.desk_closes) if life.desk else (campaign.opens, campaign.closes)
    return dataclasses.replace(campaign, opens=opens, closes=life.closes if life.closes is not None else closes,
                               paused_at=life.paused_at, closed_at=life.closed_at)


class CampaignConflict(ValueError):
    """A slug is both in the campaigns file and written in the desk."""


class CampaignRegistry(Mapping[str, Campaign]):
    """The campaigns of one app, kept in step with the database (see the module's docstring)."""

    def __init__(self, fixed: Mapping[str, Campaign], store: Any, languages: tuple[str, ...], every: float,
                 on_change: Callable[[], None] = lambda: None):
        #: The built-in campaign and the file's, as written.
        self.fixed = dict(fixed)
        self.store = store
        self.languages = languages
        self.every = every
        self.on_change = on_change
        self._current: dict[str, Campaign] = dict(fixed)
        self._revision: int | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    # -- the mapping: always the copy as of the last look at most ``every`` seconds ago ---------------

    def __getitem__(self, slug: str) -> Campaign:
        self.refresh()
        return self._current[slug]

    def __iter__(self) -> Iterator[str]:
        self.refresh()
        return iter(list(self._current))

    def __len__(self) -> int:
        self.refresh()
        return len(self._current)

    def __contains__(self, slug: object) -> bool:
        self.refresh()
        return slug in self._current

    # -- keeping in step --------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Look at the revision if the last look is older than ``every`` seconds (``force``: now), and read
        the campaigns again if it moved; True when they changed (the pages kept rendered are then dropped)."""
        if not force and time.monotonic() - self._checked < self.every:
            return False
        with self._lock:
            if not force and time.monotonic() - self._checked < self.every:
                return False  # another thread looked meanwhile
            try:
                revision = self.store.campaign_revision()
                self._checked = time.monotonic()
                if revision == self._revision:
                    return False
                current = self._read()
            except self.store.Unavailable:
                # The database is out of reach (a restart, a fail-over): the last copy serves pages meanwhile
                # (an error page needs a campaign's language too), and the next look comes ``every`` later.
                self._checked = time.monotonic()
                return False
            first = self._revision is None
            self._current, self._revision = current, revision
        if not first:
            self.on_change()
        return not first

    def _read(self) -> dict[str, Campaign]:
        campaigns = dict(self.fixed)
        for slug, spec in self.store.desk_campaigns().items():
            if slug in self.fixed:
                continue  # refused at start (see check_conflicts); the file's wins meanwhile
            problems = check_spec(slug, spec, self.languages)
            if problems:  # written by an older version with other rules: kept in the database, not served
                log.error("desk campaign %r does not pass the checks: %s", slug, "; ".join(p.message for p in problems))
                continue
            campaigns[slug] = campaign_from_spec(slug, spec, "desk")
        lives = self.store.campaign_lives()
        for slug, campaign in campaigns.items():
            life = lives.get(slug)
            if campaign.source == "desk":  # its written times are in its table already
                life = dataclasses.replace(life or Life(), desk=True, desk_opens=campaign.opens,
                                           desk_closes=campaign.closes)
            campaigns[slug] = with_life(campaign, life)
        return campaigns

    def check_conflicts(self) -> None:
        """Refuse to start when a slug is both in the file and in the desk: one campaign, one place."""
        both = sorted(set(self.fixed) & set(self.store.desk_campaigns()))
        if both:
            raise CampaignConflict(
                f"campaign(s) {', '.join(both)} of PLEDGE_CAMPAIGNS_FILE are also written in the desk: a slug "
                "may be in one place only; rename the file's, or take it out of the file")

    # -- the one campaign a decision needs, read now ----------------------------------------------

    def now(self, slug: str) -> Campaign:
        """Campaign ``slug`` with its life (and a desk campaign's written times) read from the database now,
        not from this worker's copy: what a sign-on decides on. KeyError for an unknown slug."""
        return with_life(self.written(slug), self.store.campaign_life(slug))

    def written(self, slug: str) -> Campaign:
        """A file or built-in campaign as written, without the operator's hand; a desk campaign as this
        worker last read it. KeyError for an unknown slug."""
        return self.fixed[slug] if slug in self.fixed else self[slug]
