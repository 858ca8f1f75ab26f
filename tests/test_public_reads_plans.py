"""The open data's queries read a range of an index that fits what they ask, on SQLite too, whose planner
(without the statistics the service never gathers) may otherwise walk a whole campaign's index to find
one site's rows: at 100,000 sign-ons the daily series of a site with 91 of them took 217 ms instead of
well under one (bench/RESULTS.md, "The new public reads at scale"). And each worker counts a daily
series once for as long as the series is published fresh, not once every few seconds."""
from __future__ import annotations

import time

from widget.appstate import state
from widget.store import open_store


def plans(store, action) -> list[str]:
    """The SQLite query plans of every statement ``action`` runs on ``store``."""
    statements = []
    real = store.query

    def spy(sql, params=()):
        statements.append((sql, list(params)))
        return real(sql, params)

    store.query = spy
    try:
        action()
    finally:
        store.query = real
    return [" ".join(str(row[-1]) for row in real("EXPLAIN QUERY PLAN " + sql, params)) for sql, params in statements]


def test_a_sites_daily_series_reads_that_sites_rows_only(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/plans.db")
    store.migrate()
    try:
        [plan] = plans(store, lambda: store.daily_confirmed("4p1000", "site-key"))
        assert "(site_key=? AND status=?)" in plan, plan
        [plan] = plans(store, lambda: store.daily_confirmed("4p1000"))
        assert "COVERING INDEX signons_campaign_confirmed" in plan, plan
    finally:
        store.close()


def test_a_daily_series_is_counted_once_for_as_long_as_it_is_published_fresh(make_app, monkeypatch):
    # The series say max-age=300 (a day's figure changes slowly); each worker counts them again only
    # then, not every PLEDGE_CACHE_SECONDS: at 1,000,000 sign-ons one count reads the whole campaign.
    app = make_app(PLEDGE_CACHE_SECONDS=5)
    store = state(app).store
    counted = []
    real = store.daily_confirmed
    monkeypatch.setattr(store, "daily_confirmed", lambda *args: counted.append(args) or real(*args))
    client = app.test_client()
    now = time.monotonic()
    for later in (0, 60, 299):
        monkeypatch.setattr("widget.caching.time.monotonic", lambda: now + later)
        response = client.get("/api/v1/campaigns/4p1000/daily.json")
        assert response.status_code == 200 and "max-age=300" in response.headers["Cache-Control"]
    assert len(counted) == 1
    monkeypatch.setattr("widget.caching.time.monotonic", lambda: now + 301)
    client.get("/api/v1/campaigns/4p1000/daily.json")
    assert len(counted) == 2


def test_without_caching_a_daily_series_is_always_fresh(make_app, monkeypatch):
    app = make_app(PLEDGE_CACHE_SECONDS=0)  # "always fresh" (docs/configuration.md)
    store = state(app).store
    counted = []
    real = store.daily_confirmed
    monkeypatch.setattr(store, "daily_confirmed", lambda *args: counted.append(args) or real(*args))
    client = app.test_client()
    client.get("/api/v1/campaigns/4p1000/daily.csv")
    client.get("/api/v1/campaigns/4p1000/daily.csv")
    assert len(counted) == 2
