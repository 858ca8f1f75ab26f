"""The figures of the desk's overview: each campaign's progress and pace, sites and hosts, and how the mail
queue and the webhooks fare. Read-only: computed from the store on each visit (the desk is never cached)."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable

from flask import url_for
from markupsafe import Markup

from .. import alerts
from ..campaigns import Campaign
from ..chart import bar_chart, daily_series
from ..appstate import state
from ..store.alerts import Alert
from ..store.webhooks import Endpoint

#: How many days the overview's charts show.
CHART_DAYS = 30
#: Mail waiting longer than this (seconds) makes the queue look unwell: the sender is down or stuck.
SLOW_QUEUE_SECONDS = 15 * 60


@dataclass
class CampaignFigures:
    """One campaign's progress and its confirmed sign-ons per day."""

    campaign: Campaign
    total: int
    paper: int
    goal: int | None
    series: list[tuple[date, int]]
    chart: Markup
    sites: dict[str, int]  # number of sites by status
    hosts_from_signons: int

    @property
    def share(self) -> float | None:
        """How far towards the goal (0 to 1, capped), or None without a goal."""
        return min(self.total / self.goal, 1.0) if self.goal else None


@dataclass
class MailHealth:
    """The outbox as the operator sees it (see ``SQLStore.outbox_health``)."""

    queued: int
    retrying: int
    failed: int
    oldest_queued_at: float | None
    last_error: str | None
    now: float = field(default_factory=time.time)

    @property
    def oldest_wait(self) -> float | None:
        """How long (seconds) the oldest waiting e-mail has waited, or None when none waits."""
        return None if self.oldest_queued_at is None else max(0.0, self.now - self.oldest_queued_at)

    @property
    def healthy(self) -> bool:
        """Nothing failed for good and nothing waits too long."""
        return not self.failed and (self.oldest_wait or 0) < SLOW_QUEUE_SECONDS


@dataclass
class AlertFigures:
    """One surge alert as the overview's banner shows it: the figures, what it is about (a lazy text), when its
    hour began (UTC), and the links that fill in a block (None for a site: disable it instead) and an
    invalidation of its sign-ons since then."""

    alert: Alert
    what: Any
    since: str
    block_url: str | None
    invalidate_url: str


@dataclass
class Overview:
    campaigns: list[CampaignFigures]
    hosts: int
    hosts_from_signons: int
    mail: MailHealth
    webhooks_off: list[Endpoint]
    alerts: list[AlertFigures] = field(default_factory=list)


def alert_figures(alert: Alert) -> AlertFigures:
    """The banner's line of one alert (see :class:`AlertFigures`)."""
    field_name = {"ip": "ip", "domain": "domain", "site": "site"}[alert.kind]
    return AlertFigures(
        alert=alert, what=alerts.what(alert.kind, alert.value), since=alerts.moment(alert.since),
        block_url=None if alert.kind == "site" else url_for("admin.blocks", kind=alert.kind, value=alert.value),
        invalidate_url=url_for("admin.invalidations", since=alerts.form_moment(alert.since),
                               **{field_name: alert.value}),
    )


def overview(chart_title: Callable[[Campaign], str], bar_label: Callable[[date, int], str],
             today: date | None = None) -> Overview:
    """Every figure of the overview. ``chart_title`` and ``bar_label`` word the charts in the reader's
    language (this module speaks no language)."""
    pledge = state()
    store = pledge.store
    today = today or datetime.now(timezone.utc).date()
    totals = {campaign: n for campaign, key, n in store.all_counts() if key == ""}
    statuses: dict[str, Counter] = {}
    for site in store.list_sites():
        statuses.setdefault(site.campaign, Counter())[site.status] += 1
    figures = []
    for index, (slug, campaign) in enumerate(sorted(pledge.campaigns.items())):
        series = daily_series(store.daily_confirmed(slug), CHART_DAYS, today)
        figures.append(CampaignFigures(
            campaign=campaign, total=totals.get(slug, 0), paper=store.paper_counts(slug, "").total,
            goal=campaign.goal_for(totals.get(slug, 0)), series=series,
            chart=bar_chart(series, chart_title(campaign), bar_label, f"chart-{index}"),
            sites=dict(statuses.get(slug, {})), hosts_from_signons=store.hosts_from_signons(slug),
        ))
    return Overview(
        campaigns=figures,
        hosts=len(store.list_hosts()),
        hosts_from_signons=store.hosts_from_signons(),
        mail=MailHealth(**store.outbox_health()),
        webhooks_off=switched_off_webhooks(),
        alerts=[alert_figures(alert) for alert in alerts.recent()],
    )


def switched_off_webhooks() -> list[Endpoint]:
    """Webhook endpoints switched off after days of failed deliveries, latest first."""
    endpoints = [e for e in state().store.list_webhooks() if e.disabled_at is not None]
    return sorted(endpoints, key=lambda e: e.disabled_at or 0, reverse=True)

