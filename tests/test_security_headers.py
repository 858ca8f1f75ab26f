"""Every answer of the standalone service carries our security headers (issue 18, item 8): Flask's own
``/static/``, ``/robots.txt`` and the app's HTML 404 and 405 had no CSP, no ``nosniff`` and no
``frame-ancestors``, and ``/static/`` served a second copy of the files of ``/pledge-static/``.

Inside a host app, every answer of ours has them, and the host's own pages keep theirs.
"""
from __future__ import annotations

import pytest
from flask import Flask, request

from widget import PledgeWidget, state
from widget.views.json_errors import ERRORS

BIG = {"goal": "x" * 70_000}


def assert_ours(response, what: str) -> None:
    headers = response.headers
    assert "frame-ancestors" in headers.get("Content-Security-Policy", ""), what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in ("strict-origin-when-cross-origin", "no-referrer"), what


@pytest.fixture
def service(make_app):
    """The standalone service as it runs (errors as pages, not exceptions; public pages kept, so that
    second reads come from the fast path), with a desk and one site."""
    app = make_app(TESTING=False, PLEDGE_CACHE_SECONDS=5, PLEDGE_ADMINS="boss@example.org")
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "w@lycee.example", "4p1000")
    return app, site.key


def answers(client, key: str) -> list[tuple[str, int, object]]:
    """(what, expected status, response) for a walk through the service's kinds of answer."""
    asked = [
        ("GET", "/", 200), ("GET", f"/w/{key}", 200), ("GET", f"/w/{key}", 200), ("HEAD", f"/w/{key}", 200),
        ("GET", "/embed.js", 200), ("GET", "/embed.js", 200), ("GET", f"/api/v1/sites/{key}/count", 200),
        ("GET", "/pledge-static/widget.css", 200), ("GET", "/pledge-static/widget.css", 200),
        ("GET", "/robots.txt", 200), ("GET", "/c/4p1000/signatories", 200), ("GET", f"/badge/{key}.svg", 200),
        ("GET", "/api/v1/openapi.json", 200), ("GET", "/host/", 200), ("GET", "/admin/", 303),
        ("OPTIONS", f"/api/v1/sites/{key}/count", 200),
        ("GET", "/nowhere", 404), ("GET", "/static/widget.css", 404), ("GET", "/w/missing", 404),
        ("GET", "/pledge-static/missing.css", 404), ("GET", "/admin/nowhere", 404),
        ("GET", "/api/v1/sites/missing/count", 404), ("GET", "/api/v1/nowhere", 404),
        ("PUT", f"/w/{key}", 405), ("DELETE", "/", 405), ("POST", "/robots.txt", 405), ("POST", "/embed.js", 405),
        ("PUT", f"/api/v1/sites/{key}/count", 405), ("POST", "/admin/", 405),
        ("POST", f"/w/{key}", 413), ("POST", f"/api/v1/sites/{key}/count", 413), ("POST", "/host/", 413),
        ("POST", f"/w/{key}", 400),
    ]
    walked = []
    for n, (method, path, status) in enumerate(asked):
        data = BIG if status == 413 else None
        walked.append((f"{method} {path} ({n})", status, client.open(path, method=method, data=data)))
    return walked


def test_every_answer_of_the_service_has_our_headers(service):
    app, key = service
    for what, status, response in answers(app.test_client(), key):
        assert response.status_code == status, (what, response.status_code)
        assert_ours(response, what)


def test_errors_speak_the_visitors_language_and_the_api_answers_json(service):
    app, key = service
    client = app.test_client()
    wrong = client.put(f"/w/{key}", headers={"Accept-Language": "fr"})
    assert wrong.status_code == 405 and 'lang="fr"' in wrong.get_data(as_text=True)
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    api = client.post(f"/api/v1/sites/{key}/count", data=BIG)
    assert api.status_code == 413 and api.json["error"] == ERRORS[413]


def test_a_server_error_has_our_headers_too(service, monkeypatch):
    app, key = service
    monkeypatch.setattr(state(app).store, "counts", lambda *a, **k: 1 / 0)
    client = app.test_client()
    for path in (f"/w/{key}?mode=counter", f"/api/v1/sites/{key}/count"):
        response = client.get(path)
        assert response.status_code == 500
        assert_ours(response, path)
    assert client.get(f"/api/v1/sites/{key}/count").json["error"] == "server_error"


def test_over_https_every_answer_asks_for_https_next_time(service):
    app, key = service
    client = app.test_client()
    for path in ("/robots.txt", "/nowhere", f"/w/{key}", f"/w/{key}", "/pledge-static/widget.css"):
        assert client.get(path, base_url="https://pledge.example").headers["Strict-Transport-Security"].startswith(
            "max-age="), path


def test_one_address_serves_each_static_file(service):
    app, _key = service
    serving = [rule for rule in app.url_map.iter_rules() if "static" in rule.rule]
    assert [rule.endpoint for rule in serving] == ["pledge.static"]
    assert app.test_client().get("/static/widget.css").status_code == 404


def test_inside_a_host_app_our_answers_have_our_headers_and_the_hosts_pages_keep_theirs(tmp_path, smtp_server):
    app = Flask("host_app", static_folder=str(tmp_path))
    (tmp_path / "site.css").write_text("body { color: black }")
    app.config.update(SECRET_KEY="host-secret", PLEDGE_DATABASE=f"sqlite:///{tmp_path / 'host.db'}",
                      PLEDGE_SMTP_URL=smtp_server.url, PLEDGE_MAIL_IN_PROCESS=False, PLEDGE_URL_PREFIX="/pledge")

    @app.route("/upload", methods=["POST"])
    def upload():
        return f"{len(request.get_data())} bytes"

    PledgeWidget(app)
    key = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000").key
    client = app.test_client()
    for path in (f"/pledge/w/{key}", "/pledge/w/missing", "/pledge/api/v1/nowhere", "/pledge/pledge-static/widget.js",
                 "/pledge/admin/"):
        assert_ours(client.get(path), path)
    assert_ours(client.post(f"/pledge/w/{key}", data=BIG), "413")
    for path in ("/static/site.css", "/nowhere"):
        assert "Content-Security-Policy" not in client.get(path).headers, path
    # Our limit on bodies is ours: the host's own routes take what the host allows.
    assert client.post("/upload", data=BIG).get_data(as_text=True) == f"{len('goal=') + 70_000} bytes"
