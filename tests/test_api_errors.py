"""Sites whose campaign is gone, and errors of the JSON API: always JSON, never an HTML page or a 500."""
from __future__ import annotations

import logging

import pytest

from widget import state


@pytest.fixture
def orphan(app):
    """A site whose campaign the operator has since removed from the campaigns file."""
    return state(app).store.add_site("Old drive", ["https://old.example"], "o@old.example", "campaign-gone")


def test_a_site_whose_campaign_is_gone_gets_a_clear_404(client, orphan):
    page = client.get(f"/w/{orphan.key}")
    assert page.status_code == 404 and "There is no pledge form at this address" in page.get_data(as_text=True)
    api = client.get(f"/api/v1/sites/{orphan.key}/count")
    assert api.status_code == 404 and api.is_json and api.json["error"] == "not_found"


def test_start_up_names_the_sites_whose_campaign_is_gone(make_app, orphan, caplog):
    with caplog.at_level(logging.WARNING, logger="widget"):
        make_app()
    assert f"{orphan.key} (campaign-gone)" in caplog.text


def test_every_api_error_is_json(client, site):
    unknown_route = client.get("/api/v1/nothing/here")
    assert unknown_route.status_code == 404 and unknown_route.is_json
    assert unknown_route.headers["Access-Control-Allow-Origin"] == "*"
    wrong_method = client.post(f"/api/v1/sites/{site.key}/count")
    assert wrong_method.status_code == 405 and wrong_method.json["error"] == "method_not_allowed"


def test_a_crash_inside_the_api_is_json_too(make_app, site, monkeypatch):
    app = make_app(TESTING=False)  # as in production: the error is answered, not raised into the test

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(type(state(app).store), "counts", broken)
    response = app.test_client().get(f"/api/v1/sites/{site.key}/count")
    assert response.status_code == 500 and response.is_json and response.json["error"] == "server_error"
    assert "database" not in response.get_data(as_text=True)  # no internals in the answer
    page = app.test_client().get(f"/w/{site.key}")
    assert page.status_code == 500 and page.mimetype == "text/html"
