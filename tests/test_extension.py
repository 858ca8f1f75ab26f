"""Mounting into an existing Flask app: PledgeWidget(app), a URL prefix, the host app's own CSRF and CLI."""
from __future__ import annotations

from flask import Flask
from flask_wtf import CSRFProtect

from conftest import TOKEN_INPUT, VALID_ANSWERS

from widget import PledgeWidget, state


def make_host_app(tmp_path, smtp_url, **config):
    app = Flask("host_app")
    app.config.update(
        SECRET_KEY="host-secret",
        PLEDGE_DATABASE=f"sqlite:///{tmp_path / 'host.db'}",
        PLEDGE_SMTP_URL=smtp_url,
        PLEDGE_MAIL_IN_PROCESS=False,
        **config,
    )
    CSRFProtect(app)  # the host protects its own forms with session CSRF

    @app.get("/")
    def home():
        return "the host's own home page"

    return app


def test_init_app_under_a_prefix_beside_the_hosts_routes(tmp_path, smtp_server):
    app = make_host_app(tmp_path, smtp_server.url, PLEDGE_URL_PREFIX="/pledge")
    ext = PledgeWidget()
    ext.init_app(app)
    assert "pledge" in app.extensions
    client = app.test_client()
    assert client.get("/").get_data(as_text=True) == "the host's own home page"
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    page = client.get(f"/pledge/w/{site.key}").get_data(as_text=True)
    assert f'action="/pledge/w/{site.key}"' in page
    assert "/pledge/pledge-static/widget.css" in page
    # The host's CSRFProtect does not block our cookie-less form; our own token protects it.
    data = dict(VALID_ANSWERS, email="ext@example.org", form_token=TOKEN_INPUT.search(page).group(1))
    response = client.post(f"/pledge/w/{site.key}", data=data, follow_redirects=True)
    assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    assert client.get(f"/pledge/api/v1/sites/{site.key}/count").json["site"] == 0


def test_flask_pledge_commands_in_the_host_app(tmp_path, smtp_server):
    app = make_host_app(tmp_path, smtp_server.url)
    PledgeWidget(app)
    result = app.test_cli_runner().invoke(args=["pledge", "site", "list", "--json"])
    assert result.exit_code == 0 and result.stdout.strip() == "[]"


def test_host_app_without_a_secret_is_told_what_is_missing(tmp_path):
    app = Flask("bare")
    app.config["PLEDGE_DATABASE"] = f"sqlite:///{tmp_path / 'x.db'}"
    try:
        PledgeWidget(app)
    except RuntimeError as exc:
        assert "PLEDGE_SECRET_KEY" in str(exc)
    else:
        raise AssertionError("PledgeWidget(app) without any secret key must refuse to start")
