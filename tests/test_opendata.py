"""Open data: a campaign's totals by country and by type, confirmed sign-ons per day, as JSON and CSV;
no personal data; readable from any origin; cacheable."""
from __future__ import annotations

import csv
import io
import time

import pytest
from conftest import run_sql
from test_store import store  # noqa: F401  (fixture: a migrated store on each engine)

from widget.appstate import state
from widget.store import Mail, SignOn

DAY = 86400
MAIL = Mail(to="a@example.org", subject="Confirm", text="text", html="<p>html</p>")


def sign(store, id: str, site_key: str, country: str | None, org_type: str | None, days_ago: int = 0,
         confirm: bool = True, campaign: str = "4p1000") -> None:
    now = time.time()
    answers = {"name": "Ana Secret", "organization": f"Org {id}"}
    answers.update({k: v for k, v in (("country", country), ("org_type", org_type)) if v is not None})
    store.create_signon(SignOn(id=id, campaign=campaign, site_key=site_key, email=f"{id}@secret.example", lang="en",
                               status="pending", created_at=now, confirmed_at=None, consent_at=now,
                               consent_version="v1/en", answers=answers), MAIL)
    if confirm:
        store.confirm_signon(id)
        run_sql(store, "UPDATE signons SET confirmed_at = ? WHERE id = ?", [now - days_ago * DAY, id])


def day(days_ago: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - days_ago * DAY))


def populate(store, s1: str = "s1", s2: str = "s2") -> None:
    sign(store, "a", s1, "FR", "company", days_ago=2)
    sign(store, "b", s1, "FR", "research", days_ago=2)
    sign(store, "c", s2, "SN", "company", days_ago=0)
    sign(store, "d", s2, None, None, days_ago=0)
    sign(store, "e", s2, "DE", "company", confirm=False)  # pending: counts nowhere
    sign(store, "f", s1, "IT", "company", campaign="other")  # another campaign


# -- the store, on both engines ------------------------------------------------------------------


def test_a_campaigns_breakdown_counts_confirmed_sign_ons_only(store):  # noqa: F811
    populate(store)
    breakdown = store.campaign_breakdown("4p1000")
    assert breakdown == {"by_country": {"FR": 2, "": 1, "SN": 1}, "by_org_type": {"company": 2, "": 1, "research": 1}}
    assert sum(breakdown["by_country"].values()) == store.counts("4p1000", "").total
    assert store.campaign_breakdown("nothing") == {"by_country": {}, "by_org_type": {}}


def test_confirmed_sign_ons_per_day_of_a_campaign_and_of_a_site(store):  # noqa: F811
    populate(store)
    assert store.daily_confirmed("4p1000") == [(day(2), 2), (day(0), 2)]
    assert store.daily_confirmed("4p1000", "s1") == [(day(2), 2)]
    assert store.daily_confirmed("4p1000", "s2") == [(day(0), 2)]
    assert store.daily_confirmed("other") == [(day(0), 1)]
    assert store.daily_confirmed("4p1000", "nobody") == []


# -- the routes ----------------------------------------------------------------------------------


@pytest.fixture
def sites(app):
    store = state(app).store
    one = store.add_site("One", ["https://one.example"], "w@one.example", "4p1000")
    two = store.add_site("Two", ["https://two.example"], "w@two.example", "4p1000")
    populate(store, one.key, two.key)
    return one, two


def test_the_campaigns_open_data_matches_the_counts_and_holds_no_personal_data(client, app, sites):
    response = client.get("/api/v1/campaigns/4p1000")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    data = response.get_json()
    assert data["campaign"] == "4p1000" and data["goal"] == state(app).campaign("4p1000").goal
    assert data["total"] == state(app).store.counts("4p1000", "").total == 4
    assert data["by_country"] == {"FR": 2, "SN": 1, "": 1}
    assert data["by_org_type"] == {"company": 2, "research": 1, "": 1}
    body = response.get_data(as_text=True)
    assert "secret" not in body.lower() and "Org " not in body


@pytest.mark.parametrize("path", ["/api/v1/campaigns/{campaign}/daily", "/api/v1/sites/{site}/daily"])
def test_daily_series_as_json_and_csv(client, sites, path):
    one, _two = sites
    base = path.format(campaign="4p1000", site=one.key)
    expected = [(day(2), 2), (day(0), 2)] if "campaigns" in path else [(day(2), 2)]
    response = client.get(base + ".json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == [{"date": d, "confirmed": n} for d, n in expected]
    as_csv = client.get(base + ".csv")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[0] == ["date", "confirmed"]
    assert rows[1:] == [[d, str(n)] for d, n in expected]
    for answer in (response, as_csv):
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert answer.headers["Cache-Control"].startswith("public, max-age=300")
        assert answer.headers["ETag"] and not answer.headers["ETag"].startswith("W/")
        again = client.get(answer.request.path, headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304


def test_unknown_and_disabled_sites_and_unknown_campaigns_are_a_json_404(client, app, sites):
    one, _two = sites
    state(app).store.update_site(one.key, status="disabled")
    for path in (f"/api/v1/sites/{one.key}/daily.json", f"/api/v1/sites/{one.key}/daily.csv", "/api/v1/sites/nope/daily.json",
                 "/api/v1/campaigns/nope", "/api/v1/campaigns/nope/daily.csv", "/api/v1/campaigns/4p1000/daily.xml"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "not_found"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
